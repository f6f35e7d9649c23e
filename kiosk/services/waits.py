"""Wait estimates from a shop's recent service times (the formula is domain/waits.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kiosk.domain.tickets import CHECKED_IN
from kiosk.domain.waits import estimate_wait, typical_minutes
from kiosk.services.context import sql
from kiosk.store.models import QueueEntry, Shop

RECENT_SERVICES = 20


_SERVICE_MINUTES = "(julianday(completed_at) - julianday(started_at)) * 1440"


def _shop_minutes(shop: Shop) -> float:
    """Typical minutes per customer in this shop, from its latest services."""
    rows = sql(
        f"SELECT {_SERVICE_MINUTES} FROM queue_entry WHERE shop_id = ? AND completed_at "
        "IS NOT NULL AND status = 'COMPLETED' AND started_at IS NOT NULL "
        "ORDER BY completed_at DESC LIMIT ?",
        (shop.id, RECENT_SERVICES * 2),
    ).fetchall()
    return typical_minutes([r[0] for r in rows], shop.default_service_minutes)


def _provider_minutes(provider_id: int, shop_minutes: float) -> float:
    rows = sql(
        f"SELECT {_SERVICE_MINUTES} FROM queue_entry WHERE provider_id = ? AND completed_at "
        "IS NOT NULL AND status = 'COMPLETED' AND started_at IS NOT NULL "
        "ORDER BY completed_at DESC LIMIT ?",
        (provider_id, RECENT_SERVICES),
    ).fetchall()
    return typical_minutes([r[0] for r in rows], shop_minutes)


def _providers_on_duty(shop: Shop) -> int:
    return sql("SELECT COUNT(*) FROM provider WHERE shop_id = ? AND active", (shop.id,)).fetchone()[
        0
    ]


def waits_for_line(
    shop: Shop, line: list[dict[str, Any]], busy: list[dict[str, Any]]
) -> dict[int, int]:
    """Estimated minutes for every waiting entry of a shop's line, in one pass."""
    shop_minutes = _shop_minutes(shop)
    per_provider = {
        pid: _provider_minutes(pid, shop_minutes)
        for pid in {e["provider_id"] for e in (*line, *busy)}
        if pid is not None
    }
    on_duty = _providers_on_duty(shop)
    busy_by_provider: dict[int | None, int] = defaultdict(int)
    for entry in busy:
        busy_by_provider[entry["provider_id"]] += 1
    ahead_by_provider: dict[int | None, int] = defaultdict(int)
    waits: dict[int, int] = {}
    for entry in line:  # ordered by position
        pid = entry["provider_id"]
        if pid is None:
            waits[entry["id"]] = estimate_wait(
                ahead_same_provider=sum(v for k, v in ahead_by_provider.items() if k is not None),
                ahead_unassigned=ahead_by_provider[None],
                busy_same_provider=sum(busy_by_provider.values()),
                minutes_per_customer=shop_minutes,
                providers_on_duty=on_duty,
                assigned=False,
            )
        else:
            waits[entry["id"]] = estimate_wait(
                ahead_same_provider=ahead_by_provider[pid],
                ahead_unassigned=ahead_by_provider[None],
                busy_same_provider=busy_by_provider[pid],
                minutes_per_customer=per_provider.get(pid, shop_minutes),
                providers_on_duty=on_duty,
                assigned=True,
            )
        ahead_by_provider[pid] += 1
    return waits


def wait_for(
    shop: Shop, entry_id: int, provider_id: int | None, position: int | None
) -> int | None:
    """The same estimate as `waits_for_line`, for one entry, from two counting queries
    instead of a pass over the whole line (a join must not cost O(line) in Python)."""
    if position is None:
        return None
    ahead_unassigned, ahead_same, ahead_assigned = sql(
        "SELECT COALESCE(SUM(provider_id IS NULL), 0), COALESCE(SUM(provider_id = ?), 0), "
        "COALESCE(SUM(provider_id IS NOT NULL), 0) FROM queue_entry "
        "WHERE shop_id = ? AND status = 'CHECKED_IN' AND position_in_queue < ?",
        (provider_id, shop.id, position),
    ).fetchone()
    busy_all, busy_same = sql(
        "SELECT COUNT(*), COALESCE(SUM(provider_id = ?), 0) FROM queue_entry "
        "WHERE shop_id = ? AND status IN ('CALLED', 'IN_SERVICE')",
        (provider_id, shop.id),
    ).fetchone()
    shop_minutes = _shop_minutes(shop)
    on_duty = _providers_on_duty(shop)
    if provider_id is None:
        return estimate_wait(
            ahead_same_provider=ahead_assigned,
            ahead_unassigned=ahead_unassigned,
            busy_same_provider=busy_all,
            minutes_per_customer=shop_minutes,
            providers_on_duty=on_duty,
            assigned=False,
        )
    return estimate_wait(
        ahead_same_provider=ahead_same,
        ahead_unassigned=ahead_unassigned,
        busy_same_provider=busy_same,
        minutes_per_customer=_provider_minutes(provider_id, shop_minutes),
        providers_on_duty=on_duty,
        assigned=True,
    )


def wait_of(shop: Shop, entry: QueueEntry) -> int | None:
    if entry.status != CHECKED_IN:
        return None
    return wait_for(shop, entry.id, entry.provider_id, entry.position_in_queue)
