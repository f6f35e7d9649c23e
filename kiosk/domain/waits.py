"""How long a ticket will wait (SPEC §10 "Honest waits"): pure rules over plain data.

The estimate replays the line the way the shop works it. Each provider on duty is a
timeline that starts when they are free (now, or when the customer they are with is
likely done); whoever frees first takes the first ticket in position order that they
may serve (their own or nobody's, for a service they offer), exactly as call-next
does. A ticket's wait is the moment its provider frees. So free chairs serve the first
tickets at once, each service counts for its own typical length, and a provider who
cannot do a service never shortens that service's line.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median

# A "service" outside these bounds was a forgotten complete or a slip of the finger.
SHORTEST_MINUTES = 1.0
LONGEST_MINUTES = 8 * 60.0
# Fewer sensible services than this and the owner's guess is the better figure.
ENOUGH_HISTORY = 5
# The range spans these quantiles of the recent lengths (a customer hears "10–20 min").
LOW_QUANTILE, HIGH_QUANTILE = 0.2, 0.8
RANGE_STEP = 5
# A service running past its typical length is still expected to end, but not at once.
LEAST_REMAINING = 1.0


@dataclass(frozen=True)
class Length:
    """A service's typical length in minutes; `low`/`high` are None while the history
    is too thin to say how much it varies."""

    minutes: float
    low: float | None = None
    high: float | None = None

    @property
    def known(self) -> bool:
        return self.low is not None and self.high is not None


def sensible(durations: Iterable[float]) -> list[float]:
    return [d for d in durations if d is not None and SHORTEST_MINUTES <= d <= LONGEST_MINUTES]


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the nearest ranks of a sorted list."""
    at = q * (len(ordered) - 1)
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def typical_length(durations: Iterable[float], guess: float) -> Length:
    """The median of recent sensible lengths, or the owner's `guess` before there are
    enough of them (SPEC §10): one quick service must not make every wait "any moment"."""
    kept = sorted(sensible(durations))
    if len(kept) < ENOUGH_HISTORY:
        return Length(float(guess))
    return Length(
        float(median(kept)), _quantile(kept, LOW_QUANTILE), _quantile(kept, HIGH_QUANTILE)
    )


@dataclass(frozen=True)
class Waiting:
    """A ticket in line: who it asks for (None: anyone) and what for (None: unknown)."""

    id: int
    provider_id: int | None
    service_id: int | None


@dataclass(frozen=True)
class Serving:
    """A ticket called or in service; `elapsed` minutes since it started (None: only
    called, the service has not begun)."""

    provider_id: int | None
    service_id: int | None
    elapsed: float | None


@dataclass(frozen=True)
class Estimate:
    minutes: int
    start: float  # minutes from now, unrounded: appointment placement compares it
    range: tuple[int, int] | None


@dataclass
class _Timeline:
    provider_id: int | None
    free_at: float = 0.0  # minutes from now
    low: float = 0.0
    high: float = 0.0
    thin: bool = False  # some length on it is the owner's guess: no honest range

    def add(self, length: Length, elapsed: float = 0.0) -> None:
        self.free_at += max(length.minutes - elapsed, LEAST_REMAINING)
        if length.known:
            self.low += max(length.low - elapsed, LEAST_REMAINING)
            self.high += max(length.high - elapsed, LEAST_REMAINING)
        else:
            self.thin = True


@dataclass(frozen=True)
class Shop:
    """What the estimate knows of the shop now."""

    on_duty: Sequence[int]  # providers on duty now, in a stable order
    offered_by: Mapping[int, frozenset[int]]  # service -> providers offering it (empty: all)
    lengths: Mapping[int | None, Length]  # service (None: no service) -> typical length

    def length(self, service_id: int | None) -> Length:
        return self.lengths.get(service_id) or self.lengths[None]

    def may_serve(self, provider_id: int | None, ticket: Waiting | Serving) -> bool:
        if provider_id is None:  # nobody on duty is known: one counter serves everything
            return True
        if ticket.provider_id not in (None, provider_id):
            return False
        offered = self.offered_by.get(ticket.service_id) if ticket.service_id else None
        return not offered or provider_id in offered


