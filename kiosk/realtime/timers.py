"""The hub's clocks: one heartbeat for every socket, and seed 000's periodic refresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk.keys import CONFIG, HUB, RUNTIME
from kiosk.realtime.dialects.shop_queue import ShopQueue
from kiosk.realtime.hub import Hub
from kiosk.tasks import running


async def timers_ctx(app: web.Application) -> AsyncIterator[None]:
    async with running(_refresh_forever(app[HUB], app[CONFIG].refresh_s), _heartbeat_forever(app)):
        yield


async def _heartbeat_forever(app: web.Application) -> None:
    # Short ticks, so a changed interval takes effect at once, not after the old one.
    last = asyncio.get_running_loop().time()
    while True:
        interval = app[RUNTIME].settings.limits.heartbeat_s
        await asyncio.sleep(min(interval, 1.0))
        now = asyncio.get_running_loop().time()
        if now - last >= interval:
            last = now
            app[HUB].heartbeat()


async def _refresh_forever(hub: Hub, every_s: float) -> None:
    snapshot_dialects = [d.name for d in hub.dialects.values() if isinstance(d, ShopQueue)]
    while True:
        await asyncio.sleep(every_s)
        for topic in list(hub.topics_of(*snapshot_dialects)):
            hub.refresh(topic)
