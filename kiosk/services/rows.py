"""Rows as plain dicts, in full (unredacted): the shapes every read and event carries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from kiosk.domain.clock import instant
from kiosk.domain.errors import InvalidField, NotFound
from kiosk.domain.tickets import CHECKED_IN, IN_SERVICE
from kiosk.domain.waits import Estimate
from kiosk.services.context import sql
from kiosk.services.waits import fill_waits, range_of
from kiosk.store.models import Appointment, Customer, Provider, QueueEntry, Shop


def shop_dict(shop: Shop) -> dict[str, Any]:
    return {
        "id": shop.id,
        "name": shop.name,
        "timezone": shop.timezone,
        "default_service_minutes": shop.default_service_minutes,
        "queue_version": shop.queue_version,
        "language": shop.language,
        "kind": shop.kind,
        "opening_hours": shop.opening_hours,
        "closures": shop.closures,
        "last_join_minutes": shop.last_join_minutes,
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


def entry_dict(e: QueueEntry, wait: Estimate | None, phone: str | None = None) -> dict[str, Any]:
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
        "service_id": e.service_id,
        "priority": bool(e.priority),
        "estimated_wait_at_join": e.estimated_wait_at_join,
        "close_reason": e.close_reason,
        "announced_at": e.announced_at,
        "estimated_wait_minutes": wait.minutes if wait else None,
        "estimated_wait_range": range_of(wait),
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


_SHOP_COLUMNS = (
    "id",
    "name",
    "timezone",
    "queue_version",
    "default_service_minutes",
    "created_at",
    "language",
    "kind",
    "opening_hours",
    "closures",
    "last_join_minutes",
)
_JSON_COLUMNS = ("opening_hours", "closures")


def get_shop(shop_id: int) -> Shop:
    row = sql(f"SELECT {', '.join(_SHOP_COLUMNS)} FROM shop WHERE id = ?", (shop_id,)).fetchone()
    if row is None:
        raise NotFound(f"no shop {shop_id}", {"shop_id": shop_id})
    columns = dict(zip(_SHOP_COLUMNS, row, strict=True))
    for name in _JSON_COLUMNS:  # plain SQL hands back the stored text
        columns[name] = None if columns[name] is None else orjson.loads(columns[name])
    return Shop(**columns)


def active_provider(
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


def entry_by_id(entry_id: int) -> QueueEntry:
    entry = QueueEntry.get_or_none(QueueEntry.id == entry_id)
    if entry is None:
        raise NotFound(f"no queue entry {entry_id}", {"entry_id": entry_id})
    return entry


def phone_of(entry: QueueEntry) -> str | None:
    return Customer.select(Customer.phone).where(Customer.id == entry.customer_id).scalar()


def claim_hash(claim: str) -> str:
    return hashlib.sha256(claim.encode()).hexdigest()


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
    "service_id",
    "priority",
    "estimated_wait_at_join",
    "close_reason",
    "announced_at",
)
_ENTRY_SELECT = (
    "SELECT e.id, e.shop_id, e.provider_id, e.customer_id, e.full_name, c.phone, e.ticket, "
    "e.position_in_queue, e.status, e.source, e.appointment_id, e.checked_in_at, e.called_at, "
    "e.started_at, e.completed_at, e.service_id, e.priority, e.estimated_wait_at_join, "
    "e.close_reason, e.announced_at "
    "FROM queue_entry AS e JOIN customer AS c ON c.id = e.customer_id"
)


def entries_where(where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Entries as dicts straight from SQL: the hub reads these on every change, and
    building peewee models for them cost ten times the query."""
    rows = sql(f"{_ENTRY_SELECT} WHERE {where}", params).fetchall()
    entries = []
    for row in rows:
        entry = dict(zip(_ENTRY_KEYS, row, strict=True))
        entry["priority"] = bool(entry["priority"])
        entry["estimated_wait_minutes"] = None
        entry["estimated_wait_range"] = None
        entries.append(entry)
    return entries


def open_entries(shop: Shop) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the line by position, those called or in service by call time)."""
    rows = entries_where(
        "e.shop_id = ? AND e.status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')", (shop.id,)
    )
    line = sorted(
        (r for r in rows if r["status"] == CHECKED_IN), key=lambda r: r["position_in_queue"]
    )
    return line, serving_order(r for r in rows if r["status"] != CHECKED_IN)


_NEVER_CALLED = datetime.min.replace(tzinfo=UTC)


def serving_order(busy: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those in service first, then by the instant they were called (not the text of
    the stamp: its offset changes at a daylight-saving change)."""
    return sorted(
        busy,
        key=lambda r: (
            r["status"] != IN_SERVICE,
            instant(r["called_at"]) or _NEVER_CALLED,
            r["id"],
        ),
    )


def entries_in_full(shop: Shop, ids: list[int]) -> list[dict[str, Any]]:
    """Changed entries in full, for an event's data (their waits as of this change)."""
    if not ids:
        return []
    rows = entries_where(f"e.id IN ({', '.join('?' * len(ids))}) ORDER BY e.id", tuple(ids))
    if any(r["status"] == CHECKED_IN for r in rows):
        # The same estimate as the display's (queue_snapshot): those being served count.
        line, busy = open_entries(shop)
        fill_waits(shop, line, busy)
        waits = {e["id"]: e for e in line}
        for row in rows:
            if row["id"] in waits:
                row["estimated_wait_minutes"] = waits[row["id"]]["estimated_wait_minutes"]
                row["estimated_wait_range"] = waits[row["id"]]["estimated_wait_range"]
    return rows


_APPOINTMENT_SELECT = (
    "SELECT a.id, a.shop_id, a.provider_id, a.customer_id, a.date, a.slot, a.starts_at, "
    "a.status, c.id, c.name, c.phone, c.age, c.gender, "
    "(SELECT e.id FROM queue_entry AS e WHERE e.appointment_id = a.id "
    " AND e.status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE') ORDER BY e.id DESC LIMIT 1) "
    "FROM appointment AS a JOIN customer AS c ON c.id = a.customer_id"
)


def appointment_rows(where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
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
        for r in sql(f"{_APPOINTMENT_SELECT} WHERE {where}", params).fetchall()
    ]


def provider_by_id(provider_id: int) -> Provider:
    provider = Provider.get_or_none(Provider.id == provider_id)
    if provider is None:
        raise NotFound(f"no provider {provider_id}", {"provider_id": provider_id})
    return provider
