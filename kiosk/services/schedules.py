"""Staff schedules and time off (SPEC §11, seed 004): shifts and breaks per provider and
date, and time off that staff request and the owner approves or rejects.

Each write appends one event on the channel seed 004's dashboard listens to
(`schedules` or `timeoff`) and on the shop's queue, whose display shows who is on duty.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kiosk.domain import hours as rules
from kiosk.domain.clock import shop_today
from kiosk.domain.errors import InvalidField, InvalidTransition, NotFound
from kiosk.services.context import Ctx, append_event
from kiosk.services.rows import active_provider, get_shop
from kiosk.store.database import Outcome
from kiosk.store.models import Schedule, Shop, TimeOff

SCHEDULES, TIMEOFF = "schedules", "timeoff"
# The longest listing one request may ask for: a year of a week view's worth.
MAX_RANGE_DAYS = 366

REQUESTED, APPROVED, REJECTED, CANCELLED = "requested", "approved", "rejected", "cancelled"
TIMEOFF_STATUSES = (REQUESTED, APPROVED, REJECTED, CANCELLED)
# Who may move a request where: the owner decides; staff may withdraw it.
TIMEOFF_MOVES: dict[str, tuple[str, ...]] = {
    REQUESTED: (APPROVED, REJECTED, CANCELLED),
    APPROVED: (CANCELLED,),
    REJECTED: (),
    CANCELLED: (),
}
OWNER_DECIDES = (APPROVED, REJECTED)


def schedule_dict(row: Schedule) -> dict[str, Any]:
    return {
        "id": row.id,
        "shop_id": row.shop_id,
        "provider_id": row.provider_id,
        "date": row.date,
        "start": row.start,
        "end": row.end,
        "kind": row.kind,
    }


def timeoff_dict(row: TimeOff) -> dict[str, Any]:
    return {
        "id": row.id,
        "shop_id": row.shop_id,
        "provider_id": row.provider_id,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "reason": row.reason,
        "status": row.status,
    }


def date_range(first: str | None, last: str | None, today: str) -> tuple[str, str]:
    """A listing's [from, to] (defaults: today, and `from` itself), checked."""
    first = first or today
    last = last or first
    for name, value in (("from", first), ("to", last)):
        if not rules.is_day(value):
            raise InvalidField(name, "must be a date YYYY-MM-DD")
    if last < first:
        raise InvalidField("to", "must not be before from")
    if date.fromisoformat(last) - date.fromisoformat(first) > timedelta(days=MAX_RANGE_DAYS):
        raise InvalidField("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    return first, last


def _topics(shop: Shop, channel: str) -> list[str]:
    # The queue display shows each provider's duty, which these rows decide.
    return [channel, f"queue:{shop.id}"]


# ------------------------------------------------------------------ schedules


def list_schedules(
    shop_id: int, first: str | None, last: str | None, provider_id: int | None
) -> list[dict[str, Any]]:
    shop = get_shop(shop_id)
    first, last = date_range(first, last, shop_today(shop))
    query = Schedule.select().where(
        (Schedule.shop == shop.id) & (Schedule.date >= first) & (Schedule.date <= last)
    )
    if provider_id is not None:
        query = query.where(Schedule.provider == provider_id)
    ordered = query.order_by(Schedule.date, Schedule.start, Schedule.id)
    return [schedule_dict(row) for row in ordered]


def _checked_schedule(shop: Shop, fields: dict[str, Any]) -> dict[str, Any]:
    """A whole schedule's fields, each checked (the HTTP layer checked their types)."""
    active_provider(shop, fields["provider_id"])
    if not rules.is_day(fields["date"]):
        raise InvalidField("date", "must be a date YYYY-MM-DD")
    rules.span(fields["start"], fields["end"], "")
    if fields["kind"] not in rules.SCHEDULE_KINDS:
        raise InvalidField("kind", f"must be one of {', '.join(rules.SCHEDULE_KINDS)}")
    return fields


def _schedule_event(ctx: Ctx, shop: Shop, type: str, row: Schedule) -> Outcome:
    body = schedule_dict(row)
    event = append_event(
        ctx, shop, type, _topics(shop, SCHEDULES), schedule=body, schedule_id=row.id
    )
    return Outcome(body, (event,))


def create_schedule(ctx: Ctx, shop_id: int, fields: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    checked = _checked_schedule(shop, {"kind": rules.SHIFT, **fields})
    row = Schedule.create(
        shop=shop.id,
        provider=checked["provider_id"],
        date=checked["date"],
        start=checked["start"],
        end=checked["end"],
        kind=checked["kind"],
    )
    return _schedule_event(ctx, shop, "schedule_created", row)


def _schedule_by_id(schedule_id: int) -> Schedule:
    row = Schedule.get_or_none(Schedule.id == schedule_id)
    if row is None:
        raise NotFound(f"no schedule {schedule_id}", {"schedule_id": schedule_id})
    return row


def update_schedule(ctx: Ctx, schedule_id: int, changes: dict[str, Any]) -> Outcome:
    row = _schedule_by_id(schedule_id)
    shop = get_shop(row.shop_id)
    checked = _checked_schedule(shop, {**schedule_dict(row), **changes})
    row.provider = checked["provider_id"]
    for key in ("date", "start", "end", "kind"):
        setattr(row, key, checked[key])
    row.save()
    return _schedule_event(ctx, shop, "schedule_updated", row)


def delete_schedule(ctx: Ctx, schedule_id: int) -> Outcome:
    """The schedule goes; its event carries it as it was (seed 004's dashboard drops it)."""
    row = _schedule_by_id(schedule_id)
    shop = get_shop(row.shop_id)
    outcome = _schedule_event(ctx, shop, "schedule_deleted", row)
    row.delete_instance()
    return outcome


# ------------------------------------------------------------------ time off


def list_timeoff(
    shop_id: int, first: str | None, last: str | None, provider_id: int | None
) -> list[dict[str, Any]]:
    """Time off overlapping [from, to] (default: from today on, a year ahead)."""
    shop = get_shop(shop_id)
    today = shop_today(shop)
    if last is None and first is None:
        last = (date.fromisoformat(today) + timedelta(days=MAX_RANGE_DAYS)).isoformat()
    first, last = date_range(first, last, today)
    query = TimeOff.select().where(
        (TimeOff.shop == shop.id) & (TimeOff.start_date <= last) & (TimeOff.end_date >= first)
    )
    if provider_id is not None:
        query = query.where(TimeOff.provider == provider_id)
    return [timeoff_dict(row) for row in query.order_by(TimeOff.start_date, TimeOff.id)]


def _timeoff_event(ctx: Ctx, shop: Shop, type: str, row: TimeOff) -> Outcome:
    body = timeoff_dict(row)
    event = append_event(ctx, shop, type, _topics(shop, TIMEOFF), timeoff=body, timeoff_id=row.id)
    return Outcome(body, (event,))


def request_timeoff(ctx: Ctx, shop_id: int, fields: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    active_provider(shop, fields["provider_id"])
    start, end = fields["start_date"], fields.get("end_date") or fields["start_date"]
    for name, value in (("start_date", start), ("end_date", end)):
        if not rules.is_day(value):
            raise InvalidField(name, "must be a date YYYY-MM-DD")
    if end < start:
        raise InvalidField("end_date", "must not be before start_date")
    row = TimeOff.create(
        shop=shop.id,
        provider=fields["provider_id"],
        start_date=start,
        end_date=end,
        reason=fields.get("reason") or "",
        status=REQUESTED,
    )
    return _timeoff_event(ctx, shop, "timeoff_created", row)


def decide_timeoff(ctx: Ctx, timeoff_id: int, status: str) -> Outcome:
    """Approve, reject or cancel a request; any other move is refused with the allowed."""
    row = TimeOff.get_or_none(TimeOff.id == timeoff_id)
    if row is None:
        raise NotFound(f"no time off {timeoff_id}", {"timeoff_id": timeoff_id})
    allowed = list(TIMEOFF_MOVES[row.status])
    if status not in allowed:
        raise InvalidTransition(
            f"time off that is {row.status} cannot become {status}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            {"from": row.status, "to": status, "allowed": allowed},
        )
    row.status = status
    row.save()
    return _timeoff_event(ctx, get_shop(row.shop_id), "timeoff_updated", row)
