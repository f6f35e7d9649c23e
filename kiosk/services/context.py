"""What every use case shares: who acts, one event appended per write, plain SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.store import eventlog, webhook_outbox
from kiosk.store.eventlog import Actor
from kiosk.store.models import Shop, database


@dataclass(frozen=True)
class Ctx:
    """Who is acting; every event names them for the audit trail."""

    actor: Actor


def append_event(
    ctx: Ctx, shop: Shop | None, type: str, topics: list[str], /, **data: Any
) -> eventlog.Event:
    event = eventlog.append(
        type=type,
        at=iso_utc(utcnow()),
        shop_id=shop.id if shop else None,
        actor=ctx.actor,
        topics=topics,
        data={k: v for k, v in data.items() if v is not None},
    )
    webhook_outbox.enqueue(event)  # same transaction: owed to webhooks iff committed
    return event


def sql(statement: str, params: tuple[Any, ...] = ()):
    # The join path runs a dozen statements per ticket; peewee's query builder costs
    # ~0.1 ms each to render, plain SQL (prepared and cached by sqlite3) a few µs.
    return database.execute_sql(statement, params)
