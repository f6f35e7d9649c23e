"""The use cases: join, call, start, complete, reorder, check in, book, ...

Each write is a plain synchronous function run on the database thread inside a
savepoint (db.py). It validates against the current state, changes the rows, appends
exactly ONE event describing everything it changed, and returns an `Outcome` with the
resource for the caller and that event for the hub. Reads return plain dicts in full
(unredacted); redaction is the renderer's job (redaction.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peewee import fn

from kiosk import eventlog, settings, tickets
from kiosk.db import Outcome
from kiosk.errors import Conflict, InvalidField, InvalidTransition, NotFound, StaleVersion
from kiosk.eventlog import Actor
from kiosk.models import (
    Appointment,
    Customer,
    Provider,
    QueueEntry,
    Setting,
    Shop,
    database,
)
from kiosk.tickets import CALLED, CHECKED_IN, IN_SERVICE, OPEN

RECENT_SERVICES = 20

# Events relayed by POST /api/v1/events (seed 003's emit_*, seed 004's schedules).
RELAY_TYPE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
ROOM_NAME = re.compile(r"^[a-z0-9:_-]{1,64}$")
SEVERITIES = ("info", "success", "warning", "error")
# Types the appliance sends itself: a relayed event must not impersonate them.
RESERVED_TYPES = frozenset(
    {
        "queue_update",
        "new_entry",
        "appointment_update",
        "user_connected",
        "user_disconnected",
        "snapshot",
        "update",
        "pong",
        "error",
        "room_joined",
        "room_left",
        "subscribed",
        "unsubscribed",
        "connection:established",
        "connection:error",
    }
)


# ---------------------------------------------------------------- time and places


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def shop_zone(shop: Shop) -> ZoneInfo:
    return ZoneInfo(shop.timezone)


def shop_now(shop: Shop) -> datetime:
    return utcnow().astimezone(shop_zone(shop))


def shop_today(shop: Shop) -> str:
    return shop_now(shop).date().isoformat()


def stamp(shop: Shop) -> str:
    """A timestamp for a resource: ISO-8601 with the shop's own offset (SPEC §2)."""
    return shop_now(shop).isoformat(timespec="seconds")


