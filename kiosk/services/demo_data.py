"""What `--demo` made, and "start for real" (SPEC §9): removing exactly that.

`--demo` writes into the shop's real data folder, so its rows are recorded by id (a
Setting row) when they are made: "start for real" deletes those and nothing made later.
A demo made before the record existed is found in the event log instead (its events
name the demo as their actor), for as long as the log keeps them.
"""

from __future__ import annotations

from typing import Any

import orjson

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.domain.errors import Conflict
from kiosk.domain.tickets import CHECKED_IN
from kiosk.domain.topics import topics_for_shop
from kiosk.services.context import Ctx, append_event, sql
from kiosk.services.line import bump_version
from kiosk.services.rows import get_shop
from kiosk.services.shops import unassign_waiting
from kiosk.store.database import Outcome
from kiosk.store.models import Appointment, Customer, Provider, QueueEntry, Setting

KEY = "demo"
DEMO_ACTOR_NAME = "demo"
KINDS = ("providers", "customers", "appointments", "entries")


def _stored() -> dict[str, Any] | None:
    row = Setting.get_or_none(Setting.key == KEY)
    return dict(row.value) if row is not None else None


def removed() -> bool:
    """After "start for real", `--demo` never fills the database again."""
    stored = _stored()
    return bool(stored and stored.get("removed_at"))


def record(shop_id: int, made: dict[str, list[int]]) -> None:
    """Remember the ids `--demo` just made (same transaction as the rows)."""
    Setting.replace(key=KEY, value={"shop_id": shop_id, **made}).execute()


def _from_event_log() -> dict[str, Any] | None:
    """A demo of an older release, which kept no record: its events say what it made."""
    rows = sql(
        "SELECT shop_id, data FROM event WHERE json_extract(actor, '$.role') = 'system' "
        "AND json_extract(actor, '$.name') = ? ORDER BY seq",
        (DEMO_ACTOR_NAME,),
    ).fetchall()
    if not rows:
        return None
    made: dict[str, Any] = {"shop_id": rows[0][0], **{kind: [] for kind in KINDS}}
    for _, raw in rows:
        data = orjson.loads(raw)
        if isinstance(data.get("provider"), dict):
            made["providers"].append(data["provider"]["id"])
        made["appointments"] += [a["id"] for a in data.get("appointments") or []]
        made["customers"] += [c["id"] for c in data.get("customers") or []]
        made["entries"] += [e["id"] for e in data.get("entries") or []]
    return made


def _made() -> dict[str, Any] | None:
    stored = _stored()
    if stored is not None:
        return None if stored.get("removed_at") else stored
    return _from_event_log()


def _ids(table: str, ids: list[int], extra: str = "", params: tuple[Any, ...] = ()) -> list[int]:
    if not ids and not extra:
        return []
    where = f"id IN ({', '.join('?' * len(ids))})" if ids else "0"
    return [r[0] for r in sql(f"SELECT id FROM {table} WHERE {where}{extra}", (*ids, *params))]


def _still_there(made: dict[str, Any]) -> dict[str, list[int]]:
    """The demo's rows that still exist, and the tickets that hang on them (a check-in of
    a demo appointment, a demo customer's): those are the demo's too."""
    customers = _ids("customer", made.get("customers", []))
    appointments = _ids("appointment", made.get("appointments", []))
    linked = ""
    params: tuple[Any, ...] = ()
    if appointments or customers:
        linked = (
            f" OR appointment_id IN ({', '.join('?' * len(appointments)) or 'NULL'})"
            f" OR customer_id IN ({', '.join('?' * len(customers)) or 'NULL'})"
        )
        params = (*appointments, *customers)
    return {
        "providers": _ids("provider", made.get("providers", [])),
        "customers": customers,
        "appointments": appointments,
        "entries": _ids("queue_entry", made.get("entries", []), linked, params),
    }


def summary() -> dict[str, Any]:
    """What "start for real" would remove: counts, for /admin's confirm dialog."""
    made = _made()
    rows = _still_there(made) if made else {kind: [] for kind in KINDS}
    counts = {kind: len(ids) for kind, ids in rows.items()}
    return {"present": any(counts.values()), **counts}


def remove_demo(ctx: Ctx) -> Outcome:
    """Delete the demo's rows in one transaction and one event. A demo provider that a
    later, real row still names is deactivated instead (history keeps its name)."""
    made = _made()
    rows = _still_there(made) if made else None
    if not rows or not any(rows.values()):
        raise Conflict("there is no demo data to remove", {})
    shop = get_shop(made["shop_id"])
    days = {
        d
        for (d,) in Appointment.select(Appointment.date)
        .where(Appointment.id.in_(rows["appointments"]))
        .tuples()
    }
    QueueEntry.delete().where(QueueEntry.id.in_(rows["entries"])).execute()
    Appointment.delete().where(Appointment.id.in_(rows["appointments"])).execute()
    still_named = {
        c
        for (c,) in sql(
            "SELECT customer_id FROM appointment UNION SELECT customer_id FROM queue_entry"
        )
    }
    Customer.delete().where(
        Customer.id.in_([c for c in rows["customers"] if c not in still_named])
    ).execute()
    kept = []
    for provider in Provider.select().where(Provider.id.in_(rows["providers"])):
        if _named_by_real_rows(provider.id):
            provider.active = False
            provider.save()
            unassign_waiting(provider)
            kept.append(provider.id)
        else:
            provider.delete_instance()
    _close_gaps(shop.id)
    version = bump_version(shop)
    Setting.replace(key=KEY, value={"removed_at": iso_utc(utcnow())}).execute()
    counts = {kind: len(ids) for kind, ids in rows.items()}
    event = append_event(
        ctx,
        shop,
        "demo_removed",
        [*topics_for_shop(shop), *sorted(f"date:{d}" for d in days)],
        removed={**rows, "providers_deactivated": kept},
        version=version,
    )
    return Outcome({"removed": counts}, (event,))


def _named_by_real_rows(provider_id: int) -> bool:
    return bool(
        sql(
            "SELECT EXISTS (SELECT 1 FROM appointment WHERE provider_id = ?) "
            "OR EXISTS (SELECT 1 FROM queue_entry WHERE provider_id = ?)",
            (provider_id, provider_id),
        ).fetchone()[0]
    )


def _close_gaps(shop_id: int) -> None:
    """Positions 1..n again over the waiting tickets that are left (SPEC §2)."""
    waiting = (
        QueueEntry.select(QueueEntry.id)
        .where((QueueEntry.shop == shop_id) & (QueueEntry.status == CHECKED_IN))
        .order_by(QueueEntry.position_in_queue)
    )
    for position, entry in enumerate(waiting, start=1):
        QueueEntry.update(position_in_queue=position).where(QueueEntry.id == entry.id).execute()
