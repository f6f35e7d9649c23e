"""`make_app(config)`: the application, its resources and its whole route table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk import (
    accounts,
    api,
    api_auth,
    demo,
    eventlog,
    idempotency,
    pages,
    services,
    settings,
    sockets,
)
from kiosk.auth import SlidingWindow, TokenCache
from kiosk.config import Config
from kiosk.db import DatabaseThread
from kiosk.eventlog import SYSTEM
from kiosk.hub import Hub
from kiosk.keys import CONFIG, DB, HUB, RUNTIME, SEEN, SELF_CHECKIN, TOKENS
from kiosk.state import Runtime

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600
LAST_SEEN_EVERY_S = 60


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
    runtime = app[RUNTIME]
    runtime.settings = await db.run(settings.load)
    if not await db.run(accounts.claimed):
        runtime.setup_secret = secrets.token_urlsafe(18)
    chores = [
        asyncio.create_task(_prune_forever(db, config.event_retention_days)),
        asyncio.create_task(_flush_last_seen(app)),
    ]
    try:
        yield
    finally:
        for chore in chores:
            chore.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*chores)
        await _flush_once(app)
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


async def _flush_last_seen(app: web.Application) -> None:
    while True:
        await asyncio.sleep(LAST_SEEN_EVERY_S)
        await _flush_once(app)


async def _flush_once(app: web.Application) -> None:
    """Devices' last-seen times: one write a minute, not one per request."""
    seen = app[SEEN]
    ids = [token_id for token_id in seen if token_id is not None]
    seen.clear()
    if ids:
        try:
            await app[DB].run(accounts.touch, ids)
        except Exception:
            log.exception("recording last-seen times failed")


def make_app(config: Config) -> web.Application:
    app = web.Application(
        client_max_size=config.http_body_bytes,
        middlewares=[api.errors_middleware, api.auth_middleware],
    )
    app[CONFIG] = config
    app[RUNTIME] = Runtime()
    app[TOKENS] = TokenCache()
    app[SELF_CHECKIN] = SlidingWindow()
    app[SEEN] = set()
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(sockets.hub_ctx)
    api.bind(app)
    api_auth.bind(app)
    sockets.bind(app)
    pages.bind(app)
    return app
