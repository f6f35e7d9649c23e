"""The event log: one row per use case, the source of broadcasts, resume and audit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from peewee import SQL, fn

from kiosk.store.models import Event as EventRow
from kiosk.store.models import EventTopic, database


@dataclass(frozen=True)
class Actor:
    """Who did it: the audit trail names the device or person, not just a role."""

    role: str
    token_id: int | None = None
    name: str | None = None
    address: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "token_id": self.token_id,
            "name": self.name,
            "address": self.address,
        }


SYSTEM = Actor(role="system", name="system")


@dataclass(frozen=True)
class Event:
    """A committed event as it leaves the database thread (plain data, no ORM)."""

    seq: int
    at: str
    shop_id: int | None
    type: str
    actor: dict[str, Any]
    topics: tuple[str, ...]
    data: dict[str, Any] = field(hash=False)


def append(
    *,
    type: str,
    at: str,
    shop_id: int | None,
    actor: Actor,
    topics: Iterable[str],
    data: dict[str, Any],
) -> Event:
    """Write one event row and its topic index; call inside the use case's transaction."""
    topic_list = sorted(set(topics))
    actor_dict = actor.as_dict()
    # Plain SQL: this runs once per write, and peewee's query builder would cost more
    # than the inserts themselves.
    seq = database.execute_sql(
        "INSERT INTO event (at, shop_id, type, actor, topics, data) VALUES (?, ?, ?, ?, ?, ?)",
        (
            at,
            shop_id,
            type,
            orjson.dumps(actor_dict).decode(),
            orjson.dumps(topic_list).decode(),
            orjson.dumps(data).decode(),
        ),
    ).lastrowid
    database.cursor().executemany(
        "INSERT INTO event_topic (topic, seq) VALUES (?, ?)", [(t, seq) for t in topic_list]
    )
    return Event(seq, at, shop_id, type, actor_dict, tuple(topic_list), data)


def _from_row(row: EventRow) -> Event:
    return Event(row.seq, row.at, row.shop_id, row.type, row.actor, tuple(row.topics), row.data)


def last_seq() -> int:
    return EventRow.select(fn.MAX(EventRow.seq)).scalar() or 0


def oldest_seq() -> int | None:
    return EventRow.select(fn.MIN(EventRow.seq)).scalar()


def bounds() -> tuple[int | None, int]:
    """(oldest seq still kept, newest seq): what a resume can be served from."""
    return oldest_seq(), last_seq()


def since(seq: int, topics: Iterable[str], limit: int = 10_000) -> list[Event]:
    """Events after `seq` that touched any of `topics`, once each, in seq order."""
    topic_list = list(set(topics))
    if not topic_list:
        return []
    seqs = EventTopic.select(EventTopic.seq).where(
        EventTopic.topic.in_(topic_list), EventTopic.seq > seq
    )
    rows = EventRow.select().where(EventRow.seq.in_(seqs)).order_by(EventRow.seq).limit(limit)
    return [_from_row(r) for r in rows]


def recent(limit: int = 100, before: int | None = None, relayed: bool = True) -> list[Event]:
    query = EventRow.select().order_by(EventRow.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(EventRow.seq < before)
    if not relayed:  # integrators' chatter (POST /api/v1/events) is not an action here
        query = query.where(SQL("json_extract(data, '$.relayed') IS NULL"))
    return [_from_row(r) for r in query]


def prune_horizon(older_than_iso: str) -> int:
    """The newest seq older than the cut-off (0: none), found by bisecting seq, which
    grows with time: `at` has no index, and scanning it would take the whole log."""
    low, high = oldest_seq() or 0, last_seq() - 1  # the newest event is always kept
    found = 0
    while low <= high:
        middle = (low + high) // 2
        row = database.execute_sql(
            "SELECT seq, at FROM event WHERE seq >= ? ORDER BY seq LIMIT 1", (middle,)
        ).fetchone()
        if row is None or row[0] > high or row[1] >= older_than_iso:
            high = middle - 1
        else:
            found, low = row[0], row[0] + 1
    return found


def prune_batch(up_to_seq: int, batch: int = 2000) -> int:
    """Drop up to `batch` of the oldest events at or below `up_to_seq`; the newest event
    is never among them, so `last_seq` and the seq counter never move backwards. Small
    batches keep each write short: the writer serves joins in between."""
    return database.execute_sql(
        "DELETE FROM event WHERE seq IN (SELECT seq FROM event WHERE seq <= ? AND seq < ? "
        "ORDER BY seq LIMIT ?)",
        (up_to_seq, last_seq(), batch),
    ).rowcount