def system_timezone() -> str:
    """The PC's IANA zone, so a first start needs no setup to get local times right."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and valid_timezone(name):
            return name
    return "UTC"


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def topics_for_queue(shop: Shop) -> list[str]:
    # The central monitor (date topic) lists today's walk-ins, so queue changes touch it.
    return [f"queue:{shop.id}", f"date:{shop_today(shop)}"]


def topics_for_appointment(shop: Shop, day: str) -> list[str]:
    topics = [f"appointments:{shop.id}", f"date:{day}"]
    if day == shop_today(shop):  # today's appointments are part of the queue display
        topics.append(f"queue:{shop.id}")
    return topics


def topics_for_shop(shop: Shop) -> list[str]:
    return [*topics_for_queue(shop), f"appointments:{shop.id}"]


# ---------------------------------------------------------------- context


@dataclass(frozen=True)
class Ctx:
    """Who is acting; every event names them for the audit trail."""

    actor: Actor


def _event(
    ctx: Ctx, shop: Shop | None, type: str, topics: list[str], /, **data: Any
) -> eventlog.Event:
    return eventlog.append(
        type=type,
        at=iso_utc(utcnow()),
        shop_id=shop.id if shop else None,
        actor=ctx.actor,
        topics=topics,
        data={k: v for k, v in data.items() if v is not None},
    )


# ---------------------------------------------------------------- rendering (full)


def shop_dict(shop: Shop) -> dict[str, Any]:
    return {
        "id": shop.id,
        "name": shop.name,
        "timezone": shop.timezone,
        "default_service_minutes": shop.default_service_minutes,
        "queue_version": shop.queue_version,
    }


def provider_dict(p: Provider) -> dict[str, Any]:
    return {
        "id": p.id,
        "shop_id": p.shop_id,
        "name": p.name,
        "code": p.code,
        "specialty": p.specialty,
        "active": p.active,
    }


def customer_dict(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "phone": c.phone, "age": c.age, "gender": c.gender}


def entry_dict(e: QueueEntry, wait: int | None, phone: str | None = None) -> dict[str, Any]:
    return {
        "id": e.id,
        "shop_id": e.shop_id,
        "provider_id": e.provider_id,
        "customer_id": e.customer_id,
        "full_name": e.full_name,
        "phone": phone,
        "ticket": e.ticket,
        "position_in_queue": e.position_in_queue,
        "status": e.status,
        "source": e.source,
        "appointment_id": e.appointment_id,
        "checked_in_at": e.checked_in_at,
        "called_at": e.called_at,
        "started_at": e.started_at,
        "completed_at": e.completed_at,
        "estimated_wait_minutes": wait,
    }


def appointment_dict(
    a: Appointment, customer: Customer, entry_id: int | None = None
) -> dict[str, Any]:
    return {
        "id": a.id,
        "shop_id": a.shop_id,
        "provider_id": a.provider_id,
        "customer_id": a.customer_id,
        "customer": customer_dict(customer),
        "date": a.date,
        "slot": a.slot,
        "starts_at": a.starts_at,
        "status": a.status,
        "queue_entry_id": entry_id,
    }


# ---------------------------------------------------------------- lookups


def _sql(statement: str, params: tuple[Any, ...] = ()):
    # The join path runs a dozen statements per ticket; peewee's query builder costs
    # ~0.1 ms each to render, plain SQL (prepared and cached by sqlite3) a few µs.
    return database.execute_sql(statement, params)


_SHOP_COLUMNS = ("id", "name", "timezone", "queue_version", "default_service_minutes", "created_at")


def get_shop(shop_id: int) -> Shop:
    row = _sql(f"SELECT {', '.join(_SHOP_COLUMNS)} FROM shop WHERE id = ?", (shop_id,)).fetchone()
    if row is None:
        raise NotFound(f"no shop {shop_id}", {"shop_id": shop_id})
    return Shop(**dict(zip(_SHOP_COLUMNS, row, strict=True)))


def _provider_for(
    shop: Shop, provider_id: int | None, field: str = "provider_id"
) -> Provider | None:
    if provider_id is None:
        return None
    provider = Provider.get_or_none(
        (Provider.id == provider_id) & (Provider.shop == shop.id) & Provider.active
    )
    if provider is None:
        raise InvalidField(field, f"no active provider {provider_id} in shop {shop.id}")
    return provider


def _entry(entry_id: int) -> QueueEntry:
    entry = QueueEntry.get_or_none(QueueEntry.id == entry_id)
    if entry is None:
        raise NotFound(f"no queue entry {entry_id}", {"entry_id": entry_id})
    return entry


def _phone_of(entry: QueueEntry) -> str | None:
    return Customer.select(Customer.phone).where(Customer.id == entry.customer_id).scalar()


def claim_hash(claim: str) -> str:
    return hashlib.sha256(claim.encode()).hexdigest()


# ---------------------------------------------------------------- wait estimates


_SERVICE_MINUTES = "(julianday(completed_at) - julianday(started_at)) * 1440"


def _shop_minutes(shop: Shop) -> float:
    """Typical minutes per customer in this shop, from its latest services."""
    rows = _sql(
        f"SELECT {_SERVICE_MINUTES} FROM queue_entry WHERE shop_id = ? AND completed_at "
        "IS NOT NULL AND status = 'COMPLETED' AND started_at IS NOT NULL "
        "ORDER BY completed_at DESC LIMIT ?",
        (shop.id, RECENT_SERVICES * 2),
    ).fetchall()
    return tickets.typical_minutes([r[0] for r in rows], shop.default_service_minutes)


def _provider_minutes(provider_id: int, shop_minutes: float) -> float:
    rows = _sql(
        f"SELECT {_SERVICE_MINUTES} FROM queue_entry WHERE provider_id = ? AND completed_at "
        "IS NOT NULL AND status = 'COMPLETED' AND started_at IS NOT NULL "
        "ORDER BY completed_at DESC LIMIT ?",
        (provider_id, RECENT_SERVICES),
    ).fetchall()
    return tickets.typical_minutes([r[0] for r in rows], shop_minutes)


def _providers_on_duty(shop: Shop) -> int:
    return _sql(
        "SELECT COUNT(*) FROM provider WHERE shop_id = ? AND active", (shop.id,)
    ).fetchone()[0]


def waits_for_line(
    shop: Shop, line: list[dict[str, Any]], busy: list[dict[str, Any]]
) -> dict[int, int]:
    """Estimated minutes for every waiting entry of a shop's line, in one pass."""
    shop_minutes = _shop_minutes(shop)
    per_provider = {
        pid: _provider_minutes(pid, shop_minutes)
        for pid in {e["provider_id"] for e in (*line, *busy)}
        if pid is not None
    }
    on_duty = _providers_on_duty(shop)
    busy_by_provider: dict[int | None, int] = defaultdict(int)
    for entry in busy:
        busy_by_provider[entry["provider_id"]] += 1
    ahead_by_provider: dict[int | None, int] = defaultdict(int)
    waits: dict[int, int] = {}
    for entry in line:  # ordered by position
        pid = entry["provider_id"]
        if pid is None:
            waits[entry["id"]] = tickets.estimate_wait(
                ahead_same_provider=sum(v for k, v in ahead_by_provider.items() if k is not None),
                ahead_unassigned=ahead_by_provider[None],
                busy_same_provider=sum(busy_by_provider.values()),
                minutes_per_customer=shop_minutes,
                providers_on_duty=on_duty,
                assigned=False,
            )
        else:
            waits[entry["id"]] = tickets.estimate_wait(
                ahead_same_provider=ahead_by_provider[pid],
                ahead_unassigned=ahead_by_provider[None],
                busy_same_provider=busy_by_provider[pid],
                minutes_per_customer=per_provider.get(pid, shop_minutes),
                providers_on_duty=on_duty,
                assigned=True,
            )
        ahead_by_provider[pid] += 1
    return waits


