"""REST: events relayed from integrators to rooms, users or everyone (SPEC §8)."""

from __future__ import annotations

import logging

from aiohttp import web

from kiosk.domain.errors import InvalidField
from kiosk.domain.topics import ROOM_NAME
from kiosk.http import validate as v
from kiosk.http.requests import body_of, ctx_of, principal_of, write
from kiosk.security.principal import require
from kiosk.services import relay

log = logging.getLogger(__name__)


async def relay_event(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    body = await body_of(request)
    v.only_known(body, {"type", "room", "user_id", "severity", "data"})
    type = v.text(body, "type", max_len=64)
    if not relay.RELAY_TYPE.match(type) or type in relay.RESERVED_TYPES:
        raise InvalidField(
            "type",
            "must be an event name like order_created (a-z, 0-9, _ . : -), "
            "and not one the appliance itself sends",
        )
    room = v.text(body, "room", required=False, max_len=64, nullable=True)
    if room is not None and not ROOM_NAME.match(room):
        raise InvalidField("room", "must be 1-64 characters of a-z, 0-9, ':', '_' or '-'")
    user_id = v.integer(body, "user_id", required=False, nullable=True)
    severity = v.choice(body, "severity", relay.SEVERITIES, required=False)
    if severity is None and type == "notification":
        severity = "info"
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidField("data", "must be a JSON object")
    return await write(
        request, relay.relay, ctx_of(request), type, room, user_id, severity, data, status=201
    )


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_post(f"{p}/events", relay_event)
