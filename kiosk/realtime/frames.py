"""What goes on the wire: a message rendered once, as one complete WebSocket frame
written as-is to every socket that receives it, and the close codes we use."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_REVOKED = 4401  # the socket's token was revoked, logged out or its staff disabled
CLOSE_UNKNOWN_SHOP = 4404
CLOSE_NO_HEARTBEAT = 4408
PING_FRAME = b"\x89\x00"  # an empty ping, the same bytes for every socket


def text_frame(payload: bytes) -> bytes:
    """A complete server-to-client text frame (unmasked, uncompressed)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


@dataclass(frozen=True, eq=False)
class Message:
    """One rendered message, shared by every socket it goes to."""

    payload: bytes
    frame: bytes
    seq: int | None = None
    # What the message is about (e.g. "queue:1"). For a snapshot dialect a newer
    # snapshot with the same key supersedes whatever is still queued under it, so a
    # slow TV skips straight to the newest queue.
    key: str | None = None
    # A full view of `key` as of `seq`: never sent after a newer one of the same key.
    snapshot: bool = False

    @classmethod
    def of(
        cls,
        body: dict[str, Any],
        seq: int | None = None,
        key: str | None = None,
        snapshot: bool = False,
    ) -> Message:
        payload = orjson.dumps(body)
        return cls(payload, text_frame(payload), seq, key, snapshot)


async def close_socket(ws: web.WebSocketResponse, code: int, reason: bytes = b"") -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(code=code, message=reason), timeout=5)
