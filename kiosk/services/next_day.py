"""The next day (SPEC §11): at the first opening of a shop's new local day, tickets
left open from earlier days are closed in one event; and what the passing of time
alone changes on a shop's screens (opening, closing, shifts and breaks)."""

from __future__ import annotations

from datetime import datetime

from kiosk.domain.clock import utcnow
from kiosk.domain.tickets import CALLED, CANCELLED, CHECKED_IN, COMPLETED, IN_SERVICE
from kiosk.domain.topics import topics_for_appointment, topics_for_queue
from kiosk.services import settings
from kiosk.services.context import Ctx, append_event, sql
from kiosk.services.duty import duties, hours_of, hours_state, next_change
from kiosk.services.line import bump_version, transition
from kiosk.services.rows import appointment_dict, entries_in_full, get_shop
from kiosk.store.database import Outcome
from kiosk.store.models import Customer, QueueEntry, Shop

DAY_CLOSED = "day_closed"
# What an earlier day's open ticket becomes at the next day's opening.
CLOSED_AS = {CHECKED_IN: CANCELLED, CALLED: CANCELLED, IN_SERVICE: COMPLETED}


def clock_view(shop_id: int, now: datetime) -> tuple[tuple, datetime | None]:
    """What the passing of time alone changes on a shop's screens, and when next."""
    shop = get_shop(shop_id)
    states = tuple((d.state, d.until) for d in duties(shop, now).values())
    return (tuple(hours_state(shop, now).items()), states), next_change(shop, now)


def _earlier_open(shop: Shop, day: str) -> list[QueueEntry]:
    return list(
        QueueEntry.select()
        .where(
            (QueueEntry.shop == shop.id)
            & (QueueEntry.ticket_day < day)
            & QueueEntry.status.in_(tuple(CLOSED_AS))
        )
        .order_by(QueueEntry.position_in_queue.desc(nulls="LAST"), QueueEntry.id)
    )


def closing_due(shop: Shop, now: datetime) -> bool:
    """Past the first opening of the shop's local day, with tickets of earlier days still
    open, and the owner not keeping them. A shop without hours never closes any."""
    hours = hours_of(shop)
    if not hours.is_set:
        return False
    day = hours.local_day(now)
    first = hours.first_opening(day)
    if first is None or now < first or settings.load().carry_over:
        return False
    return (
        sql(
            "SELECT 1 FROM queue_entry WHERE shop_id = ? AND ticket_day < ? "
            "AND status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE') LIMIT 1",
            (shop.id, day.isoformat()),
        ).fetchone()
        is not None
    )


def shops_due_for_closing() -> list[int]:
    now = utcnow()
    return [
        shop_id
        for (shop_id,) in sql("SELECT id FROM shop WHERE opening_hours IS NOT NULL").fetchall()
        if closing_due(get_shop(shop_id), now)
    ]


def close_earlier_days(ctx: Ctx, shop_id: int) -> Outcome:
    """Close, in one event, every ticket of an earlier day still open: waiting and
    called ones are cancelled, those in service completed (left out of service-time
    statistics by their close_reason); their appointments follow (SPEC §2, §11)."""
    shop = get_shop(shop_id)
    now = utcnow()
    if not closing_due(shop, now):
        return Outcome(None)
    day = hours_of(shop).local_day(now).isoformat()
    closed: list[int] = []
    moved: set[int] = set()
    appointments = []
    topics = topics_for_queue(shop)
    for entry in _earlier_open(shop, day):
        shifted, appointment = transition(shop, entry, CLOSED_AS[entry.status])
        closed.append(entry.id)
        moved.update(shifted)
        if appointment is not None:
            customer = Customer.get_by_id(appointment.customer_id)
            appointments.append(appointment_dict(appointment, customer, None))
            topics += [t for t in topics_for_appointment(shop, appointment.date) if t not in topics]
    QueueEntry.update(close_reason=DAY_CLOSED).where(QueueEntry.id.in_(closed)).execute()
    version = bump_version(shop)
    event = append_event(
        ctx,
        shop,
        "queue_day_closed",
        topics,
        entries=entries_in_full(shop, sorted(set(closed) | moved)),
        appointments=appointments or None,
        closed=closed,
        reason=DAY_CLOSED,
        version=version,
    )
    return Outcome({"shop_id": shop.id, "closed": closed}, (event,))
