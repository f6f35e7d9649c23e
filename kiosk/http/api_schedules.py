"""REST: staff schedules and time off (SPEC §11, seed 004).

Staff read and write schedules and request time off; the owner approves or rejects it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kiosk.domain import hours as rules
from kiosk.domain.errors import InvalidField
from kiosk.http import validate as v
from kiosk.http.requests import (
    body_of,
    ctx_of,
    json_response,
    path_id,
    principal_of,
    query_id,
    read,
)
from kiosk.http.requests import write as write_once
from kiosk.keys import HOURS_CHANGED
from kiosk.security.principal import require
from kiosk.services import schedules


async def write(request: web.Request, use_case, *args: Any, status: int = 200) -> web.Response:
    """A write that may change who is on duty now: the day chore re-reads the clock."""
    response = await write_once(request, use_case, *args, status=status)
    request.app[HOURS_CHANGED].set()
    return response


def _schedule_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(body, {"provider_id", "date", "start", "end", "kind"})
    fields = {
        "provider_id": v.integer(body, "provider_id", required=creating),
        "date": v.text(body, "date", required=creating, max_len=10),
        "start": v.text(body, "start", required=creating, max_len=5),
        "end": v.text(body, "end", required=creating, max_len=5),
        "kind": v.choice(body, "kind", rules.SCHEDULE_KINDS, required=False),
    }
    return {k: val for k, val in fields.items() if val is not None}


async def _listing(request: web.Request, use_case) -> web.Response:
    """A shop's rows over `?from=&to=` (dates), optionally one `provider_id`'s."""
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    query = request.query
    span = (query.get("from") or None, query.get("to") or None)
    provider_id = query_id(query, "provider_id")
    return json_response(await read(request, use_case, shop_id, *span, provider_id))


async def list_schedules(request: web.Request) -> web.Response:
    return await _listing(request, schedules.list_schedules)


async def create_schedule(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    fields = _schedule_fields(await body_of(request), creating=True)
    return await write(
        request, schedules.create_schedule, ctx_of(request), shop_id, fields, status=201
    )


async def patch_schedule(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    schedule_id = path_id(request, "schedule_id")
    fields = _schedule_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField("date", "nothing to change: give provider_id, date, start, end or kind")
    return await write(request, schedules.update_schedule, ctx_of(request), schedule_id, fields)


async def delete_schedule(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    schedule_id = path_id(request, "schedule_id")
    return await write(request, schedules.delete_schedule, ctx_of(request), schedule_id)


async def list_timeoff(request: web.Request) -> web.Response:
    return await _listing(request, schedules.list_timeoff)


async def request_timeoff(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    body = await body_of(request)
    v.only_known(body, {"provider_id", "start_date", "end_date", "reason"})
    fields = {
        "provider_id": v.integer(body, "provider_id"),
        "start_date": v.text(body, "start_date", max_len=10),
        "end_date": v.text(body, "end_date", required=False, max_len=10, nullable=True),
        "reason": v.text(body, "reason", required=False, max_len=200, nullable=True),
    }
    return await write(
        request, schedules.request_timeoff, ctx_of(request), shop_id, fields, status=201
    )


async def patch_timeoff(request: web.Request) -> web.Response:
    principal = principal_of(request)
    require(principal, "staff")
    timeoff_id = path_id(request, "timeoff_id")
    body = await body_of(request)
    v.only_known(body, {"status"})
    status = v.choice(body, "status", schedules.TIMEOFF_STATUSES)
    if status in schedules.OWNER_DECIDES:
        require(principal, "admin")  # staff ask; the owner decides
    return await write(request, schedules.decide_timeoff, ctx_of(request), timeoff_id, status)


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/shops/{{shop_id}}/schedules", list_schedules)
    r.add_post(f"{p}/shops/{{shop_id}}/schedules", create_schedule)
    r.add_patch(f"{p}/schedules/{{schedule_id}}", patch_schedule)
    r.add_delete(f"{p}/schedules/{{schedule_id}}", delete_schedule)
    r.add_get(f"{p}/shops/{{shop_id}}/timeoff", list_timeoff)
    r.add_post(f"{p}/shops/{{shop_id}}/timeoff", request_timeoff)
    r.add_patch(f"{p}/timeoff/{{timeoff_id}}", patch_timeoff)
