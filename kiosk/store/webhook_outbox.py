"""The webhooks' outbox (SPEC §15): rows owed to integrators' URLs, written in the
transaction of the event they carry, so a delivery is never lost to a restart.

The delivery worker (appliance/webhook_delivery.py) reads what is due and records each
attempt here; nothing in this module waits on the network.
"""

from __future__ import annotations

import time
from typing import Any

from kiosk.store.eventlog import Event
from kiosk.store.models import database

# The owner's own changes to webhooks are never posted to them (their secrets are not
# an integrator's business, and a webhook would otherwise hear about itself).
OWN_EVENTS_PREFIX = "webhook_"

# One statement per event: with no webhook the SELECT finds no row in an empty table,
# a few microseconds in the writer's transaction (measured with bench_joins).
_ENQUEUE = (
    "INSERT INTO webhook_delivery (id, webhook_id, seq, type, created_at, next_at, attempts, "
    "state) SELECT lower(hex(randomblob(16))), w.id, ?, ?, ?, ?, 0, 'pending' FROM webhook AS w "
    "WHERE w.active AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value IN (?, '*'))"
)


def enqueue(event: Event) -> None:
    """Inside the event's transaction: owe it to every active webhook that wants it."""
    if event.type.startswith(OWN_EVENTS_PREFIX):
        return
    now = time.time()
    database.execute_sql(_ENQUEUE, (event.seq, event.type, now, now, event.type))


def due(now: float, limit: int) -> list[dict[str, Any]]:
    """Deliveries whose time has come, with their webhook and event, oldest first. A
    paused webhook's deliveries wait for it to be resumed."""
    rows = database.execute_sql(
        "SELECT d.id, d.seq, d.type, d.created_at, d.attempts, w.id, w.url, w.secret, "
        "w.include_contact, e.at, e.shop_id, e.data FROM webhook_delivery AS d "
        "JOIN webhook AS w ON w.id = d.webhook_id LEFT JOIN event AS e ON e.seq = d.seq "
        "WHERE d.state = 'pending' AND d.next_at <= ? AND w.active "
        "ORDER BY d.next_at LIMIT ?",
        (now, limit),
    ).fetchall()
    keys = (
        "id",
        "seq",
        "type",
        "created_at",
        "attempts",
        "webhook_id",
        "url",
        "secret",
        "include_contact",
        "at",
        "shop_id",
        "data",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def next_due() -> float | None:
    """When the earliest pending delivery is due (None: nothing is owed)."""
    return database.execute_sql(
        "SELECT MIN(next_at) FROM webhook_delivery WHERE state = 'pending'"
    ).fetchone()[0]


def record(
    delivery_id: str,
    webhook_id: int,
    at: str,
    state: str,
    next_at: float,
    status: int | None,
    error: str | None,
) -> None:
    """One attempt's outcome, on the delivery and on its webhook (what /admin shows)."""
    with database.atomic():
        database.execute_sql(
            "UPDATE webhook_delivery SET attempts = attempts + 1, state = ?, next_at = ?, "
            "last_status = ?, last_error = ? WHERE id = ?",
            (state, next_at, status, error, delivery_id),
        )
        success = at if state == "delivered" else None
        database.execute_sql(
            "UPDATE webhook SET last_attempt_at = ?, last_status = ?, last_error = ?, "
            "last_success_at = COALESCE(?, last_success_at) WHERE id = ?",
            (at, status, error, success, webhook_id),
        )


def prune(older_than: float) -> int:
    """Finished deliveries go after a week; pending ones stay until done or given up."""
    return database.execute_sql(
        "DELETE FROM webhook_delivery WHERE state != 'pending' AND next_at < ?", (older_than,)
    ).rowcount


def recent(webhook_id: int, limit: int = 5) -> list[dict[str, Any]]:
    rows = database.execute_sql(
        "SELECT id, seq, type, attempts, state, last_status, last_error, next_at "
        "FROM webhook_delivery WHERE webhook_id = ? ORDER BY seq DESC, id LIMIT ?",
        (webhook_id, limit),
    ).fetchall()
    keys = ("id", "seq", "type", "attempts", "state", "last_status", "last_error", "next_at")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def pending_count(webhook_id: int) -> int:
    return database.execute_sql(
        "SELECT COUNT(*) FROM webhook_delivery WHERE webhook_id = ? AND state = 'pending'",
        (webhook_id,),
    ).fetchone()[0]