_Key = tuple[int | None, int | None, int | None]


def _group_of(shop: Shop, on_duty: frozenset[int], ticket: Waiting) -> _Key:
    """(who may serve it, which service decides who, which service decides how long).
    A preference for someone off duty, or a service only the absent offer, is
    estimated as if anyone on duty may serve it; its length stays its service's."""
    provider_id = ticket.provider_id if ticket.provider_id in on_duty else None
    offered = shop.offered_by.get(ticket.service_id) if ticket.service_id else None
    deciding = None if offered and not offered & on_duty else ticket.service_id
    return provider_id, deciding, ticket.service_id


def _rounded(timeline: _Timeline, start_free: bool) -> Estimate:
    if start_free:
        return Estimate(0, 0.0, (0, 0))
    # Not served by a free provider: never "0 min" (SPEC §10).
    minutes = max(1, round(timeline.free_at))
    span = None
    if not timeline.thin:
        low = min(timeline.low, minutes)
        high = max(timeline.high, minutes)
        span = (
            int(math.floor(low / RANGE_STEP) * RANGE_STEP),
            int(math.ceil(high / RANGE_STEP) * RANGE_STEP),
        )
    return Estimate(minutes, timeline.free_at, span)


def plan(
    shop: Shop, line: Sequence[Waiting], serving: Iterable[Serving], only: int | None = None
) -> dict[int, Estimate]:
    """Every waiting ticket's estimate, `line` in position order; or `only` that one's
    (the replay stops there: a join asks for its own on every ticket)."""
    timelines = {pid: _Timeline(pid) for pid in shop.on_duty} or {None: _Timeline(None)}
    # Those with a known provider first: only then is it known who is free.
    for ticket in sorted(serving, key=lambda t: t.provider_id is None):
        timeline = timelines.get(ticket.provider_id)
        if timeline is None and ticket.provider_id is None:
            # Called without saying by whom: it occupies one free provider who could.
            timeline = next(
                (
                    t
                    for t in timelines.values()
                    if t.free_at == 0 and shop.may_serve(t.provider_id, ticket)
                ),
                None,
            )
        if timeline is not None:
            timeline.add(shop.length(ticket.service_id), ticket.elapsed or 0.0)

    # Tickets grouped by what they ask for; within a group, in line order. A provider
    # looks only at the heads of the groups they may serve.
    groups: dict[_Key, deque[tuple[int, int]]] = {}
    on_duty = frozenset(shop.on_duty)
    for index, ticket in enumerate(line):
        groups.setdefault(_group_of(shop, on_duty, ticket), deque()).append((index, ticket.id))
    servable = {
        pid: [key for key in groups if shop.may_serve(pid, Waiting(0, key[0], key[1]))]
        for pid in timelines
    }
    order = {pid: rank for rank, pid in enumerate(timelines)}
    frees = [(t.free_at, order[pid], pid) for pid, t in timelines.items()]
    heapq.heapify(frees)
    estimates: dict[int, Estimate] = {}
    lengths = {key: shop.length(key[2]) for key in groups}
    while frees:
        _, rank, pid = heapq.heappop(frees)
        # The group whose head stands first in line (a join costs O(line), so no lambdas).
        key, first = None, len(line)
        for candidate in servable[pid]:
            waiting = groups[candidate]
            if waiting and waiting[0][0] < first:
                key, first = candidate, waiting[0][0]
        if key is None:
            continue  # nothing left this provider may take
        timeline = timelines[pid]
        ticket_id = groups[key].popleft()[1]
        if only is None or ticket_id == only:
            estimates[ticket_id] = _rounded(timeline, timeline.free_at == 0)
            if ticket_id == only:
                break
        timeline.add(lengths[key])
        heapq.heappush(frees, (timeline.free_at, rank, pid))
    return estimates
