"""`make_app(config)`: the application, its resources and its whole route table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk import api, demo, eventlog, idempotency, pages, services, sockets
from kiosk.auth import SlidingWindow, TokenCache
from kiosk.config import Config
from kiosk.db import DatabaseThread
from kiosk.eventlog import SYSTEM
from kiosk.hub import Hub
from kiosk.keys import CONFIG, DB, HUB, RUNTIME, SELF_CHECKIN, TOKENS
from kiosk.state import Runtime

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600


def _prune(retention_days: int) -> tuple[int, int]:
    return eventlog.prune(services.retention_cutoff(retention_days)), idempotency.prune()


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    # Committed batches reach the hub through this one hand-off, in seq order.
    db = DatabaseThread(config.db_path, asyncio.get_running_loop(), lambda e: hub.publish(e))
    hub = Hub(db.run, sockets.DIALECTS)
    # Opening and migrating the file happen on the database thread too.
    await asyncio.to_thread(db.start)
    app[DB] = db
    app[HUB] = hub
    await db.run(services.ensure_first_shop, services.Ctx(SYSTEM))
    if config.demo:
        await db.run(demo.fill)
    hub.last_seq = await db.run(eventlog.last_seq)
    pruner = asyncio.create_task(_prune_forever(db, config.event_retention_days))
    try:
        yield
    finally:
        pruner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruner
        await asyncio.to_thread(db.stop)


async def _prune_forever(db: DatabaseThread, retention_days: int) -> None:
    while True:
        try:
            events, keys = await db.run(_prune, retention_days)
            if events or keys:
                log.info("pruned %d old events and %d idempotency keys", events, keys)
        except Exception:
            log.exception("pruning the event log failed")
        await asyncio.sleep(PRUNE_EVERY_S)


def make_app(config: Config) -> web.Application:
    app = web.Application(
        client_max_size=config.limits.http_body_bytes,
        middlewares=[api.errors_middleware, api.auth_middleware],
    )
    app[CONFIG] = config
    app[RUNTIME] = Runtime()
    app[TOKENS] = TokenCache()
    app[SELF_CHECKIN] = SlidingWindow(
        config.limits.self_checkin_joins, config.limits.self_checkin_window_s
    )
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(sockets.hub_ctx)
    api.bind(app)
    sockets.bind(app)
    pages.bind(app)
    return app
