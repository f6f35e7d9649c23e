"""Wait estimates from a shop's recent service times (the rules are domain/waits.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from kiosk.domain import waits
from kiosk.domain.clock import instant, utcnow
from kiosk.domain.tickets import CHECKED_IN, IN_SERVICE
from kiosk.services.context import sql
from kiosk.services.duty import on_duty_ids
from kiosk.store.models import Shop

RECENT_SERVICES = 20

_MINUTES = "(julianday(completed_at) - julianday(started_at)) * 1440"
_SENSIBLE = (
    f"status = 'COMPLETED' AND started_at IS NOT NULL AND completed_at IS NOT NULL "
    f"AND {_MINUTES} BETWEEN {waits.SHORTEST_MINUTES} AND {waits.LONGEST_MINUTES} "
    # A ticket the next day's opening completed was never really timed (SPEC §11).
    "AND close_reason IS NULL"
)


def _recent(where: str, params: tuple[Any, ...]) -> list[float]:
    return [
        row[0]
        for row in sql(
            f"SELECT {_MINUTES} FROM queue_entry WHERE {where} AND {_SENSIBLE} "
            "ORDER BY completed_at DESC LIMIT ?",
            (*params, RECENT_SERVICES),
        ).fetchall()
    ]


def providers_on_duty(shop: Shop) -> list[int]:
    """Who can serve now: the shop's active providers on duty by their schedules, time
    off and the opening hours (SPEC §11); without any, every active provider."""
    return on_duty_ids(shop)


def shop_facts(shop: Shop, needed: Iterable[int | None]) -> waits.Shop:
    """What the estimate needs to know of the shop: who is on duty, who offers what,
    and how long the services in `needed` typically take."""
    offered_by: dict[int, frozenset[int]] = {}
    guesses: dict[int, int] = {}
    for service_id, minutes, provider_ids in sql(
        "SELECT id, minutes, provider_ids FROM service WHERE shop_id = ?", (shop.id,)
    ).fetchall():
        offered_by[service_id] = frozenset(orjson.loads(provider_ids))
        guesses[service_id] = minutes
    lengths: dict[int | None, waits.Length] = {
        None: waits.typical_length(_recent("shop_id = ?", (shop.id,)), shop.default_service_minutes)
    }
    for service_id in set(needed):
        if service_id is not None and service_id in guesses:
            lengths[service_id] = waits.typical_length(
                _recent("service_id = ?", (service_id,)), guesses[service_id]
            )
    return waits.Shop(providers_on_duty(shop), offered_by, lengths)


def _elapsed(entry: dict[str, Any], now) -> float | None:
    started = instant(entry.get("started_at")) if entry["status"] == IN_SERVICE else None
    return None if started is None else max(0.0, (now - started).total_seconds() / 60)


def estimates(
    shop: Shop, line: list[dict[str, Any]], busy: list[dict[str, Any]], only: int | None = None
) -> dict[int, waits.Estimate]:
    """Every waiting entry's estimate; `line` in position order, `busy` the entries
    called or in service (each a dict with id, provider_id, service_id, status,
    started_at)."""
    facts = shop_facts(shop, (e["service_id"] for e in (*line, *busy)))
    now = utcnow()
    return waits.plan(
        facts,
        [waits.Waiting(e["id"], e["provider_id"], e["service_id"]) for e in line],
        [waits.Serving(e["provider_id"], e["service_id"], _elapsed(e, now)) for e in busy],
        only,
    )


def range_of(estimate: waits.Estimate | None) -> list[int] | None:
    return list(estimate.range) if estimate and estimate.range else None


def fill_waits(shop: Shop, line: list[dict[str, Any]], busy: list[dict[str, Any]]) -> None:
    """Write every waiting entry's estimate (minutes and range) into its dict."""
    found = estimates(shop, line, busy)
    for entry in line:
        estimate = found.get(entry["id"])
        entry["estimated_wait_minutes"] = estimate.minutes if estimate else None
        entry["estimated_wait_range"] = range_of(estimate)


_LEAN_KEYS = ("id", "provider_id", "service_id", "status", "position_in_queue", "started_at")


def open_lean(shop: Shop) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shop's open tickets with just what an estimate needs: (line, busy)."""
    rows = [
        dict(zip(_LEAN_KEYS, row, strict=True))
        for row in sql(
            f"SELECT {', '.join(_LEAN_KEYS)} FROM queue_entry WHERE shop_id = ? "
            "AND status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')",
            (shop.id,),
        ).fetchall()
    ]
    line = [r for r in rows if r["status"] == CHECKED_IN]
    line.sort(key=lambda r: r["position_in_queue"])
    return line, [r for r in rows if r["status"] != CHECKED_IN]


def estimate_of(shop: Shop, entry_id: int) -> waits.Estimate | None:
    """One waiting entry's estimate, the same as the display shows (None: not waiting)."""
    return estimates(shop, *open_lean(shop), only=entry_id).get(entry_id)
