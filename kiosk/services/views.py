"""Read models: the whole views that screens and dialects render (snapshots)."""

from __future__ import annotations

from typing import Any

from kiosk.domain.clock import day_in, iso_utc, shop_today, stamp, utcnow
from kiosk.services import settings
from kiosk.services.appointments import list_appointments
from kiosk.services.context import sql
from kiosk.services.duty import hours_state, provider_states
from kiosk.services.rows import appointment_rows, entries_where, get_shop, open_entries
from kiosk.services.waits import fill_waits
from kiosk.store import eventlog


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
        "seq": eventlog.last_seq() if seq is None else seq,
        "version": shop.queue_version,
        "display": settings.load().public(),
        "queue_items": busy + line,
        "now_serving": busy,
        # Open or closed, and when that changes (SPEC §11): screens switch by themselves.
        "hours": hours_state(shop),
        # Each active provider's state for the TV and who the kiosk may offer.
        "providers": provider_states(shop, busy),
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
    providers = [
        dict(zip(("id", "shop_id", "name", "code", "specialty", "active"), row, strict=True))
        for row in sql(
            "SELECT id, shop_id, name, code, specialty, active FROM provider WHERE active"
            f"{scope} ORDER BY shop_id, id",
            params,
        ).fetchall()
    ]
    for provider in providers:
        provider["active"] = bool(provider["active"])
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
