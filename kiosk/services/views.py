"""Read models: the whole views that screens and dialects render (snapshots)."""

from __future__ import annotations

from typing import Any

from kiosk.domain.clock import day_in, iso_utc, shop_today, stamp, utcnow
from kiosk.services import settings
from kiosk.services.appointments import list_appointments
from kiosk.services.catalog import service_dict
from kiosk.services.context import sql
from kiosk.services.duty import hours_state, provider_states
from kiosk.services.rows import appointment_rows, entries_where, get_shop, open_entries
from kiosk.services.waits import fill_waits
from kiosk.store import eventlog
from kiosk.store.models import Service


def queue_snapshot(shop_id: int, seq: int | None = None) -> dict[str, Any]:
    """The queue display object (seed 000's `get_queue_display_data`): every open
    ticket, who is being served, and today's appointments, as of `seq`."""
    shop = get_shop(shop_id)
    line, busy = open_entries(shop)
    fill_waits(shop, line, busy)
    today = shop_today(shop)
    appointments = list_appointments(today, shop.id, None)
    return {
        "type": "queue_update",
        "shop_id": shop.id,
        "shop_name": shop.name,
        "language": shop.language,
        "kind": shop.kind,
        # The active providers and any retired one a ticket names (live on the TV, SPEC
        # §9), each with their duty now (SPEC §11): who the kiosk offers, the TV's tiles.
        "providers": provider_states(
            shop, busy, screen_providers(shop.id, {e["provider_id"] for e in busy + line})
        ),
        "services": screen_services(shop.id, {e["service_id"] for e in busy + line}),
        "seq": eventlog.last_seq() if seq is None else seq,
        "version": shop.queue_version,
        "display": settings.load().public(),
        "queue_items": busy + line,
        "now_serving": busy,
        # Open or closed, and when that changes (SPEC §11): screens switch by themselves.
        "hours": hours_state(shop),
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


_PROVIDER_KEYS = ("id", "shop_id", "name", "code", "specialty", "active")


def providers_in_view(where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    rows = sql(
        f"SELECT {', '.join(_PROVIDER_KEYS)} FROM provider WHERE {where} ORDER BY shop_id, id",
        params,
    ).fetchall()
    return [{**dict(zip(_PROVIDER_KEYS, row, strict=True)), "active": bool(row[5])} for row in rows]


def screen_providers(shop_id: int, referenced: set[int | None]) -> list[dict[str, Any]]:
    """The shop's active providers, and any deactivated one a ticket on screen still
    names: provider changes then reach every screen with the queue (SPEC §9), and a
    deactivated provider keeps their name wherever they are referenced."""
    ids = sorted(i for i in referenced if i is not None)
    named = f" OR id IN ({', '.join('?' * len(ids))})" if ids else ""
    return providers_in_view(f"shop_id = ? AND (active{named})", (shop_id, *ids))


def screen_services(shop_id: int, referenced: set[int | None]) -> list[dict[str, Any]]:
    """The shop's active services, and any retired one a ticket on screen still names,
    in the owner's order: like providers, a service renamed at /admin reaches every
    screen with the next queue update, with no read of its own (SPEC §10)."""
    ids = sorted(i for i in referenced if i is not None)
    query = Service.select().where(
        (Service.shop == shop_id) & (Service.active | Service.id.in_(ids))
    )
    return [service_dict(s) for s in query.order_by(Service.position, Service.id)]


def appointments_snapshot(day: str, shop_id: int) -> dict[str, Any]:
    """A shop's appointments for a date, as of the newest committed event."""
    shop = get_shop(shop_id)
    return {
        "shop_id": shop.id,
        "date": day,
        "seq": eventlog.last_seq(),
        "appointments": list_appointments(day, shop.id, None),
    }


def shop_zones() -> list[tuple[int, str]]:
    """Every shop's id and timezone: whose day turns when."""
    return [(row[0], row[1]) for row in sql("SELECT id, timezone FROM shop ORDER BY id")]


def central_snapshot(day: str, shop_id: int | None) -> dict[str, Any]:
    """Everything the central monitor shows for a date (seed 002), as neutral data:
    the providers in scope, the date's appointments with their tickets, and the
    date's tickets; on a shop's today also its tickets still open from earlier days,
    which hold the front of the real line. The dialect shapes it into seed 002's JSON."""
    scope, params = ("", ()) if shop_id is None else (" AND shop_id = ?", (shop_id,))
    if shop_id is not None:
        get_shop(shop_id)
    appointments = appointment_rows(
        "a.date = ?" + scope.replace("shop_id", "a.shop_id") + " ORDER BY a.slot, a.id",
        (day, *params),
    )
    now = utcnow()
    todays = {
        shop: day_in(zone, now) for shop, zone in shop_zones() if shop_id is None or shop == shop_id
    }
    carried = [shop for shop, today in todays.items() if today == day]
    where = "e.ticket_day = ?"
    if carried:
        where = (
            "(e.ticket_day = ? OR (e.ticket_day < ? AND e.shop_id IN "
            f"({', '.join('?' * len(carried))}) "
            "AND e.status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')))"
        )
    entries = entries_where(
        where + scope.replace("shop_id", "e.shop_id") + " ORDER BY e.id",
        (day, *((day, *carried) if carried else ()), *params),
    )
    # An appointment's ticket: the newest one issued for it (a re-check-in after a
    # cancelled ticket shows the live one).
    by_appointment = {e["appointment_id"]: e for e in entries if e["appointment_id"]}
    # A deactivated provider's day stays under their name: their appointments and
    # tickets are still the shop's (issue 13: the monitor counted 7 where the TV showed 8).
    named = sorted({r["provider_id"] for r in (*appointments, *entries)} - {None})
    listed_ids = f" OR id IN ({', '.join('?' * len(named))})" if named else ""
    providers = providers_in_view(f"(active{listed_ids}){scope}", (*named, *params))
    listed = set()
    for appointment in appointments:
        appointment["entry"] = by_appointment.get(appointment["id"])
        listed.add(appointment["id"])
    return {
        "date": day,
        "shop_id": shop_id,
        # The day the shops in scope are living (None when their zones disagree): a
        # screen showing "today" follows it to the next day.
        "today": next(iter(todays.values())) if len(set(todays.values())) == 1 else None,
        "seq": eventlog.last_seq(),
        "providers": providers,
        "appointments": appointments,
        # A ticket carried over for yesterday's appointment has no row today: it is
        # shown with the walk-ins rather than lost.
        "walk_ins": [e for e in entries if e["appointment_id"] not in listed],
        "timestamp": iso_utc(now),
    }


def today_of(shop_id: int) -> str:
    return shop_today(get_shop(shop_id))


def appointments_today(shop_id: int) -> dict[str, Any]:
    return appointments_snapshot(today_of(shop_id), shop_id)
