"""Time and days: UTC instants, a shop's local day, and date strings (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return len(text) > 10  # a time too, not a bare date