def wait_for(
    shop: Shop, entry_id: int, provider_id: int | None, position: int | None
) -> int | None:
    """The same estimate as `waits_for_line`, for one entry, from two counting queries
    instead of a pass over the whole line (a join must not cost O(line) in Python)."""
    if position is None:
        return None
    ahead_unassigned, ahead_same, ahead_assigned = _sql(
        "SELECT COALESCE(SUM(provider_id IS NULL), 0), COALESCE(SUM(provider_id = ?), 0), "
        "COALESCE(SUM(provider_id IS NOT NULL), 0) FROM queue_entry "
        "WHERE shop_id = ? AND status = 'CHECKED_IN' AND position_in_queue < ?",
        (provider_id, shop.id, position),
    ).fetchone()
    busy_all, busy_same = _sql(
        "SELECT COUNT(*), COALESCE(SUM(provider_id = ?), 0) FROM queue_entry "
        "WHERE shop_id = ? AND status IN ('CALLED', 'IN_SERVICE')",
        (provider_id, shop.id),
    ).fetchone()
    shop_minutes = _shop_minutes(shop)
    on_duty = _providers_on_duty(shop)
    if provider_id is None:
        return tickets.estimate_wait(
            ahead_same_provider=ahead_assigned,
            ahead_unassigned=ahead_unassigned,
            busy_same_provider=busy_all,
            minutes_per_customer=shop_minutes,
            providers_on_duty=on_duty,
            assigned=False,
        )
    return tickets.estimate_wait(
        ahead_same_provider=ahead_same,
        ahead_unassigned=ahead_unassigned,
        busy_same_provider=busy_same,
        minutes_per_customer=_provider_minutes(provider_id, shop_minutes),
        providers_on_duty=on_duty,
        assigned=True,
    )


def wait_of(shop: Shop, entry: QueueEntry) -> int | None:
    if entry.status != CHECKED_IN:
        return None
    return wait_for(shop, entry.id, entry.provider_id, entry.position_in_queue)


# ---------------------------------------------------------------- the line


def _line(shop: Shop) -> list[QueueEntry]:
    return list(
        QueueEntry.select()
        .where((QueueEntry.shop == shop.id) & (QueueEntry.status == CHECKED_IN))
        .order_by(QueueEntry.position_in_queue)
    )


def _bump_version(shop: Shop) -> int:
    shop.queue_version = _sql(
        "UPDATE shop SET queue_version = queue_version + 1 WHERE id = ? RETURNING queue_version",
        (shop.id,),
    ).fetchone()[0]
    return shop.queue_version


def _take_out_of_line(shop: Shop, entry: QueueEntry) -> list[int]:
    """Close the gap an entry leaves; returns the ids whose position moved."""
    gap = entry.position_in_queue
    entry.position_in_queue = None
    if gap is None:
        return []
    behind = QueueEntry.select(QueueEntry.id).where(
        (QueueEntry.shop == shop.id)
        & (QueueEntry.status == CHECKED_IN)
        & (QueueEntry.position_in_queue > gap)
        & (QueueEntry.id != entry.id)
    )
    moved = [row.id for row in behind]
    if moved:
        QueueEntry.update(position_in_queue=QueueEntry.position_in_queue - 1).where(
            QueueEntry.id.in_(moved)
        ).execute()
    return moved


def _put_at_front(shop: Shop, entry: QueueEntry) -> list[int]:
    line = QueueEntry.select(QueueEntry.id).where(
        (QueueEntry.shop == shop.id)
        & (QueueEntry.status == CHECKED_IN)
        & (QueueEntry.id != entry.id)
    )
    moved = [row.id for row in line]
    if moved:
        QueueEntry.update(position_in_queue=QueueEntry.position_in_queue + 1).where(
            QueueEntry.id.in_(moved)
        ).execute()
    entry.position_in_queue = 1
    return moved


_ENTRY_KEYS = (
    "id",
    "shop_id",
    "provider_id",
    "customer_id",
    "full_name",
    "phone",
    "ticket",
    "position_in_queue",
    "status",
    "source",
    "appointment_id",
    "checked_in_at",
    "called_at",
    "started_at",
    "completed_at",
)
_ENTRY_SELECT = (
    "SELECT e.id, e.shop_id, e.provider_id, e.customer_id, e.full_name, c.phone, e.ticket, "
    "e.position_in_queue, e.status, e.source, e.appointment_id, e.checked_in_at, e.called_at, "
    "e.started_at, e.completed_at FROM queue_entry AS e JOIN customer AS c ON c.id = e.customer_id"
)


