"""Slow consumers (SPEC §4 "Slow consumers", DESIGN "a slow or dead socket costs only
its own outbox"): a socket that never reads must not delay anyone else, must not grow
the server's memory without bound, and is either skipped ahead (snapshot dialects) or
closed with 1013 (event dialects).

The stalled client is a raw TCP socket with a tiny receive buffer that does the
WebSocket handshake by hand and then never reads again: nothing in a client library
can drain it behind the test's back.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from typing import Any

import aiohttp
import orjson
import pytest

from tests.kiosk_harness import Server
from tests.ws_client import WS, eventually, http, stats

API = "/api/v1"
QUEUE_LENGTH = 50
CHANGES_WITHOUT = 100  # baseline latency, nobody stalled
CHANGES_WITH = 400  # with a stalled socket on the same topic and audience
MAX_EVENT_CHANGES = 3000  # bound on the loop that waits for the 1013 close
CLOSE_TRY_AGAIN_LATER = 1013


# ---------------------------------------------------------------- a client that never reads


def _masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def stalled_socket(
    port: int, path: str, token: str | None = None, send: tuple[dict[str, Any], ...] = ()
) -> socket.socket:
    """Handshake by hand, send `send` as client frames, then never read again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: tiny window
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"{auth}\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 4096:  # byte by byte: read nothing more
        chunk = sock.recv(1)
        if not chunk:
            raise AssertionError(f"handshake: connection closed after {head!r}")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    for body in send:
        sock.sendall(_masked_text_frame(orjson.dumps(body).decode()))
    return sock


def read_until_close_frame(
    sock: socket.socket, timeout: float = 15, max_bytes: int = 512 * 1024 * 1024
) -> int | None:
    """Drain a raw socket, parsing server frames, until a close frame: its code
    (None if the connection just ended)."""
    deadline = time.monotonic() + timeout
    buf = bytearray()
    total = 0

    def need(n: int) -> bool:
        nonlocal total
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no close frame within {timeout}s ({total} bytes read)")
            sock.settimeout(remaining)
            chunk = sock.recv(1 << 20)
            if not chunk:
                return False
            total += len(chunk)
            assert total < max_bytes, "far more data than the server should ever have queued"
            buf.extend(chunk)
        return True

    while True:
        if not need(2):
            return None
        opcode, length = buf[0] & 0x0F, buf[1] & 0x7F
        offset = 2
        if length == 126:
            if not need(4):
                return None
            length, offset = struct.unpack("!H", buf[2:4])[0], 4
        elif length == 127:
            if not need(10):
                return None
            length, offset = struct.unpack("!Q", buf[2:10])[0], 10
        if not need(offset + length):
            return None
        payload = bytes(buf[offset : offset + length])
        del buf[: offset + length]
        if opcode == 0x8:
            return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


