"""Time and days: UTC instants, a shop's local day, and date strings (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Located(Protocol):
    """Anything with a place in the world: a shop row, or a plain record of one."""

    id: int
    timezone: str


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def shop_zone(shop: Located) -> ZoneInfo:
    return ZoneInfo(shop.timezone)


def shop_now(shop: Located) -> datetime:
    return utcnow().astimezone(shop_zone(shop))


def shop_today(shop: Located) -> str:
    return shop_now(shop).date().isoformat()


def day_in(zone: str, moment: datetime) -> str:
    """The local date in `zone` at an instant, as YYYY-MM-DD."""
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def next_midnight(zone: str, moment: datetime) -> datetime:
    """The first instant (UTC) of the local day after the one `moment` falls on.

    Wall-clock arithmetic (local midnight + 24 h) is wrong on the two days a year the
    clocks change: the autumn day lasts 25 hours, the spring one 23. So the next date's
    midnight is built in the zone and converted. Where a zone skips midnight itself
    (its clocks jump 00:00 -> 01:00), zoneinfo maps the missing time past the gap,
    which is still the first moment of that day.
    """
    tz = ZoneInfo(zone)
    tomorrow = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz).astimezone(UTC)


def next_quarter_hour(moment: datetime) -> datetime:
    """The next :00, :15, :30 or :45 of UTC after `moment`: every zone's offset is a
    whole number of quarter hours, so every local midnight falls on one of these."""
    start = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    quarters = (moment - start) // timedelta(minutes=15) + 1
    return start + quarters * timedelta(minutes=15)


def local_stamp(zone: str, day: str, hour: int, minute: int = 0) -> str:
    """A local wall time of a date, ISO-8601 with the offset in force then."""
    at = datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=ZoneInfo(zone))
    return at.isoformat(timespec="seconds")


def instant(text: str | None) -> datetime | None:
    """A stored timestamp as an instant. Stamps carry the shop's offset, which changes
    with daylight saving, so two stamps compared as text can put 02:10+01:00 (later)
    before 02:50+02:00 (earlier); compare these instead."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stamp(shop: Located) -> str:
    """A timestamp for a resource: ISO-8601 with the shop's own offset (SPEC §2)."""
    return shop_now(shop).isoformat(timespec="seconds")


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


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
    """A date and a time with its UTC offset: without one, "09:30" means a different
    instant to every reader (and twice a year two instants in the shop's own zone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return len(text) > 10 and moment.tzinfo is not None  # a time too, not a bare date
