"""Where a new ticket goes into the one line (SPEC §10): priority rules and appointments.

These rules only decide where a ticket is inserted. Nothing here moves a ticket that is
already in line, so a manual move (drag-and-drop) is never undone, and the position
in the line stays the calling order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST = "first"
_RATIO = re.compile(r"^ratio:(10|[1-9])$")
EARLY, ON_TIME, LATE, NO_TIME = "early", "on_time", "late", "no_time"


def valid_rule(rule: object) -> bool:
    return rule == FIRST or (isinstance(rule, str) and bool(_RATIO.match(rule)))


def priority_index(rule: str, waiting_priority: Sequence[bool], normal_calls: int) -> int:
    """How many waiting tickets a new priority ticket goes behind.

    `waiting_priority` flags the waiting line in position order; `normal_calls` is the
    number of normal tickets called since the last priority one today. "first": after
    the last waiting priority ticket, ahead of the normal ones. "ratio:N": after the
    last waiting priority ticket plus N normal ones; with none waiting, after N - c
    normal tickets from the front, so the line alternates N normal to 1 priority.
    """
    last = max((i for i, flag in enumerate(waiting_priority) if flag), default=None)
    if rule == FIRST:
        return 0 if last is None else last + 1
    match = _RATIO.match(rule)
    if match is None:
        raise ValueError(f"unknown priority rule {rule!r}")
    every = int(match.group(1))
    if last is not None:
        return min(last + 1 + every, len(waiting_priority))
    return min(max(every - normal_calls, 0), len(waiting_priority))


def placement(starts_at: datetime | None, now: datetime, grace_minutes: int) -> str:
    """Which rule an appointment's check-in follows: early, on time, late, or no time."""
    if starts_at is None:
        return NO_TIME
    grace = timedelta(minutes=grace_minutes)
    if now < starts_at - grace:
        return EARLY
    if now <= starts_at + grace:
        return ON_TIME
    return LATE


@dataclass(frozen=True)
class InLine:
    """A waiting ticket as appointment placement sees it."""

    provider_id: int | None
    start: datetime  # its estimated start


def appointment_index(line: Sequence[InLine], provider_id: int | None, starts_at: datetime) -> int:
    """An early or on-time appointment goes before the first waiting ticket, for the same
    provider or for nobody in particular, whose estimated start is later than its time;
    behind everyone when there is none."""
    for index, ticket in enumerate(line):
        if ticket.provider_id in (None, provider_id) and ticket.start > starts_at:
            return index
    return len(line)
