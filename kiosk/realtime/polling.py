"""The sockets' plain-HTTP twins: the central monitor's polling fallback (seed 002's
shape, when /monitor's socket is down) and the hub's own statistics."""

from __future__ import annotations

import re

import orjson
from aiohttp import web

from kiosk.domain import clock
from kiosk.domain.errors import InvalidField
from kiosk.keys import DB, HUB
from kiosk.realtime.dialects.central import seed002_data
from kiosk.realtime.sockets import int_param
from kiosk.security.principal import PRINCIPAL, require
from kiosk.services import views


def _json(body) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def monitor(request: web.Request) -> web.Response:
    require(request[PRINCIPAL], "staff")
    day = request.query.get("date")
    if day is None or not clock.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    raw_shop = request.query.get("shop_id") or None
    shop_id = int_param(raw_shop)
    if raw_shop is not None and shop_id is None:
        raise InvalidField("shop_id", "must be a positive integer id")
    snapshot = await request.app[DB].read(views.central_snapshot, day, shop_id)
    return _json({"seq": snapshot["seq"], "data": seed002_data(snapshot)})


# The hub's own topics: a shop's queue and appointments, a date, a user, everyone.
# Seed 003's `rooms` shows the rooms clients named (orders, notifications...); these
# are counted apart (SPEC §15).
_INTERNAL_TOPIC = re.compile(r"^(\*|(queue|appointments|user):[0-9]+|date:.*)$")


def split_rooms(counts: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    rooms: dict[str, int] = {}
    topics: dict[str, int] = {}
    for name, count in counts.items():
        (topics if _INTERNAL_TOPIC.match(name) else rooms)[name] = count
    return rooms, topics


async def ws_stats(request: web.Request) -> web.Response:
    require(request[PRINCIPAL], "staff")
    body = request.app[HUB].stats()
    body["rooms"], body["topics"] = split_rooms(body["rooms"])
    return _json(body)


def bind(app: web.Application) -> None:
    app.router.add_get("/api/v1/monitor", monitor)
    app.router.add_get("/ws/stats", ws_stats)
