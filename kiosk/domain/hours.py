"""Opening hours and who is on duty (SPEC §11): pure arithmetic over local wall times.

Hours are written as local `HH:MM` per weekday; every comparison is made between
instants. A day's intervals are built in the shop's zone for that very date, so the
two days a year the clocks change (a 23- or 25-hour day) get the right instants, and
an opening at a time the clocks skip starts at the first instant after the gap.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.domain.errors import InvalidField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_LAST_JOIN_MINUTES = 15
DAY_MINUTES = 24 * 60
# Closures are kept for holidays to come; a year of them is plenty for a small shop.
MAX_CLOSURES = 400
MAX_INTERVALS_PER_DAY = 8
# How far ahead the next opening is looked for: a year of closures plus a week.
LOOKAHEAD_DAYS = 380
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

SHIFT, BREAK = "shift", "break"
SCHEDULE_KINDS = (SHIFT, BREAK)


def minutes_of(text: Any, field: str, *, end: bool = False) -> int:
    """`HH:MM` as minutes after midnight; an end may be `24:00` (the day's end)."""
    if end and text == "24:00":
        return DAY_MINUTES
    if not isinstance(text, str) or not _CLOCK.match(text):
        raise InvalidField(
            field, "must be a local time HH:MM (00:00 to 23:59; an end may be 24:00)"
        )
    return int(text[:2]) * 60 + int(text[3:])


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def span(start: Any, end: Any, field: str) -> tuple[int, int]:
    """A checked [start, end) of one day, in minutes."""
    low = minutes_of(start, f"{field}.start" if field else "start")
    high = minutes_of(end, f"{field}.end" if field else "end", end=True)
    if high <= low:
        raise InvalidField(field or "end", "must end after it starts (the same day)")
    return low, high


def weekly_hours(value: Any) -> dict[str, list[list[str]]] | None:
    """The owner's `opening_hours`, checked and normalised (every weekday present, each
    day's intervals in order, touching ones merged); None means "always open"."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidField("opening_hours", 'must be an object like {"mon": [["09:00","13:00"]]}')
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise InvalidField(f"opening_hours.{unknown[0]}", "is not a weekday (mon..sun)")
    out: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        raw = value.get(day, [])
        field = f"opening_hours.{day}"
        if not isinstance(raw, list) or len(raw) > MAX_INTERVALS_PER_DAY:
            raise InvalidField(
                field, f"must be a list of at most {MAX_INTERVALS_PER_DAY} intervals"
            )
        spans = []
        for pair in raw:
            if not isinstance(pair, list) or len(pair) != 2:
                raise InvalidField(field, 'each interval must be ["HH:MM", "HH:MM"]')
            spans.append(span(pair[0], pair[1], field))
        out[day] = [[clock_text(a), clock_text(b)] for a, b in _merged(spans, field)]
    return out


def _merged(spans: list[tuple[int, int]], field: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if merged and low < merged[-1][1]:
            raise InvalidField(field, "intervals must not overlap")
        if merged and low == merged[-1][1]:  # 09-13 and 13-19: one stretch, one closing
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def closure_list(value: Any) -> list[dict[str, str]]:
    """The owner's `closures`: [{date, reason}], by date, one per date."""
    if not isinstance(value, list) or len(value) > MAX_CLOSURES:
        raise InvalidField("closures", f"must be a list of at most {MAX_CLOSURES} closures")
    by_date: dict[str, str] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) - {"date", "reason"}:
            raise InvalidField("closures", 'each closure must be {"date": "YYYY-MM-DD", "reason"}')
        day, reason = item.get("date"), item.get("reason", "")
        if not isinstance(day, str) or not is_day(day):
            raise InvalidField("closures.date", "must be a date YYYY-MM-DD")
        if reason is None:
            reason = ""
        if not isinstance(reason, str) or len(reason) > 100 or any(ord(c) < 32 for c in reason):
            raise InvalidField("closures.reason", "must be text of at most 100 characters")
        by_date[day] = reason.strip()
    return [{"date": day, "reason": by_date[day]} for day in sorted(by_date)]