def _entries(where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Entries as dicts straight from SQL: the hub reads these on every change, and
    building peewee models for them cost ten times the query."""
    rows = _sql(f"{_ENTRY_SELECT} WHERE {where}", params).fetchall()
    return [
        {**dict(zip(_ENTRY_KEYS, row, strict=True)), "estimated_wait_minutes": None} for row in rows
    ]


def _open_entries(shop: Shop) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the line by position, those called or in service by call time)."""
    rows = _entries(
        "e.shop_id = ? AND e.status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')", (shop.id,)
    )
    line = sorted(
        (r for r in rows if r["status"] == CHECKED_IN), key=lambda r: r["position_in_queue"]
    )
    busy = sorted(
        (r for r in rows if r["status"] != CHECKED_IN),
        key=lambda r: (r["status"] != IN_SERVICE, r["called_at"] or "", r["id"]),
    )
    return line, busy


def _entries_full(shop: Shop, ids: list[int]) -> list[dict[str, Any]]:
    """Changed entries in full, for an event's data (their waits as of this change)."""
    if not ids:
        return []
    rows = _entries(f"e.id IN ({', '.join('?' * len(ids))}) ORDER BY e.id", tuple(ids))
    if any(r["status"] == CHECKED_IN for r in rows):
        # The same estimate as the display's (queue_snapshot): those being served count.
        waits = waits_for_line(shop, *_open_entries(shop))
        for row in rows:
            row["estimated_wait_minutes"] = waits.get(row["id"])
    return rows


def _next_ticket(shop: Shop, day: str, prefix: str) -> str:
    number = _sql(
        "INSERT INTO ticket_counter (shop_id, day, prefix, last) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (shop_id, day, prefix) DO UPDATE SET last = last + 1 RETURNING last",
        (shop.id, day, prefix),
    ).fetchone()[0]
    return tickets.ticket_code(prefix, number)


def _new_entry(
    shop: Shop,
    customer_id: int,
    full_name: str,
    phone: str | None,
    provider_id: int | None,
    source: str,
    appointment_id: int | None = None,
) -> tuple[dict[str, Any], str]:
    """Issue a ticket at the end of the line; returns the entry in full and its claim."""
    day = shop_today(shop)
    prefix = tickets.APPOINTMENT_PREFIX if appointment_id else tickets.WALK_IN_PREFIX
    # Positions are 1..n, so the end of the line is MAX + 1 (an index seek, not a count).
    position = _sql(
        "SELECT COALESCE(MAX(position_in_queue), 0) + 1 FROM queue_entry "
        "WHERE shop_id = ? AND status = 'CHECKED_IN'",
        (shop.id,),
    ).fetchone()[0]
    claim = secrets.token_urlsafe(18)
    ticket = _next_ticket(shop, day, prefix)
    checked_in_at = stamp(shop)
    entry_id = _sql(
        "INSERT INTO queue_entry (shop_id, provider_id, customer_id, full_name, ticket, "
        "ticket_day, position_in_queue, status, source, appointment_id, claim_hash, "
        "checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'CHECKED_IN', ?, ?, ?, ?)",
        (
            shop.id,
            provider_id,
            customer_id,
            full_name,
            ticket,
            day,
            position,
            source,
            appointment_id,
            claim_hash(claim),
            checked_in_at,
        ),
    ).lastrowid
    entry = {
        "id": entry_id,
        "shop_id": shop.id,
        "provider_id": provider_id,
        "customer_id": customer_id,
        "full_name": full_name,
        "phone": phone,
        "ticket": ticket,
        "position_in_queue": position,
        "status": CHECKED_IN,
        "source": source,
        "appointment_id": appointment_id,
        "checked_in_at": checked_in_at,
        "called_at": None,
        "started_at": None,
        "completed_at": None,
        "estimated_wait_minutes": wait_for(shop, entry_id, provider_id, position),
    }
    return entry, claim


# ---------------------------------------------------------------- shops and providers


def ensure_first_shop(ctx: Ctx, name: str = "My Shop") -> Outcome:
    """First start creates shop 1 in the PC's timezone, and the install id."""
    Setting.insert(key="install_id", value=secrets.token_hex(8)).on_conflict_ignore().execute()
    if Shop.select().exists():
        return Outcome(None)
    return create_shop(ctx, name, system_timezone())


def install_id() -> str:
    return Setting.get_by_id("install_id").value


def list_shops() -> list[dict[str, Any]]:
    return [shop_dict(s) for s in Shop.select().order_by(Shop.id)]


def read_shop(shop_id: int) -> dict[str, Any]:
    return shop_dict(get_shop(shop_id))


def create_shop(ctx: Ctx, name: str, timezone: str | None) -> Outcome:
    timezone = timezone or system_timezone()
    if not valid_timezone(timezone):
        raise InvalidField("timezone", f"unknown timezone {timezone!r}")
    shop = Shop.create(name=name, timezone=timezone, created_at=iso_utc(utcnow()))
    body = shop_dict(shop)
    return Outcome(body, (_event(ctx, shop, "shop_created", topics_for_shop(shop), shop=body),))


def update_shop(ctx: Ctx, shop_id: int, changes: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    if "timezone" in changes and not valid_timezone(changes["timezone"]):
        raise InvalidField("timezone", f"unknown timezone {changes['timezone']!r}")
    for key, value in changes.items():
        setattr(shop, key, value)
    shop.save()
    body = shop_dict(shop)
    return Outcome(body, (_event(ctx, shop, "shop_updated", topics_for_shop(shop), shop=body),))


def list_providers(shop_id: int, include_inactive: bool = False) -> list[dict[str, Any]]:
    get_shop(shop_id)
    query = Provider.select().where(Provider.shop == shop_id).order_by(Provider.id)
    if not include_inactive:
        query = query.where(Provider.active)
    return [provider_dict(p) for p in query]


def create_provider(ctx: Ctx, shop_id: int, fields: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    provider = Provider.create(shop=shop.id, **fields)
    body = provider_dict(provider)
    event = _event(ctx, shop, "provider_created", topics_for_shop(shop), provider=body)
    return Outcome(body, (event,))


def _provider(provider_id: int) -> Provider:
    provider = Provider.get_or_none(Provider.id == provider_id)
    if provider is None:
        raise NotFound(f"no provider {provider_id}", {"provider_id": provider_id})
    return provider


def update_provider(ctx: Ctx, provider_id: int, changes: dict[str, Any]) -> Outcome:
    provider = _provider(provider_id)
    shop = get_shop(provider.shop_id)
    unassigned: list[int] = []
    for key, value in changes.items():
        setattr(provider, key, value)
    provider.save()
    if changes.get("active") is False:
        unassigned = _unassign_waiting(provider)
    body = provider_dict(provider)
    version = _bump_version(shop) if unassigned else None
    event = _event(
        ctx,
        shop,
        "provider_updated",
        topics_for_shop(shop),
        provider=body,
        entries=_entries_full(shop, unassigned) or None,
        version=version,
    )
    return Outcome(body, (event,))


def delete_provider(ctx: Ctx, provider_id: int) -> Outcome:
    """Retire a provider: history keeps its name, so the row stays, inactive; tickets
    waiting for them go back to 'anyone' instead of waiting forever."""
    provider = _provider(provider_id)
    shop = get_shop(provider.shop_id)
    provider.active = False
    provider.save()
    unassigned = _unassign_waiting(provider)
    version = _bump_version(shop) if unassigned else None
    body = provider_dict(provider)
    event = _event(
        ctx,
        shop,
        "provider_deleted",
        topics_for_shop(shop),
        provider=body,
        entries=_entries_full(shop, unassigned) or None,
        version=version,
    )
    return Outcome(body, (event,))


def _unassign_waiting(provider: Provider) -> list[int]:
    ids = [
        row.id
        for row in QueueEntry.select(QueueEntry.id).where(
            (QueueEntry.provider == provider.id) & (QueueEntry.status == CHECKED_IN)
        )
    ]
    if ids:
        QueueEntry.update(provider=None).where(QueueEntry.id.in_(ids)).execute()
    return ids


# ---------------------------------------------------------------- queue use cases


def join(
    ctx: Ctx,
    shop_id: int,
    full_name: str,
    phone: str | None,
    provider_id: int | None,
    source: str,
) -> Outcome:
    shop = get_shop(shop_id)
    if provider_id is not None:
        _provider_for(shop, provider_id)
    customer_id = _sql(
        "INSERT INTO customer (name, phone) VALUES (?, ?)", (full_name, phone)
    ).lastrowid
    body, claim = _new_entry(shop, customer_id, full_name, phone, provider_id, source)
    version = _bump_version(shop)
    customer = {"id": customer_id, "name": full_name, "phone": phone, "age": None, "gender": None}
    event = _event(
        ctx,
        shop,
        "queue_joined",
        topics_for_queue(shop),
        entries=[body],
        customers=[customer],
        version=version,
    )
    return Outcome({**body, "claim": claim}, (event,))


EVENT_FOR_STATUS = {
    tickets.CALLED: "queue_called",
    tickets.CHECKED_IN: "queue_recalled",
    tickets.IN_SERVICE: "queue_started",
    tickets.COMPLETED: "queue_completed",
    tickets.LEFT: "queue_left",
    tickets.NO_SHOW: "queue_no_show",
    tickets.CANCELLED: "queue_cancelled",
}


def _transition(shop: Shop, entry: QueueEntry, target: str) -> tuple[list[int], Appointment | None]:
    """Move a ticket to `target`; returns the other entries whose position moved and
    the appointment that moved with it."""
    if not tickets.can_move(entry.status, target):
        allowed = list(tickets.allowed(entry.status))
        moves = ", ".join(allowed) or "none"
        raise InvalidTransition(
            f"a {entry.status} ticket cannot become {target}; allowed: {moves}",
            {"from": entry.status, "to": target, "allowed": allowed},
        )
    now = stamp(shop)
    moved: list[int] = []
    if entry.status == CHECKED_IN:
        moved = _take_out_of_line(shop, entry)
    if target == CHECKED_IN:  # recall: back in line, at the front
        moved = _put_at_front(shop, entry)
        entry.called_at = None
    elif target == CALLED:
        entry.called_at = now
    elif target == IN_SERVICE:
        entry.started_at = now
    else:
        entry.completed_at = now
    entry.status = target
    entry.save()
    appointment = None
    follow = tickets.APPOINTMENT_FOR_TICKET.get(target)
    if entry.appointment_id and follow:
        appointment = Appointment.get_by_id(entry.appointment_id)
        if appointment.status != follow:
            appointment.status = follow
            appointment.save()
        else:
            appointment = None
    return moved, appointment


def _queue_outcome(
    ctx: Ctx,
    shop: Shop,
    entry: QueueEntry,
    type: str,
    moved: list[int],
    appointment: Appointment | None,
) -> Outcome:
    version = _bump_version(shop)
    changed = _entries_full(shop, [entry.id, *moved])
    topics = topics_for_queue(shop)
    appointments = None
    if appointment is not None:
        topics += topics_for_appointment(shop, appointment.date)
        appointments = [
            appointment_dict(appointment, Customer.get_by_id(appointment.customer_id), entry.id)
        ]
    body = next(e for e in changed if e["id"] == entry.id)
    event = _event(
        ctx, shop, type, topics, entries=changed, appointments=appointments, version=version
    )
    return Outcome(body, (event,))


def update_entry(
    ctx: Ctx, entry_id: int, status: str | None, provider_id: int | None, move: bool
) -> Outcome:
    """PATCH a ticket: change its status, or move it to another provider, or both."""
    entry = _entry(entry_id)
    shop = get_shop(entry.shop_id)
    if move:
        if entry.status not in OPEN:
            raise Conflict(
                f"a {entry.status} ticket is closed and cannot be moved",
                {"status": entry.status},
            )
        provider = _provider_for(shop, provider_id)
        entry.provider = provider.id if provider else None
        entry.save()
    moved: list[int] = []
    appointment = None
    type = "queue_moved"
    if status is not None and (status != entry.status or not move):
        # Asking for the status it already has fails here too: the client should know.
        moved, appointment = _transition(shop, entry, status)
        type = EVENT_FOR_STATUS[status]
    return _queue_outcome(ctx, shop, entry, type, moved, appointment)


def call_next(ctx: Ctx, shop_id: int, provider_id: int | None) -> Outcome:
    shop = get_shop(shop_id)
    provider = _provider_for(shop, provider_id)
    query = QueueEntry.select().where(
        (QueueEntry.shop == shop.id) & (QueueEntry.status == CHECKED_IN)
    )
    if provider is not None:
        query = query.where((QueueEntry.provider == provider.id) | QueueEntry.provider.is_null())
    entry = query.order_by(QueueEntry.position_in_queue).first()
    if entry is None:
        raise NotFound("nobody is waiting", {"shop_id": shop.id, "provider_id": provider_id})
    if provider is not None:  # the customer now goes to this provider's chair
        entry.provider = provider.id
    moved, appointment = _transition(shop, entry, CALLED)
    return _queue_outcome(ctx, shop, entry, "queue_called", moved, appointment)


def reorder(ctx: Ctx, shop_id: int, entry_ids: list[int], version: int) -> Outcome:
    shop = get_shop(shop_id)
    line = _line(shop)
    current = [e.id for e in line]
    if version != shop.queue_version:
        raise StaleVersion(
            f"the queue changed (version {shop.queue_version}, you sent {version}); reload it",
            {"version": shop.queue_version, "entry_ids": current},
        )
    if len(entry_ids) != len(set(entry_ids)) or set(entry_ids) != set(current):
        raise InvalidField("entry_ids", "must list every waiting entry of the shop exactly once")
    moved = []
    for position, entry_id in enumerate(entry_ids, start=1):
        if current[position - 1] != entry_id:
            moved.append(entry_id)
            QueueEntry.update(position_in_queue=position).where(QueueEntry.id == entry_id).execute()
    new_version = _bump_version(shop)
    changed = _entries_full(shop, moved)
    event = _event(
        ctx,
        shop,
        "queue_reordered",
        topics_for_queue(shop),
        entries=changed,
        order=entry_ids,
        version=new_version,
    )
    return Outcome(queue_snapshot(shop.id, seq=None), (event,))


def ticket_by_claim(claim: str) -> dict[str, Any]:
    entry = QueueEntry.get_or_none(QueueEntry.claim_hash == claim_hash(claim))
    if entry is None:
        raise NotFound("no such ticket")
    shop = get_shop(entry.shop_id)
    provider_name = (
        Provider.select(Provider.name).where(Provider.id == entry.provider_id).scalar()
        if entry.provider_id
        else None
    )
    return {
        **entry_dict(entry, wait_of(shop, entry), _phone_of(entry)),
        "provider_name": provider_name,
        "shop_name": shop.name,
    }


def leave_by_claim(ctx: Ctx, claim: str) -> Outcome:
    entry = QueueEntry.get_or_none(QueueEntry.claim_hash == claim_hash(claim))
    if entry is None:
        raise NotFound("no such ticket")
    shop = get_shop(entry.shop_id)
    moved, appointment = _transition(shop, entry, tickets.LEFT)
    return _queue_outcome(ctx, shop, entry, "queue_left", moved, appointment)


# ---------------------------------------------------------------- appointments


def _appointment(appointment_id: int) -> Appointment:
    appointment = Appointment.get_or_none(Appointment.id == appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment {appointment_id}", {"appointment_id": appointment_id})
    return appointment


def _open_entry_of(appointment: Appointment) -> QueueEntry | None:
    return QueueEntry.get_or_none(
        (QueueEntry.appointment == appointment.id) & QueueEntry.status.in_(OPEN)
    )


_APPOINTMENT_SELECT = (
    "SELECT a.id, a.shop_id, a.provider_id, a.customer_id, a.date, a.slot, a.starts_at, "
    "a.status, c.id, c.name, c.phone, c.age, c.gender, "
    "(SELECT e.id FROM queue_entry AS e WHERE e.appointment_id = a.id "
    " AND e.status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE') ORDER BY e.id DESC LIMIT 1) "
    "FROM appointment AS a JOIN customer AS c ON c.id = a.customer_id"
)


def _appointment_rows(where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": r[0],
            "shop_id": r[1],
            "provider_id": r[2],
            "customer_id": r[3],
            "customer": {"id": r[8], "name": r[9], "phone": r[10], "age": r[11], "gender": r[12]},
            "date": r[4],
            "slot": r[5],
            "starts_at": r[6],
            "status": r[7],
            "queue_entry_id": r[13],
        }
        for r in _sql(f"{_APPOINTMENT_SELECT} WHERE {where}", params).fetchall()
    ]


def list_appointments(
    day: str, shop_id: int | None, provider_id: int | None
) -> list[dict[str, Any]]:
    where, params = ["a.date = ?"], [day]
    if shop_id is not None:
        where.append("a.shop_id = ?")
        params.append(shop_id)
    if provider_id is not None:
        where.append("a.provider_id = ?")
        params.append(provider_id)
    return _appointment_rows(
        " AND ".join(where) + " ORDER BY a.provider_id, a.slot, a.id", tuple(params)
    )


def book(
    ctx: Ctx,
    provider_id: int,
    day: str,
    slot: int | None,
    starts_at: str | None,
    patient: dict[str, Any] | None,
    customer_id: int | None,
) -> Outcome:
    provider = Provider.get_or_none((Provider.id == provider_id) & Provider.active)
    if provider is None:
        raise InvalidField("provider_id", f"no active provider {provider_id}")
    shop = get_shop(provider.shop_id)
    if customer_id is not None:
        customer = Customer.get_or_none(Customer.id == customer_id)
        if customer is None:
            raise InvalidField("customer_id", f"no customer {customer_id}")
    else:
        assert patient is not None
        customer = Customer.create(**patient)
    taken = Appointment.select().where(
        (Appointment.provider == provider.id)
        & (Appointment.date == day)
        & (Appointment.status != "cancelled")
    )
    if slot is None:
        slot = (taken.select(fn.MAX(Appointment.slot)).scalar() or 0) + 1
    elif taken.where(Appointment.slot == slot).exists():
        raise Conflict(
            f"slot {slot} of {day} is already booked with this provider",
            {"provider_id": provider.id, "date": day, "slot": slot},
        )
    appointment = Appointment.create(
        shop=shop.id,
        provider=provider.id,
        customer=customer.id,
        date=day,
        slot=slot,
        starts_at=starts_at,
        status="scheduled",
    )
    body = appointment_dict(appointment, customer)
    event = _event(
        ctx,
        shop,
        "appointment_created",
        topics_for_appointment(shop, day),
        appointments=[body],
        customers=[customer_dict(customer)],
    )
    return Outcome(body, (event,))


def update_appointment(ctx: Ctx, appointment_id: int, status: str) -> Outcome:
    appointment = _appointment(appointment_id)
    shop = get_shop(appointment.shop_id)
    allowed = tickets.APPOINTMENT_TRANSITIONS.get(appointment.status, ())
    if status not in allowed or status == "checked_in":
        allowed_here = [s for s in allowed if s != "checked_in"]
        raise InvalidTransition(
            f"a {appointment.status} appointment cannot become {status}"
            + ("" if status != "checked_in" else " here; check in with POST /api/v1/checkins"),
            {"from": appointment.status, "to": status, "allowed": allowed_here},
        )
    entry = _open_entry_of(appointment)
    moved: list[int] = []
    follow = tickets.TICKET_FOR_APPOINTMENT.get(status)
    if entry is not None and follow is not None:
        moved, _ = _transition(shop, entry, follow)  # also sets the appointment's status
        appointment = Appointment.get_by_id(appointment.id)
    appointment.status = status
    appointment.save()
    customer = Customer.get_by_id(appointment.customer_id)
    body = appointment_dict(
        appointment, customer, entry.id if entry and entry.status in OPEN else None
    )
    topics = topics_for_appointment(shop, appointment.date)
    entries = None
    version = None
    if entry is not None and follow is not None:
        version = _bump_version(shop)
        entries = _entries_full(shop, [entry.id, *moved])
        topics += topics_for_queue(shop)
    event = _event(
        ctx,
        shop,
        "appointment_updated",
        topics,
        appointments=[body],
        entries=entries,
        version=version,
    )
    return Outcome(body, (event,))


def check_in(ctx: Ctx, appointment_id: int, patient_id: int | None) -> Outcome:
    # The id comes in the body, so an unknown one is a bad field (422), not a 404.
    appointment = Appointment.get_or_none(Appointment.id == appointment_id)
    if appointment is None:
        raise InvalidField("appointment_id", f"no appointment {appointment_id}")
    shop = get_shop(appointment.shop_id)
    if patient_id is not None and patient_id != appointment.customer_id:
        raise InvalidField("patient_id", "does not match the appointment's patient")
    if appointment.status not in ("scheduled", "confirmed"):
        raise InvalidTransition(
            f"a {appointment.status} appointment cannot be checked in",
            {
                "from": appointment.status,
                "to": "checked_in",
                "allowed": list(tickets.APPOINTMENT_TRANSITIONS[appointment.status]),
            },
        )
    today = shop_today(shop)
    if appointment.date != today:
        raise Conflict(
            f"this appointment is for {appointment.date}, not today ({today})",
            {"date": appointment.date, "today": today},
        )
    customer = Customer.get_by_id(appointment.customer_id)
    provider = Provider.get_by_id(appointment.provider_id)
    body, claim = _new_entry(
        shop,
        customer.id,
        customer.name,
        customer.phone,
        provider.id if provider.active else None,
        "appointment",
        appointment.id,
    )
    appointment.status = "checked_in"
    appointment.save()
    version = _bump_version(shop)
    event = _event(
        ctx,
        shop,
        "appointment_checked_in",
        topics_for_queue(shop) + topics_for_appointment(shop, appointment.date),
        entries=[body],
        appointments=[appointment_dict(appointment, customer, body["id"])],
        version=version,
    )
    return Outcome({**body, "claim": claim}, (event,))


# ---------------------------------------------------------------- snapshots (reads)


def queue_snapshot(shop_id: int, seq: int | None = None) -> dict[str, Any]:
    """The queue display object (seed 000's `get_queue_display_data`): every open
    ticket, who is being served, and today's appointments, as of `seq`."""
    shop = get_shop(shop_id)
    line, busy = _open_entries(shop)
    waits = waits_for_line(shop, line, busy)
    for entry in line:
        entry["estimated_wait_minutes"] = waits[entry["id"]]
    today = shop_today(shop)
    appointments = list_appointments(today, shop.id, None)
    return {
        "type": "queue_update",
        "shop_id": shop.id,
        "shop_name": shop.name,
        "seq": eventlog.last_seq() if seq is None else seq,
        "version": shop.queue_version,
        "display": settings.load().public(),
        "queue_items": busy + line,
        "now_serving": busy,
        "appointments_today": {
            "date": today,
            "total": sum(1 for a in appointments if a["status"] != "cancelled"),
            "checked_in": sum(
                1 for a in appointments if a["status"] in ("checked_in", "in_progress", "completed")
            ),
            "appointments": appointments,
        },
        "timestamp": stamp(shop),
    }


def retention_cutoff(days: int) -> str:
    return iso_utc(utcnow() - timedelta(days=max(7, days)))


def is_date(text: str) -> bool:
    """YYYY-MM-DD exactly: fromisoformat also takes "20261122" and "2026-W47-1", which
    would be stored as written and never match a listing by date."""
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return len(text) > 10  # a time too, not a bare date


def appointments_snapshot(day: str, shop_id: int) -> dict[str, Any]:
    """A shop's appointments for a date, as of the newest committed event."""
    shop = get_shop(shop_id)
    return {
        "shop_id": shop.id,
        "date": day,
        "seq": eventlog.last_seq(),
        "appointments": list_appointments(day, shop.id, None),
    }


def central_snapshot(day: str, shop_id: int | None) -> dict[str, Any]:
    """Everything the central monitor shows for a date (seed 002), as neutral data:
    the providers in scope, the date's appointments with their tickets, and the
    date's walk-in tickets. The dialect shapes it into seed 002's JSON."""
    scope, params = ("", ()) if shop_id is None else (" AND shop_id = ?", (shop_id,))
    if shop_id is not None:
        get_shop(shop_id)
    providers = [
        dict(zip(("id", "shop_id", "name", "code", "specialty", "active"), row, strict=True))
        for row in _sql(
            "SELECT id, shop_id, name, code, specialty, active FROM provider WHERE active"
            f"{scope} ORDER BY shop_id, id",
            params,
        ).fetchall()
    ]
    for provider in providers:
        provider["active"] = bool(provider["active"])
    appointments = _appointment_rows(
        "a.date = ?" + scope.replace("shop_id", "a.shop_id") + " ORDER BY a.slot, a.id",
        (day, *params),
    )
    entries = _entries(
        "e.ticket_day = ?" + scope.replace("shop_id", "e.shop_id") + " ORDER BY e.id",
        (day, *params),
    )
    # An appointment's ticket: the newest one issued for it (a re-check-in after a
    # cancelled ticket shows the live one).
    by_appointment = {e["appointment_id"]: e for e in entries if e["appointment_id"]}
    for appointment in appointments:
        appointment["entry"] = by_appointment.get(appointment["id"])
    return {
        "date": day,
        "shop_id": shop_id,
        "seq": eventlog.last_seq(),
        "providers": providers,
        "appointments": appointments,
        "walk_ins": [e for e in entries if not e["appointment_id"]],
        "timestamp": iso_utc(utcnow()),
    }


def today_of(shop_id: int) -> str:
    return shop_today(get_shop(shop_id))


def appointments_today(shop_id: int) -> dict[str, Any]:
    return appointments_snapshot(today_of(shop_id), shop_id)


def read_provider(provider_id: int) -> dict[str, Any]:
    return provider_dict(_provider(provider_id))


def relay(
    ctx: Ctx,
    type: str,
    room: str | None,
    user_id: int | None,
    severity: str | None,
    data: dict[str, Any],
) -> Outcome:
    """Log an integrator's event so it reaches a room, one user, or everyone, and can
    be replayed to a socket that resumes."""
    # A user named means that user only (the room, if any, is its label): otherwise a
    # member of the room who is also that user would get it twice.
    if user_id is not None:
        topics = [f"user:{user_id}"]
    elif room is not None:
        topics = [room]
    else:
        topics = ["*"]
    body = {"relayed": True, "room": room, "user_id": user_id, "severity": severity, "data": data}
    event = _event(ctx, None, type, topics, **body)
    del body["relayed"]
    return Outcome({"type": type, **body}, (event,))
