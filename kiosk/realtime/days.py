"""The day chore: screens that show "today" move to a shop's next local day by themselves.

Nothing is committed at midnight, so no event would tell the hub that a quiet shop's
"today" has turned: the queue display's `appointments_today`, the appointments socket
without `?date`, the central monitor's views of yesterday and today (tickets carried
over join today's), and the views cached for sockets that connect next. This chore
sleeps until the earliest next local midnight of any shop (DST-safe, domain/clock.py)
and then has the hub re-render those topics. A shop created since its last look may
live in any zone, and every zone's midnight falls on a quarter hour of UTC, so it
looks again at the next quarter hour at the latest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from kiosk.domain import clock
from kiosk.keys import DB, HUB
from kiosk.realtime.hub import Hub
from kiosk.realtime.rounds import Reader
from kiosk.services import views
from kiosk.tasks import running

log = logging.getLogger(__name__)

# The wall clock is looked at again at least this often: a shop created meanwhile, or
# an appliance that booted with a wrong clock and was set right by NTP, is noticed
# without waiting for a midnight computed from a clock that no longer holds.
LOOK_AGAIN_S = 60.0
# Woken this much after the computed midnight, so every read then sees the new day.
PAST_MIDNIGHT_S = 0.05


async def days_ctx(app: web.Application) -> AsyncIterator[None]:
    async with running(turn_days_forever(app[DB].run, app[HUB])):
        yield


def topics_of_turn(shop_id: int, before: str, today: str) -> list[str]:
    """What a shop's new day changes: its queue display (appointments_today), its
    appointments socket, and the central views of the day that ended and of the new one."""
    return [f"queue:{shop_id}", f"appointments:{shop_id}", f"date:{before}", f"date:{today}"]


async def turn_days_forever(read: Reader, hub: Hub) -> None:
    known: dict[int, str] = {}  # shop id -> the local day it was living at the last look
    last_look = None
    while True:
        try:
            zones = await read(views.shop_zones)
        except Exception:
            log.exception("reading the shops' timezones failed")
            zones = []
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
            [clock.next_midnight(zone, now) for _, zone in zones] + [clock.next_quarter_hour(now)]
        )
        delay = min(LOOK_AGAIN_S, (wake - clock.utcnow()).total_seconds() + PAST_MIDNIGHT_S)
        await asyncio.sleep(max(delay, PAST_MIDNIGHT_S))
