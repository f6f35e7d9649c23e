"""A shop's hours and staff at this moment (SPEC §11): whether it takes joins now, and
who is on duty now (their shifts, breaks and approved time off, else the hours)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kiosk.domain import hours as rules
from kiosk.domain.clock import utcnow
from kiosk.domain.errors import OffDuty, ShopClosed
from kiosk.services.context import sql
from kiosk.store.models import Shop


def hours_of(shop: Shop) -> rules.Hours:
    return rules.hours_of(shop.timezone, shop.opening_hours, shop.closures, shop.last_join_minutes)


def hours_state(shop: Shop, now: datetime | None = None) -> dict[str, Any]:
    return hours_of(shop).state(now or utcnow())


def refuse_closed_join(shop: Shop) -> None:
    """A self-service join outside hours, or too near a closing, is refused."""
    hours, now = hours_of(shop), utcnow()
    if not hours.joins_open(now):
        at = hours.iso(hours.next_opening(now))
        when = f"; we open at {at}" if at else ""
        raise ShopClosed(f"the shop is not taking new tickets now{when}", {"opens_at": at})


# ------------------------------------------------------------------ duty


def _day_rows(shop: Shop, day: str) -> tuple[dict[int, list[dict[str, str]]], set[int]]:
    """(schedule rows by provider, providers on approved time off) for a local date."""
    blocks: dict[int, list[dict[str, str]]] = {}
    for provider_id, kind, start, end in sql(
        'SELECT provider_id, kind, start, "end" FROM schedule WHERE shop_id = ? AND date = ?',
        (shop.id, day),
    ).fetchall():
        blocks.setdefault(provider_id, []).append({"kind": kind, "start": start, "end": end})
    away = {
        row[0]
        for row in sql(
            "SELECT provider_id FROM time_off WHERE shop_id = ? AND status = 'approved' "
            "AND start_date <= ? AND end_date >= ?",
            (shop.id, day, day),
        ).fetchall()
    }
    return blocks, away


def _tickets_wait(shop: Shop) -> bool:
    return (
        sql(
            "SELECT 1 FROM queue_entry WHERE shop_id = ? AND status = 'CHECKED_IN' LIMIT 1",
            (shop.id,),
        ).fetchone()
        is not None
    )


def duties(shop: Shop, now: datetime | None = None) -> dict[int, rules.Duty]:
    """Every active provider's duty now, by id (in id order)."""
    now = now or utcnow()
    hours = hours_of(shop)
    day = hours.local_day(now)
    blocks, away = _day_rows(shop, day.isoformat())
    waiting = _tickets_wait(shop)
    return {
        provider_id: rules.duty(
            hours,
            rules.blocks_of(hours.zone, day, blocks.get(provider_id, ())),
            provider_id in away,
            now,
            waiting,
        )
        for (provider_id,) in sql(
            "SELECT id FROM provider WHERE shop_id = ? AND active ORDER BY id", (shop.id,)
        ).fetchall()
    }


def on_duty_ids(shop: Shop) -> list[int]:
    return [provider_id for provider_id, found in duties(shop).items() if found.on]


def refuse_off_duty(shop: Shop, provider_id: int) -> None:
    """Staff calling for a provider on a break or time off are asked to confirm."""
    found = duties(shop).get(provider_id)
    if found is None or found.state == rules.ON:
        return
    if found.state == rules.BREAK_STATE or found.reason == "time_off":
        until = hours_of(shop).iso(found.until)
        why = "on a break" if found.state == rules.BREAK_STATE else "on time off"
        raise OffDuty(
            f"provider {provider_id} is {why}; send force: true to call anyway",
            {"provider_id": provider_id, "state": found.state, "until": until},
        )


def provider_states(
    shop: Shop, busy: list[dict[str, Any]], providers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The screen's providers, each with their duty as the TV shows it: serving,
    available, on break until HH:MM, or off (back at `until` later today, or off for
    the day). A deactivated provider a ticket still names is off, unless serving it."""
    now = utcnow()
    zone = hours_of(shop).zone
    serving = {e["provider_id"] for e in busy}
    found = duties(shop, now)
    out = []
    for provider in providers:
        provider_id = provider["id"]
        duty = found.get(provider_id) if provider["active"] else None
        if provider_id in serving:
            state = "serving"
        elif duty is None:
            state = "off"
        else:
            state = "available" if duty.on else duty.state
        until = duty.until if duty and duty.until and state in ("break", "off") else None
        until = until.astimezone(zone) if until else None
        out.append(
            {
                **provider,
                "on_duty": bool(duty and duty.on),
                "state": state,
                "until": until.strftime("%H:%M") if until else None,
                "until_at": until.isoformat(timespec="seconds") if until else None,
                # Why someone is off: "time_off", "schedule" (no shift now) or "hours".
                "off_reason": duty.reason if duty and state == "off" else None,
            }
        )
    return out


def next_change(shop: Shop, now: datetime) -> datetime | None:
    """The next instant at which the shop's open state or anyone's duty may change."""
    hours = hours_of(shop)
    day = hours.local_day(now)
    candidates = hours.boundaries(now)
    for offset in (0, 1):
        blocks, _ = _day_rows(shop, (day + timedelta(offset)).isoformat())
        for rows in blocks.values():
            candidates += rules.duty_boundaries(
                rules.blocks_of(hours.zone, day + timedelta(offset), rows), now
            )
    return min(candidates, default=None)