def is_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def at_local(zone: ZoneInfo, day: date, minutes: int) -> datetime:
    """The instant (UTC) of a local wall time on a date (24:00: the next midnight).

    Built for that date, so its offset is that day's; a skipped time (fold 0) lands
    just past the gap, a repeated one on its first occurrence. Returned in UTC because
    Python subtracts and orders two datetimes of the same zone by their wall clocks,
    which is an hour off across a change.
    """
    whole_days, rest = divmod(minutes, DAY_MINUTES)
    local = datetime.combine(day + timedelta(days=whole_days), time(rest // 60, rest % 60))
    return local.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Hours:
    """A shop's week as instants can be asked of it. `weekly` None: always open."""

    zone: ZoneInfo
    weekly: Mapping[str, Sequence[Sequence[str]]] | None = None
    closed_dates: Mapping[str, str] = dataclasses.field(default_factory=dict)  # date -> reason
    last_join_minutes: int = DEFAULT_LAST_JOIN_MINUTES

    @property
    def is_set(self) -> bool:
        return self.weekly is not None

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.weekly is None or day.isoformat() in self.closed_dates:
            return []
        return [
            (at_local(self.zone, day, minutes_of(a, "")), at_local(self.zone, day, _end(b)))
            for a, b in self.weekly.get(WEEKDAYS[day.weekday()], ())
        ]

    def _around(self, moment: datetime) -> list[tuple[datetime, datetime]]:
        """Intervals of the day before, of `moment`'s day and the next (an interval
        ending at 24:00 reaches into the next date)."""
        today = self.local_day(moment)
        return [
            interval
            for offset in (-1, 0, 1)
            for interval in self.intervals_on(today + timedelta(offset))
        ]

    def interval_at(self, moment: datetime) -> tuple[datetime, datetime] | None:
        return next(((a, b) for a, b in self._around(moment) if a <= moment < b), None)

    def is_open(self, moment: datetime) -> bool:
        return not self.is_set or self.interval_at(moment) is not None

    def joins_open(self, moment: datetime) -> bool:
        """Open, and not within `last_join_minutes` of the closing."""
        if not self.is_set:
            return True
        interval = self.interval_at(moment)
        return interval is not None and moment < self.last_join_at(interval)

    def last_join_at(self, interval: tuple[datetime, datetime]) -> datetime:
        return interval[1] - timedelta(minutes=self.last_join_minutes)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The first opening strictly after `moment`; None when none is known."""
        if not self.is_set:
            return None
        today = self.local_day(moment)
        for offset in range(LOOKAHEAD_DAYS):
            for start, _ in self.intervals_on(today + timedelta(offset)):
                if start > moment:
                    return start
        return None

    def first_opening(self, day: date) -> datetime | None:
        intervals = self.intervals_on(day)
        return intervals[0][0] if intervals else None

    def boundaries(self, moment: datetime) -> list[datetime]:
        """Instants after `moment` at which being open, or taking joins, changes."""
        found = []
        for interval in self._around(moment):
            found += [interval[0], self.last_join_at(interval), interval[1]]
        return sorted(b for b in found if b > moment)

    def state(self, moment: datetime) -> dict[str, Any]:
        """What a screen needs to say "Closed — we open at 09:00" and to switch by itself."""
        interval = self.interval_at(moment) if self.is_set else None
        return {
            "hours_set": self.is_set,
            "open": self.is_open(moment),
            "accepting_joins": self.joins_open(moment),
            "closes_at": self.iso(interval[1]) if interval else None,
            "last_join_at": self.iso(self.last_join_at(interval)) if interval else None,
            "opens_at": self.iso(self.next_opening(moment))
            if not self.joins_open(moment)
            else None,
            # A holiday today, so a screen can say why ("Christmas").
            "closure": self.closed_dates.get(self.local_day(moment).isoformat()),
        }

    def iso(self, moment: datetime | None) -> str | None:
        """An instant as the shop says it: local time with that moment's offset."""
        return (
            None if moment is None else moment.astimezone(self.zone).isoformat(timespec="seconds")
        )


def _end(text: str) -> int:
    return minutes_of(text, "", end=True)


def hours_of(
    zone: str, weekly: Any, closures: Iterable[Mapping[str, Any]] | None, last_join: int | None
) -> Hours:
    return Hours(
        ZoneInfo(zone),
        weekly,
        {c["date"]: c.get("reason", "") for c in closures or ()},
        DEFAULT_LAST_JOIN_MINUTES if last_join is None else last_join,
    )


# ------------------------------------------------------------------ duty


ON, BREAK_STATE, OFF = "on", "break", "off"


@dataclass(frozen=True)
class Block:
    """One schedule row of a provider's day, as instants."""

    kind: str
    start: datetime
    end: datetime

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def blocks_of(zone: ZoneInfo, day: date, rows: Iterable[Mapping[str, Any]]) -> list[Block]:
    return [
        Block(r["kind"], at_local(zone, day, _end(r["start"])), at_local(zone, day, _end(r["end"])))
        for r in rows
    ]


@dataclass(frozen=True)
class Duty:
    """A provider's duty now: `on`, `break` (until `until`) or `off` (back at `until`
    later today, or None: off for the rest of the day)."""

    state: str
    until: datetime | None = None
    reason: str | None = None  # for `off`: "time_off", "schedule" or "hours"

    @property
    def on(self) -> bool:
        return self.state == ON


def duty(
    hours: Hours,
    blocks: Sequence[Block],
    on_time_off: bool,
    moment: datetime,
    tickets_wait: bool = False,
) -> Duty:
    """On duty = a shift covers now, no break covers now, no approved time off today;
    without shifts that day the opening hours decide. Closing time alone never sends a
    provider home while tickets still wait: once their day has begun, they stay on."""
    if on_time_off:
        return Duty(OFF, None, "time_off")
    pause = next((b for b in blocks if b.kind == BREAK and b.covers(moment)), None)
    if pause is not None:
        return Duty(BREAK_STATE, pause.end)
    shifts = [b for b in blocks if b.kind == SHIFT]
    if shifts:
        starts = sorted(b.start for b in shifts)
        if any(b.covers(moment) for b in shifts):
            return Duty(ON)
        reason = "schedule"
    else:
        if hours.is_open(moment):
            return Duty(ON)
        starts = [a for a, _ in hours.intervals_on(hours.local_day(moment))]
        reason = "hours"
    if tickets_wait and starts and starts[0] <= moment:
        return Duty(ON)
    later = [s for s in starts if s > moment]
    return Duty(OFF, later[0] if later else None, reason)


def duty_boundaries(blocks: Sequence[Block], moment: datetime) -> list[datetime]:
    return sorted(t for b in blocks for t in (b.start, b.end) if t > moment)
