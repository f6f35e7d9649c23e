"""How long a ticket will wait: the formula, over counts the services layer reads."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median


def typical_minutes(durations: Sequence[float], default: float) -> float:
    """The median of recent service durations: robust to one forgotten 'complete'."""
    sensible = [d for d in durations if 0 < d < 8 * 60]
    return float(median(sensible)) if sensible else float(default)


def estimate_wait(
    *,
    ahead_same_provider: int,
    ahead_unassigned: int,
    busy_same_provider: int,
    minutes_per_customer: float,
    providers_on_duty: int,
    assigned: bool,
) -> int:
    """Minutes until this ticket is likely served, never negative.

    An assigned ticket waits for its provider's own line plus a fair share of the
    unassigned tickets ahead (any provider may take those). An unassigned ticket is
    served by whoever frees first, so the whole line ahead is divided among the
    providers on duty. A customer already with the provider counts as half a service
    still to go: we do not know how far along they are.
    """
    on_duty = max(1, providers_on_duty)
    if assigned:
        services = ahead_same_provider + ahead_unassigned / on_duty + 0.5 * busy_same_provider
    else:
        services = (ahead_same_provider + ahead_unassigned + 0.5 * busy_same_provider) / on_duty
    return max(0, round(services * minutes_per_customer))