def rss_bytes(server: Server) -> int:
    with open(f"/proc/{server.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- helpers


class Api:
    """Keep-alive HTTP for the measured writes (less noise than a connection each)."""

    def __init__(self, server: Server, role: str = "admin"):
        self.base = server.base_url
        self.headers = {"Authorization": f"Bearer {server.token(role)}"}
        self.session = aiohttp.ClientSession()

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as resp:
            data = await resp.json(content_type=None)
            assert resp.status == status, (method, path, resp.status, data)
            return data

    async def close(self) -> None:
        await self.session.close()


class Watch:
    """Reads a healthy socket all the time, noting when each seq arrived."""

    def __init__(self, sock: WS):
        self.sock = sock
        self.arrived: dict[int, float] = {}
        self.types: dict[int, list[str]] = {}
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            message = await self.sock.recv(timeout=120)
            seq = message.get("seq")
            if seq is not None:
                self.arrived.setdefault(seq, time.monotonic())
                self.types.setdefault(seq, []).append(message["type"])
            self._changed.set()

    async def wait_seq(self, seq: int, timeout: float = 10) -> float:
        deadline = time.monotonic() + timeout
        while seq not in self.arrived:
            if self.task.done():
                self.task.result()  # raises what stopped the reader
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"seq {seq} never reached the healthy socket"
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                pass
        return self.arrived[seq]

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def queue_of(server: Server, api: Api, length: int) -> tuple[int, int, list[int]]:
    """A shop with `length` waiting tickets with long names and phones (~25 KB views)."""
    shop = await api.call("POST", f"{API}/shops", {"name": "Slow shop"}, status=201)
    sid = shop["id"]
    provider = await api.call(
        "POST",
        f"{API}/shops/{sid}/providers",
        {"name": "Chair", "code": "C", "specialty": "x"},
        status=201,
    )
    ids = []
    for i in range(length):
        entry = await api.call(
            "POST",
            f"{API}/shops/{sid}/queue",
            {
                "full_name": f"Customer {i:03d} " + "Longname" * 10,
                "phone": f"+1 555 0100 {i:04d} 99999999999999",
            },
            status=201,
        )
        ids.append(entry["id"])
    return sid, provider["id"], ids


async def timed_changes(
    api: Api, watch: Watch, ids: list[int], provider: int, count: int, start: int
) -> tuple[list[float], list[int]]:
    """`count` moves, one after another: latency = POST sent -> its message arrived."""
    latencies, seqs = [], []
    for i in range(start, start + count):
        t0 = time.monotonic()
        moved = await api.call(
            "PATCH",
            f"{API}/queue/{ids[i % len(ids)]}",
            {"provider_id": provider if (i // len(ids)) % 2 == 0 else None},
        )
        arrived = await watch.wait_seq(moved["seq"])
        latencies.append(arrived - t0)
        seqs.append(moved["seq"])
    return latencies, seqs


# ---------------------------------------------------------------- snapshot dialect


async def test_stalled_queue_screen_neither_delays_others_nor_grows_memory(server):
    api = Api(server)
    staff = server.token("staff")
    stalled = None
    sid, provider, ids = await queue_of(server, api, QUEUE_LENGTH)
    healthy = await WS.connect(server, f"/ws/queue/{sid}", staff)
    first = await healthy.expect("queue_update")
    assert len(first["queue_items"]) == QUEUE_LENGTH
    watch = Watch(healthy)
    try:
        base_lat, base_seqs = await timed_changes(api, watch, ids, provider, CHANGES_WITHOUT, 0)

        # The same dialect, topic and audience as the healthy one: they share every
        # rendering, so a sequential send would make the healthy one wait.
        stalled = await asyncio.to_thread(stalled_socket, server.port, f"/ws/queue/{sid}", staff)
        await eventually(lambda: _has(server, f"queue:{sid}", 2))
        before = await stats(server)
        rss_before = rss_bytes(server)
        lat, seqs = await timed_changes(api, watch, ids, provider, CHANGES_WITH, CHANGES_WITHOUT)
        rss_after = rss_bytes(server)
        after = await stats(server)

        # Zero lost: every change's queue_update reached the healthy socket, once.
        for seq in base_seqs + seqs:
            assert watch.types.get(seq) == ["queue_update"], (seq, watch.types.get(seq))
        # Not delayed.
        assert p95(lat) <= 3 * p95(base_lat) + 0.050, (p95(base_lat), p95(lat))
        # The stalled one was skipped ahead, not queued without end.
        assert after["messages_dropped"] > before["messages_dropped"], (before, after)
        assert after["total_connections"] == before["total_connections"]
        produced = sum(len(raw) for raw in healthy.raw[-CHANGES_WITH:])
        assert produced > 5_000_000, f"too little traffic to show anything: {produced}"
        growth = rss_after - rss_before
        assert growth < min(30_000_000, produced // 2), (
            f"server RSS grew {growth / 1e6:.1f} MB while {produced / 1e6:.1f} MB of views "
            "were produced for the stalled socket"
        )
    finally:
        await watch.stop()
        await healthy.close()
        await api.close()
        if stalled is not None:
            stalled.close()


async def listening(server: Server) -> dict[str, int]:
    """Sockets per room or topic: /ws/stats counts named rooms and the appliance's own
    topics (queue:N, ...) apart (SPEC §15); here either will do."""
    body = await stats(server)
    return {**body["topics"], **body["rooms"]}


async def _has(server: Server, topic: str, n: int) -> bool:
    return (await listening(server)).get(topic, 0) == n


# ---------------------------------------------------------------- event dialect


async def test_stalled_event_socket_is_closed_1013_and_others_carry_on(server):
    api = Api(server)
    staff = server.token("staff")
    stalled = None
    sid, provider, ids = await queue_of(server, api, QUEUE_LENGTH)
    room = f"queue:{sid}"
    healthy = await WS.connect(server, "/ws/connect", staff)
    await healthy.send({"command": "join_room", "room": room})
    await healthy.wait_for("room_joined")
    watch = Watch(healthy)
    try:
        stalled = await asyncio.to_thread(
            stalled_socket,
            server.port,
            "/ws/connect",
            staff,
            ({"command": "join_room", "room": room},),
        )
        await eventually(lambda: _has(server, room, 2))
        before = await stats(server)

        seqs = []
        deadline = time.monotonic() + 90
        for i in range(MAX_EVENT_CHANGES):
            moved = await api.call(
                "PATCH",
                f"{API}/queue/{ids[i % len(ids)]}",
                {"provider_id": provider if (i // len(ids)) % 2 == 0 else None},
            )
            seqs.append(moved["seq"])
            await watch.wait_seq(moved["seq"])
            if i % 10 == 9 and (await listening(server)).get(room, 0) == 1:
                break
            assert time.monotonic() < deadline, "the stalled socket was never closed"
        else:
            raise AssertionError(f"still connected after {MAX_EVENT_CHANGES} changes")
        after = await stats(server)
        assert after["total_connections"] == before["total_connections"] - 1, (before, after)
        assert after["messages_dropped"] > before["messages_dropped"]

        # Its close code, read from under everything it never read.
        code = await asyncio.to_thread(read_until_close_frame, stalled)
        assert code == CLOSE_TRY_AGAIN_LATER, code

        # The healthy one carries on: it got every change, and still gets new ones.
        for seq in seqs:
            assert watch.types.get(seq) == ["queue_update"], (seq, watch.types.get(seq))
        moved = await api.call("PATCH", f"{API}/queue/{ids[0]}", {"provider_id": None})
        await watch.wait_seq(moved["seq"])
        assert (await listening(server)).get(room) == 1
    finally:
        await watch.stop()
        await healthy.close()
        await api.close()
        if stalled is not None:
            stalled.close()


@pytest.mark.parametrize("path", ["/ws/queue/{sid}/", "/ws/appointments/{sid}"])
async def test_other_snapshot_dialects_skip_ahead_too(server, path):
    """The slash queue path and the appointments socket: a stalled one stays open,
    drops stale views, and the healthy one gets every change."""
    api = Api(server)
    staff = server.token("staff")
    stalled = None
    sid, provider, ids = await queue_of(server, api, 10)
    day = (await api.call("GET", f"{API}/shops/{sid}/queue"))["appointments_today"]["date"]
    healthy = await WS.connect(server, path.format(sid=sid), staff)
    await healthy.recv()
    watch = Watch(healthy)
    try:
        stalled = await asyncio.to_thread(stalled_socket, server.port, path.format(sid=sid), staff)
        await eventually(lambda: _topic_count(server, sid, 2))
        before = await stats(server)
        seqs = []
        for i in range(150):
            booked = await api.call(
                "POST",
                f"{API}/appointments",
                {
                    "provider_id": provider,
                    "date": day,
                    "patient": {"name": f"Patient {i} " + "Verylongname" * 6, "phone": "555"},
                },
                status=201,
            )
            seqs.append(booked["seq"])
            await watch.wait_seq(booked["seq"])
        after = await stats(server)
        assert after["messages_dropped"] > before["messages_dropped"], (before, after)
        assert after["total_connections"] == before["total_connections"]
        assert all(seq in watch.arrived for seq in seqs)
    finally:
        await watch.stop()
        await healthy.close()
        await api.close()
        if stalled is not None:
            stalled.close()


async def _topic_count(server: Server, sid: int, n: int) -> bool:
    rooms = await listening(server)
    return max(rooms.get(f"queue:{sid}", 0), rooms.get(f"appointments:{sid}", 0)) == n


async def test_server_still_healthy_afterwards(server):
    resp = await http(server, "GET", f"{API}/health", role=None)
    assert resp.status == 200
    assert "Traceback" not in server.log_path.read_text()
