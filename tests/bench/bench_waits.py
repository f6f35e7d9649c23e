"""How good are the waits a customer is told? A simulated busy day, replayed through the
real domain code, against the naive estimate of the first release (SPEC §10, issue 14).

The day: 3 providers, 200 customers arriving over 10 hours with a morning and an
afternoon peak, each for one of three services whose real lengths are drawn from
seeded log-normal distributions (the owner's guesses are close, not exact). The long
service is offered by two providers only; one customer in five asks for a provider;
one in twenty gets priority (rule "first", placed by `kiosk.domain.line_order`).
The staff's records are not clean either: 2% of services are completed hours late
(a forgotten "complete") and 3% within seconds (start and complete pressed together).

The shop works the line as the appliance does: a provider who frees calls the first
ticket in position order they may serve. At every join the new ticket's estimate is
computed, as the join answer would tell it, by
- this release: `kiosk.domain.waits.plan` over the line, the providers' timelines and
  per-service typical lengths from the recorded history (`typical_length`);
- the first release: its formula and history rules, copied below as they were.
The real wait is the time from joining to being called.

    python -m tests.bench.bench_waits [--seed 14] [--days 1]

Not a test: run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiosk.domain import waits
from kiosk.domain.line_order import priority_index

PROVIDERS = (1, 2, 3)
CUSTOMERS = 200
DAY_MINUTES = 600
SHOP_DEFAULT_MINUTES = 9  # the first release's one per-shop guess


@dataclass(frozen=True)
class Kind:
    service_id: int
    guess: int  # the owner's `minutes`
    median: float  # the real lengths' median ...
    sigma: float  # ... and spread (log-normal)
    share: float
    offered_by: frozenset[int] = frozenset()


SERVICES = (
    Kind(1, 5, 4.0, 0.35, 0.35),
    Kind(2, 8, 8.5, 0.30, 0.45),
    Kind(3, 15, 18.0, 0.35, 0.20, frozenset({1, 2})),
)
# (start, end, weight) of arrival periods: a quiet opening, two peaks.
PERIODS = ((0, 90, 1.0), (90, 210, 2.2), (210, 390, 1.0), (390, 540, 2.0), (540, 600, 0.6))


# ---------------------------------------------------------------- the first release, as it was


def naive_typical_minutes(durations: Sequence[float], default: float) -> float:
    sensible = [d for d in durations if 0 < d < 8 * 60]
    return float(statistics.median(sensible)) if sensible else float(default)


def naive_estimate_wait(
    *,
    ahead_same_provider: int,
    ahead_unassigned: int,
    busy_same_provider: int,
    minutes_per_customer: float,
    providers_on_duty: int,
    assigned: bool,
) -> int:
    on_duty = max(1, providers_on_duty)
    if assigned:
        services = ahead_same_provider + ahead_unassigned / on_duty + 0.5 * busy_same_provider
    else:
        services = (ahead_same_provider + ahead_unassigned + 0.5 * busy_same_provider) / on_duty
    return max(0, round(services * minutes_per_customer))


# ---------------------------------------------------------------- the day


@dataclass
class Customer:
    id: int
    arrives: float
    kind: Kind
    provider_id: int | None
    priority: bool
    length: float  # how long the service really takes
    recorded: float  # how long the records say it took
    called: float | None = None
    told_new: int | None = None
    told_range: tuple[int, int] | None = None
    told_naive: int | None = None


@dataclass
class Provider:
    id: int
    serving: Customer | None = None
    started: float = 0.0
    free_at: float = 0.0


@dataclass
class History:
    """The completed services as recorded, newest last (what the database would hold)."""

    done: list[tuple[int, int, float]] = field(default_factory=list)  # (service, provider, min)

    def recent(self, service_id: int | None = None, provider_id: int | None = None, n=20):
        rows = [
            d
            for s, p, d in reversed(self.done)
            if (service_id is None or s == service_id) and (provider_id is None or p == provider_id)
        ]
        return rows[:n]


def make_day(rng: random.Random) -> list[Customer]:
    total = sum((end - start) * w for start, end, w in PERIODS)
    arrivals = []
    for _ in range(CUSTOMERS):
        pick = rng.uniform(0, total)
        for start, end, w in PERIODS:
            if pick <= (end - start) * w:
                arrivals.append(start + pick / w)
                break
            pick -= (end - start) * w
    customers = []
    for n, at in enumerate(sorted(arrivals)):
        kind = rng.choices(SERVICES, weights=[k.share for k in SERVICES])[0]
        choices = sorted(kind.offered_by or PROVIDERS)
        provider_id = rng.choice(choices) if rng.random() < 0.2 else None
        length = kind.median * math.exp(kind.sigma * rng.gauss(0, 1))
        slip = rng.random()
        if slip < 0.02:
            recorded = length + rng.uniform(120, 600)
        elif slip < 0.05:
            recorded = rng.uniform(0.05, 0.5)
        else:
            recorded = length
        customers.append(
            Customer(n + 1, at, kind, provider_id, rng.random() < 0.05, length, recorded)
        )
    return customers


def may_serve(provider_id: int, customer: Customer) -> bool:
    offered = customer.kind.offered_by
    return customer.provider_id in (None, provider_id) and (not offered or provider_id in offered)


def tell_new(now: float, line: list[Customer], providers: list[Provider], history: History):
    lengths: dict[int | None, waits.Length] = {
        None: waits.typical_length(
            waits.sensible(history.recent(n=10_000))[:20], SHOP_DEFAULT_MINUTES
        )
    }
    for kind in SERVICES:
        recent = waits.sensible(history.recent(kind.service_id, n=10_000))[:20]
        lengths[kind.service_id] = waits.typical_length(recent, kind.guess)
    facts = waits.Shop(
        PROVIDERS, {k.service_id: k.offered_by for k in SERVICES if k.offered_by}, lengths
    )
    serving = [
        waits.Serving(p.id, p.serving.kind.service_id, now - p.started)
        for p in providers
        if p.serving is not None
    ]
    line_in = [waits.Waiting(c.id, c.provider_id, c.kind.service_id) for c in line]
    return waits.plan(facts, line_in, serving)


def tell_naive(
    customer: Customer, line: list[Customer], providers: list[Provider], history: History
) -> int:
    shop_minutes = naive_typical_minutes(history.recent(n=40), SHOP_DEFAULT_MINUTES)
    busy: dict[int | None, int] = defaultdict(int)
    for p in providers:
        if p.serving is not None:
            busy[p.id] += 1
    ahead: dict[int | None, int] = defaultdict(int)
    for other in line[: line.index(customer)]:
        ahead[other.provider_id] += 1
    pid = customer.provider_id
    if pid is None:
        return naive_estimate_wait(
            ahead_same_provider=sum(v for k, v in ahead.items() if k is not None),
            ahead_unassigned=ahead[None],
            busy_same_provider=sum(busy.values()),
            minutes_per_customer=shop_minutes,
            providers_on_duty=len(PROVIDERS),
            assigned=False,
        )
    return naive_estimate_wait(
        ahead_same_provider=ahead[pid],
        ahead_unassigned=ahead[None],
        busy_same_provider=busy[pid],
        minutes_per_customer=naive_typical_minutes(history.recent(provider_id=pid), shop_minutes),
        providers_on_duty=len(PROVIDERS),
        assigned=True,
    )


def run_day(seed: int) -> list[Customer]:
    rng = random.Random(seed)
    customers = make_day(rng)
    providers = [Provider(pid) for pid in PROVIDERS]
    history = History()
    line: list[Customer] = []
    arrivals = iter(customers)
    next_arrival = next(arrivals, None)

    def dispatch(now: float) -> None:
        for p in providers:
            if p.serving is not None:
                continue
            taken = next((c for c in line if may_serve(p.id, c)), None)
            if taken is not None:
                line.remove(taken)
                taken.called = now
                p.serving, p.started, p.free_at = taken, now, now + taken.length

    while next_arrival is not None or any(p.serving for p in providers):
        busy = [p for p in providers if p.serving is not None]
        done_at = min((p.free_at for p in busy), default=math.inf)
        if next_arrival is None or done_at <= next_arrival.arrives:
            p = min(busy, key=lambda p: (p.free_at, p.id))
            history.done.append((p.serving.kind.service_id, p.id, p.serving.recorded))
            p.serving = None
            dispatch(done_at)
            continue
        now, customer = next_arrival.arrives, next_arrival
        at = len(line)
        if customer.priority:
            at = priority_index("first", [c.priority for c in line], 0)
        line.insert(at, customer)
        estimate = tell_new(now, line, providers, history)[customer.id]
        customer.told_new, customer.told_range = estimate.minutes, estimate.range
        customer.told_naive = tell_naive(customer, line, providers, history)
        dispatch(now)
        next_arrival = next(arrivals, None)
    return customers


def score(customers: list[Customer], told) -> tuple[float, float]:
    errors = [abs(told(c) - (c.called - c.arrives)) for c in customers]
    return statistics.mean(errors), sum(e <= 5 for e in errors) / len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--days", type=int, default=1, help="days in a row, seeds seed..")
    args = parser.parse_args()
    print(
        f"{'day':>4} {'mean wait':>9} {'max wait':>8} | {'this MAE':>8} {'<=5 min':>7} "
        f"{'in range':>8} {'ranged':>6} | {'naive MAE':>9} {'<=5 min':>7}"
    )
    totals = []
    for seed in range(args.seed, args.seed + args.days):
        day = run_day(seed)
        real = [c.called - c.arrives for c in day]
        new_mae, new_within = score(day, lambda c: c.told_new)
        old_mae, old_within = score(day, lambda c: c.told_naive)
        ranged = [c for c in day if c.told_range is not None]
        inside = sum(
            c.told_range[0] <= c.called - c.arrives <= c.told_range[1] for c in ranged
        ) / max(1, len(ranged))
        totals.append((new_mae, new_within, old_mae, old_within))
        print(
            f"{seed:>4} {statistics.mean(real):>8.1f}m {max(real):>7.1f}m | "
            f"{new_mae:>7.1f}m {new_within:>7.0%} {inside:>8.0%} {len(ranged):>6} | "
            f"{old_mae:>8.1f}m {old_within:>7.0%}"
        )
    if len(totals) > 1:
        new_mae, new_within, old_mae, old_within = (
            statistics.mean(t) for t in zip(*totals, strict=True)
        )
        print(
            f"mean of {len(totals)} days: this {new_mae:.1f}m MAE, {new_within:.0%} within 5 min;"
            f" naive {old_mae:.1f}m MAE, {old_within:.0%} within 5 min"
        )


if __name__ == "__main__":
    main()
