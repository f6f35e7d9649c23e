"""Appointments: book, change, check in (a checked-in appointment gets a ticket)."""

from __future__ import annotations

from typing import Any

from peewee import fn

from kiosk.domain import line_order, tickets
from kiosk.domain.clock import instant, local_stamp, shop_today, shop_zone, utcnow
from kiosk.domain.errors import Conflict, InvalidField, InvalidTransition, NotFound
from kiosk.domain.tickets import OPEN
from kiosk.domain.topics import topics_for_appointment, topics_for_queue
from kiosk.services import settings
from kiosk.services.context import Ctx, append_event
from kiosk.services.line import appointment_position, bump_version, new_entry, transition
from kiosk.services.rows import (
    active_provider,
    appointment_dict,
    appointment_rows,
    customer_dict,
    entries_in_full,
    get_shop,
)
from kiosk.store.database import Outcome
from kiosk.store.models import Appointment, Customer, Provider, QueueEntry


def _appointment(appointment_id: int) -> Appointment:
    appointment = Appointment.get_or_none(Appointment.id == appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment {appointment_id}", {"appointment_id": appointment_id})
    return appointment


def _open_entry_of(appointment: Appointment) -> QueueEntry | None:
    return QueueEntry.get_or_none(
        (QueueEntry.appointment == appointment.id) & QueueEntry.status.in_(OPEN)
    )


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
    return appointment_rows(
        " AND ".join(where) + " ORDER BY a.provider_id, a.slot, a.id", tuple(params)
    )


def _booked(provider_id: int, day: str):
    return Appointment.select().where(
        (Appointment.provider == provider_id)
        & (Appointment.date == day)
        & (Appointment.status != "cancelled")
    )


def _next_slot(provider_id: int, day: str) -> int:
    return (_booked(provider_id, day).select(fn.MAX(Appointment.slot)).scalar() or 0) + 1


def at_local_time(shop, day: str, local_time: str) -> str:
    """ "09:30" on a date, in the shop's zone with the offset of that day: staff book
    by the shop's clock, and a booking across a daylight-saving change keeps it."""
    hour, minute = (int(part) for part in local_time.split(":"))
    return local_stamp(shop.timezone, day, hour, minute)


def book(
    ctx: Ctx,
    provider_id: int,
    day: str,
    slot: int | None,
    starts_at: str | None,
    patient: dict[str, Any] | None,
    customer_id: int | None,
    local_time: str | None = None,
) -> Outcome:
    provider = Provider.get_or_none((Provider.id == provider_id) & Provider.active)
    if provider is None:
        raise InvalidField("provider_id", f"no active provider {provider_id}")
    shop = get_shop(provider.shop_id)
    if local_time is not None:
        starts_at = at_local_time(shop, day, local_time)
    if customer_id is not None:
        customer = Customer.get_or_none(Customer.id == customer_id)
        if customer is None:
            raise InvalidField("customer_id", f"no customer {customer_id}")
    else:
        assert patient is not None
        customer = Customer.create(**patient)
    taken = _booked(provider.id, day)
    if slot is None:
        slot = _next_slot(provider.id, day)
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
    event = append_event(
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
        moved, _ = transition(shop, entry, follow)  # also sets the appointment's status
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
        version = bump_version(shop)
        entries = entries_in_full(shop, [entry.id, *moved])
        topics += topics_for_queue(shop)
    event = append_event(
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
    """A ticket for an appointment, placed by its time (SPEC §10): early or on time, it
    goes before the first ticket for its provider expected to start after its time."""
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
    provider_id = provider.id if provider.active else None
    starts_at = instant(appointment.starts_at)
    grace = settings.load().appointment_grace_minutes
    placement = line_order.placement(starts_at, utcnow(), grace)
    position = None  # late, or no time: placed like a walk-in, at the end
    if placement in (line_order.EARLY, line_order.ON_TIME):
        position = appointment_position(shop, provider_id, starts_at)
    body, claim, moved = new_entry(
        shop,
        customer.id,
        customer.name,
        customer.phone,
        provider_id,
        "appointment",
        appointment.id,
        position=position,
    )
    appointment.status = "checked_in"
    appointment.save()
    version = bump_version(shop)
    event = append_event(
        ctx,
        shop,
        "appointment_checked_in",
        topics_for_queue(shop) + topics_for_appointment(shop, appointment.date),
        # The new ticket first (the dialects' new_entry), then those it went ahead of.
        entries=[body, *entries_in_full(shop, moved)],
        appointments=[appointment_dict(appointment, customer, body["id"])],
        placement=placement,
        version=version,
    )
    return Outcome({**body, "claim": claim, "placement": placement}, (event,))


MOVABLE = ("scheduled", "confirmed")


def move_appointment(
    ctx: Ctx,
    appointment_id: int,
    provider_id: int | None,
    day: str | None,
    local_time: str | None,
) -> Outcome:
    """Move a booking to another provider, date or time (staff on /staff, SPEC §9).
    Once checked in it has a ticket in the line, and moving it would strand that."""
    appointment = _appointment(appointment_id)
    if appointment.status not in MOVABLE:
        raise Conflict(
            f"a {appointment.status} appointment cannot be moved",
            {"status": appointment.status, "allowed": list(MOVABLE)},
        )
    shop = get_shop(appointment.shop_id)
    before = {
        "provider_id": appointment.provider_id,
        "date": appointment.date,
        "starts_at": appointment.starts_at,
    }
    provider = active_provider(shop, provider_id)
    new_provider = provider.id if provider else appointment.provider_id
    new_day = day or appointment.date
    if local_time is None and new_day != appointment.date and appointment.starts_at:
        # Another day, same time of day on the shop's clock.
        local_time = instant(appointment.starts_at).astimezone(shop_zone(shop)).strftime("%H:%M")
    if local_time is not None:
        appointment.starts_at = at_local_time(shop, new_day, local_time)
    if (new_provider, new_day) != (appointment.provider_id, appointment.date):
        appointment.slot = _next_slot(new_provider, new_day)
    appointment.provider = new_provider
    appointment.date = new_day
    appointment.save()
    body = appointment_dict(appointment, Customer.get_by_id(appointment.customer_id))
    topics = topics_for_appointment(shop, before["date"]) + topics_for_appointment(shop, new_day)
    event = append_event(
        ctx, shop, "appointment_moved", topics, appointments=[body], previous=before
    )
    return Outcome(body, (event,))
