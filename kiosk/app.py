"""`make_app(config)`: the application, its resources and its whole route table."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk.appliance import demo, discovery
from kiosk.appliance.advertising import WILDCARD_HOSTS, advertising_ctx
from kiosk.appliance.daily_backup import daily_backup_ctx
from kiosk.appliance.webhook_delivery import webhooks_ctx
from kiosk.config import Config
from kiosk.domain import clock
from kiosk.http import (
    api_accounts,
    api_appointments,
    api_devices,
    api_openapi,
    api_printer,
    api_queue,
    api_relay,
    api_reports,
    api_schedules,
    api_services,
    api_settings,
    api_shops,
    api_webhooks,
    pages,
)
from kiosk.http.connections import ConnectionCap
from kiosk.http.middleware import (
    auth_middleware,
    cors_middleware,
    errors_middleware,
    hosts_middleware,
)
from kiosk.keys import (
    CONFIG,
    DB,
    HOSTS,
    HTTP_CONNECTIONS,
    HUB,
    LOGIN_GUARD,
    PORT,
    PRESENCE,
    RUNTIME,
    SEEN,
    SELF_CHECKIN,
    SOCKETS_PER_ADDRESS,
    TOKENS,
)
from kiosk.realtime import polling, sockets
from kiosk.realtime.days import days_ctx
from kiosk.realtime.dialects import make_dialects
from kiosk.realtime.hub import Hub
from kiosk.realtime.presence import Presence
from kiosk.realtime.timers import timers_ctx
from kiosk.runtime import Runtime
from kiosk.security.hosts import HostNames, machine_names
from kiosk.security.limits import LoginGuard, SlidingWindow
from kiosk.security.tokens import TokenCache
from kiosk.services import accounts, settings, shops
from kiosk.services.context import Ctx
from kiosk.store import eventlog, idempotency, lock
from kiosk.store.database import DatabaseThread
from kiosk.store.eventlog import SYSTEM
from kiosk.tasks import running

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600
PRUNE_MAX_BATCHES = 1000  # 2 million events an hour at most: far beyond a shop's day
LAST_SEEN_EVERY_S = 60


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    # One server per data folder: `kiosk restore` and a second start can tell.
    with lock.held(config.data_dir):
        # Committed batches reach the hub through this one hand-off, in seq order.
        db = DatabaseThread(config.db_path, asyncio.get_running_loop(), lambda e: hub.publish(e))
        hub = Hub(db.read, make_dialects())
        # Opening and migrating the file happen on the database thread too.
        await asyncio.to_thread(db.start)
        app[DB] = db
        app[HUB] = hub
        app[PORT] = asyncio.get_running_loop().create_future()
        await db.run(shops.ensure_first_shop, Ctx(SYSTEM))
        if config.demo:
            await db.run(demo.fill)
        hub.last_seq = await db.run(eventlog.last_seq)
        runtime = app[RUNTIME]
        runtime.settings = await db.run(settings.load)
        if not await db.run(accounts.claimed):
            runtime.setup_secret = secrets.token_urlsafe(18)
        app[HOSTS] = await _host_names(config, await db.run(shops.install_id))
        try:
            async with running(
                _prune_forever(db, config.event_retention_days), _flush_last_seen(app)
            ):
                yield
        finally:
            await _flush_once(app)
            await asyncio.to_thread(db.stop)


async def prune_once(db: DatabaseThread, retention_days: int) -> tuple[int, int]:
    """Old events go in small batches, each its own write, so joins go on in between."""
    horizon = await db.read(eventlog.prune_horizon, clock.retention_cutoff(retention_days))
    events = 0
    for _ in range(PRUNE_MAX_BATCHES):
        dropped = await db.run(eventlog.prune_batch, horizon) if horizon else 0
        events += dropped
        if not dropped:
            break
    return events, await db.run(idempotency.prune)


async def _host_names(config: Config, install_id: str) -> HostNames:
    """The names this appliance answers to (SPEC §16), known once at start. The LAN
    address a client actually connected to is always accepted besides these, so an
    address that changes later (DHCP) still works."""
    addresses = await asyncio.to_thread(discovery.lan_addresses)
    if config.host not in WILDCARD_HOSTS:
        addresses.append(config.host)
    mdns_name = discovery.host_name_for(install_id)
    return HostNames(("localhost", mdns_name, *machine_names()), config.allowed_hosts, addresses)


async def _prune_forever(db: DatabaseThread, retention_days: int) -> None:
    while True:
        try:
            events, keys = await prune_once(db, retention_days)
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
        # The Host check first: nothing, not even an error page, answers a foreign name.
        middlewares=[hosts_middleware, cors_middleware, errors_middleware, auth_middleware],
    )
    app[CONFIG] = config
    app[RUNTIME] = Runtime()
    app[TOKENS] = TokenCache()
    app[SEEN] = set()
    app[SELF_CHECKIN] = SlidingWindow()
    app[LOGIN_GUARD] = LoginGuard()
    app[PRESENCE] = Presence()
    app[SOCKETS_PER_ADDRESS] = Counter()
    app[HTTP_CONNECTIONS] = ConnectionCap(lambda: app[RUNTIME].settings.limits.http_per_address)
    # Started in this order, stopped in reverse: the database outlives everything.
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(timers_ctx)
    app.cleanup_ctx.append(days_ctx)
    app.cleanup_ctx.append(advertising_ctx)
    app.cleanup_ctx.append(daily_backup_ctx)
    app.cleanup_ctx.append(webhooks_ctx)
    app.cleanup_ctx.append(api_printer.printer_ctx)
    for room in (
        api_shops,
        api_services,
        api_queue,
        api_appointments,
        api_schedules,
        api_relay,
        api_reports,
        api_accounts,
        api_devices,
        api_settings,
        api_webhooks,
        api_openapi,
        api_printer,
        polling,
        sockets,
        pages,
    ):
        room.bind(app)
    return app
