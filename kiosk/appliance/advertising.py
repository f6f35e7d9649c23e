"""mDNS for the application's lifetime: announced once the server listens, goodbye at stop.

Probing takes about a second, so serving never waits for it (SPEC §7). Bound to
loopback only, nobody on the LAN can reach us: announcing a LAN address would send
tablets to a closed door, so then nothing is announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk import __version__
from kiosk.appliance.discovery import Advertiser
from kiosk.keys import CONFIG, DB, PORT
from kiosk.services import shops

log = logging.getLogger(__name__)

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


async def advertising_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    if not config.mdns or config.host not in WILDCARD_HOSTS:
        yield
        return
    install_id = await app[DB].run(shops.install_id)
    advertiser: Advertiser | None = None

    async def advertise() -> None:
        nonlocal advertiser
        port = await app[PORT]
        advertiser = Advertiser(port=port, install_id=install_id, version=__version__)
        await advertiser.start()

    task = asyncio.create_task(advertise())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if advertiser is not None:
            await advertiser.close()  # goodbye packets
