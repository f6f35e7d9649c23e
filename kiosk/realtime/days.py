"""The day chore: screens that show "today" move to a shop's next local day by themselves.

Nothing is committed at midnight, so no event would tell the hub that a quiet shop's
"today" has turned: the queue display's `appointments_today`, the appointments socket
without `?date`, the central monitor's views of yesterday and today (tickets carried
over join today's), and the views cached for sockets that connect next. This chore
sleeps until the earliest next local midnight of any shop (DST-safe, domain/clock.py)
and then has the hub re-render those topics. A shop created since its last look may
live in any zone, and every zone's midnight falls on a quarter hour of UTC, so it
looks again at the next quarter hour at the latest.

Opening hours (SPEC §11) add two duties. At the first opening of a shop's new local
day, tickets left open from earlier days are closed, in one event by the system actor.
And what time alone changes on a queue display (open or closed, taking joins, each
provider's duty at a shift's or break's edge) is re-rendered when it changes, so
screens say "Closed" and open again by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk.domain import clock
from kiosk.keys import DB, HOURS_CHANGED, HUB
from kiosk.realtime.hub import Hub
from kiosk.realtime.rounds import Reader
from kiosk.services import next_day, views
from kiosk.services.context import Ctx
from kiosk.store.eventlog import SYSTEM
from kiosk.tasks import running

log = logging.getLogger(__name__)

# The wall clock is looked at again at least this often: a shop created meanwhile, or
# an appliance that booted with a wrong clock and was set right by NTP, is noticed
# without waiting for a midnight computed from a clock that no longer holds.
LOOK_AGAIN_S = 60.0
# Woken this much after the computed midnight, so every read then sees the new day.
PAST_MIDNIGHT_S = 0.05


async def days_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[DB]
    app[HOURS_CHANGED] = changed = asyncio.Event()
    async with running(turn_days_forever(db.read, app[HUB], db.run, changed)):
        yield


async def close_earlier_days(read: Reader, write: Reader) -> None:
    """Each shop past its new day's first opening closes what earlier days left open."""
    for shop_id in await read(next_day.shops_due_for_closing):
        closed = await write(next_day.close_earlier_days, Ctx(SYSTEM), shop_id)
        if closed:
            log.info("shop %d: closed %d tickets of earlier days", shop_id, len(closed["closed"]))


async def clock_changes(
    read: Reader, hub: Hub, zones: list[tuple[int, str]], seen: dict[int, tuple]
) -> list:
    """Re-render the queue display of each shop whose open state or duty changed with
    time alone; returns when each may change next."""
    now = clock.utcnow()
    wakes = []
    first_look = not seen
    for shop_id, _ in zones:
        view, wake = await read(next_day.clock_view, shop_id, now)
        # A shop new since the last look may have opened in between, unseen.
        if seen.get(shop_id) != view and not first_look:
            hub.day_changed(f"queue:{shop_id}")
        seen[shop_id] = view
        if wake is not None:
            wakes.append(wake)
    return wakes


def topics_of_turn(shop_id: int, before: str, today: str) -> list[str]:
    """What a shop's new day changes: its queue display (appointments_today), its
    appointments socket, and the central views of the day that ended and of the new one."""
    return [f"queue:{shop_id}", f"appointments:{shop_id}", f"date:{before}", f"date:{today}"]


async def turn_days_forever(
    read: Reader, hub: Hub, write: Reader, hours_changed: asyncio.Event | None = None
) -> None:
    hours_changed = hours_changed or asyncio.Event()
    known: dict[int, str] = {}  # shop id -> the local day it was living at the last look
    seen: dict[int, tuple] = {}  # shop id -> what time alone decides on its display
    last_look = None
    while True:
        try:
            zones = await read(views.shop_zones)
        except Exception:
            log.exception("reading the shops' timezones failed")
            zones = []
        wakes = []
        try:
            await close_earlier_days(read, write)
            wakes = await clock_changes(read, hub, zones, seen)
        except Exception:
            log.exception("the shops' opening hours could not be applied")
        now = clock.utcnow()
        turned: set[str] = set()
        for shop_id, zone in zones:
            today = clock.day_in(zone, now)
            before = known.get(shop_id)
            if before is None and last_look is not None:
                # Created since the last look: its screens may have opened on that day.
                before = clock.day_in(zone, last_look)
            if before is not None and before != today:
                log.info("shop %d: the day turned from %s to %s", shop_id, before, today)
                turned.update(topics_of_turn(shop_id, before, today))
            known[shop_id] = today
        last_look = now
        for topic in sorted(turned):
            hub.day_changed(topic)
        wake = min(
            [clock.next_midnight(zone, now) for _, zone in zones]
            + [clock.next_quarter_hour(now)]
            + wakes
        )
        delay = min(LOOK_AGAIN_S, (wake - clock.utcnow()).total_seconds() + PAST_MIDNIGHT_S)
        # New hours or schedules may bring the next change closer: look again at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hours_changed.wait(), max(delay, PAST_MIDNIGHT_S))
        hours_changed.clear()
