"""`kiosk watch SHOP_ID`: the live queue in a terminal (seed 000's websocket_test.py).

Connects to the shop queue socket, prints the queue as a table on every update, and
reconnects on its own with exponential backoff and jitter when the link drops.
"""

from __future__ import annotations

import asyncio
import random
import sys
from typing import Any, TextIO

import aiohttp
import orjson

MAX_BACKOFF_S = 30.0


def table(update: dict[str, Any]) -> str:
    items = update.get("queue_items", [])
    lines = [
        f"{update.get('shop_name', 'Shop')} (shop {update.get('shop_id')}) - "
        f"seq {update.get('seq')}, version {update.get('version')}, {update.get('timestamp', '')}",
        f"{'POS':>3}  {'TICKET':<7} {'NAME':<24} {'STATUS':<11} {'WAIT':>5}",
    ]
    for item in items:
        position = item.get("position_in_queue")
        wait = item.get("estimated_wait_minutes")
        lines.append(
            f"{position if position is not None else '-':>3}  {item.get('ticket', ''):<7} "
            f"{str(item.get('full_name', ''))[:24]:<24} {item.get('status', ''):<11} "
            f"{f'{wait}m' if wait is not None else '':>5}"
        )
    if not items:
        lines.append("  (nobody waiting)")
    return "\n".join(lines)


async def watch(
    shop_id: int,
    url: str,
    out: TextIO = sys.stdout,
    max_updates: int | None = None,
    token: str | None = None,
) -> int:
    socket_url = f"{url.rstrip('/')}/ws/queue/{shop_id}"
    if token:
        socket_url += f"?token={token}"
    backoff = 0.5
    shown = 0
    clear = "\x1b[2J\x1b[H" if out.isatty() else ""
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.ws_connect(socket_url, heartbeat=20) as ws:
                    backoff = 0.5
                    async for message in ws:
                        if message.type is not aiohttp.WSMsgType.TEXT:
                            break
                        update = orjson.loads(message.data)
                        print(f"{clear}{table(update)}\n", file=out, flush=True)
                        shown += 1
                        if max_updates is not None and shown >= max_updates:
                            return 0
                    if ws.close_code == 4404:
                        print(f"no shop {shop_id} on {url}", file=sys.stderr)
                        return 1
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                print(
                    f"connection lost ({exc.__class__.__name__}); retrying in {backoff:.1f}s",
                    file=sys.stderr,
                    flush=True,
                )
            else:
                print(f"disconnected; retrying in {backoff:.1f}s", file=sys.stderr, flush=True)
            # Jitter: a shop's screens that lost the same Wi-Fi must not all return at once.
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(MAX_BACKOFF_S, backoff * 2)
