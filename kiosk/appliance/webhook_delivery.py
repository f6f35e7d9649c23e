"""Sends the webhooks' outbox (SPEC §15): a chore beside the server, never in a
request's path, so a slow or dead receiver delays no join and no screen.

Each due delivery is POSTed with its signature; a 2xx answer marks it delivered,
anything else (an error status, a refused connection, a timeout) schedules the next
attempt on the backoff in services/webhooks.py. Rows left pending by a stop or a crash
are simply due again after the restart, under the same delivery id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.keys import DB
from kiosk.services import webhooks
from kiosk.store import webhook_outbox
from kiosk.store.database import DatabaseThread
from kiosk.tasks import running

log = logging.getLogger(__name__)

POLL_S = 1.0  # a new event is delivered within about this long
BATCH = 32
TIMEOUT_S = 10.0
KEEP_FINISHED_S = 7 * 24 * 3600
PRUNE_EVERY_S = 3600.0


async def webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    # No cookies and no proxies from the environment: the owner named the URL.
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    try:
        async with running(_deliver_forever(app[DB], session)):
            yield
    finally:
        await session.close()


async def _deliver_forever(db: DatabaseThread, session: aiohttp.ClientSession) -> None:
    pruned_at = 0.0
    while True:
        try:
            now = time.time()
            if now - pruned_at > PRUNE_EVERY_S:
                await db.run(webhook_outbox.prune, now - KEEP_FINISHED_S)
                pruned_at = now
            due = await db.read(webhook_outbox.due, now, BATCH)
            if due:
                await deliver_batch(db, session, due)
                if len(due) == BATCH:
                    continue  # more may be due: no pause while a backlog drains
        except Exception:
            log.exception("delivering webhooks failed; trying again shortly")
        await asyncio.sleep(POLL_S)


async def deliver_batch(
    db: DatabaseThread, session: aiohttp.ClientSession, due: list[dict[str, Any]]
) -> None:
    """One webhook's deliveries in seq order; different webhooks side by side, so one
    slow receiver does not hold up another."""
    by_hook: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for delivery in due:
        by_hook[delivery["webhook_id"]].append(delivery)

    async def one_hook(deliveries: list[dict[str, Any]]) -> None:
        for delivery in sorted(deliveries, key=lambda d: d["seq"]):
            await _attempt(db, session, delivery)

    await asyncio.gather(*(one_hook(d) for d in by_hook.values()))


async def _attempt(
    db: DatabaseThread, session: aiohttp.ClientSession, delivery: dict[str, Any]
) -> None:
    status: int | None = None
    error: str | None = None
    if delivery["at"] is None:
        error = "the event is no longer kept in the log"
    else:
        body = webhooks.body_of(delivery)
        headers = webhooks.headers_for(delivery, body, int(time.time()))
        try:
            async with session.post(
                delivery["url"], data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                if not 200 <= status < 300:
                    error = f"the receiver answered HTTP {status}"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300] or "the request failed"
    now = time.time()
    if error is None:
        state, next_at = "delivered", now
    elif delivery["at"] is None:
        state, next_at = "failed", now
    else:
        state, next_at = webhooks.next_attempt(delivery, now)
    await db.run(
        webhook_outbox.record,
        delivery["id"],
        delivery["webhook_id"],
        iso_utc(utcnow()),
        state,
        next_at,
        status,
        error,
    )
