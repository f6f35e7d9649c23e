"""A copy of the database every day, taken while the appliance serves (store/backups.py).

Checked hourly rather than slept for a day: a PC that slept through the night, or
whose clock moved, still gets its copy soon after it wakes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk.config import Config
from kiosk.keys import CONFIG
from kiosk.store import backups
from kiosk.tasks import running

log = logging.getLogger(__name__)

EVERY_S = 24 * 3600
CHECK_EVERY_S = 3600


async def daily_backup_ctx(app: web.Application) -> AsyncIterator[None]:
    async with running(_back_up_forever(app[CONFIG])):
        yield


async def _back_up_forever(config: Config) -> None:
    while True:
        age = await asyncio.to_thread(backups.newest_age_s, config.data_dir)
        if age is None or age >= EVERY_S:
            try:
                path = await asyncio.to_thread(backups.take, config.db_path, config.data_dir)
                log.info("backed up the database to %s", path)
            except Exception:
                log.exception("the daily backup failed; trying again in an hour")
            await asyncio.sleep(CHECK_EVERY_S)
        else:
            await asyncio.sleep(min(CHECK_EVERY_S, EVERY_S - age))
