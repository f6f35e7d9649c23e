"""REST: the queue and the customer's own ticket (SPEC §3)."""

from __future__ import annotations

import logging
import math
from typing import Any

from aiohttp import web

from kiosk.domain import tickets
from kiosk.domain.errors import Forbidden, InvalidField, NotFound, RateLimited, Unauthorized
from kiosk.domain.redaction import render
from kiosk.http import api_printer
from kiosk.http import validate as v
from kiosk.http.requests import (
    audience_of,
    body_of,
    ctx_of,
    json_response,
    path_id,
    principal_of,
    read,
    write,
)
from kiosk.keys import RUNTIME, SELF_CHECKIN
from kiosk.security.principal import at_least, require
from kiosk.services import queue, views

log = logging.getLogger(__name__)


async def get_queue(request: web.Request) -> web.Response:
    shop_id = path_id(request, "shop_id")
    snapshot = await read(request, views.queue_snapshot, shop_id)
    return json_response(render(snapshot, audience_of(request)))


def _self_checkin_limited(request: web.Request, use_case):
    """Without a kiosk token a phone may join while self check-in is on, rate-limited.

    The limit is checked inside the idempotent write (on the database thread, like
    every other use of the window), so a retry of a join that already got its answer
    replays that answer instead of spending the budget or getting a 429."""
    current = request.app[RUNTIME].settings
    if not current.self_checkin:
        raise Unauthorized("self check-in is switched off here; please ask at the desk")
    window = request.app[SELF_CHECKIN]
    address = request.remote or "?"
    limit, window_s = current.limits.self_checkin_joins, current.limits.self_checkin_window_s

    def limited(*args: Any):
        wait_s = window.check(address, limit, window_s)
        if wait_s > 0:
            raise RateLimited(
                "too many check-ins from this device; please ask at the desk",
                retry_after_s=max(1, math.ceil(wait_s)),
            )
        return use_case(*args)

    return limited


async def join_queue(request: web.Request) -> web.Response:
    principal = principal_of(request)
    shop_id = path_id(request, "shop_id")
    body = await body_of(request)
    full_name = v.text(body, "full_name", max_len=100)
    phone = v.text(body, "phone", required=False, max_len=40, nullable=True)
    provider_id = v.integer(body, "provider_id", required=False, nullable=True)
    source = v.choice(body, "source", tickets.SOURCES, required=False)
    service_id = v.integer(body, "service_id", required=False, nullable=True)
    priority_rule = _priority_rule(request, v.boolean(body, "priority"))
    use_case = queue.join
    if at_least(principal.role, "kiosk"):
        source = source or ("walk_in" if at_least(principal.role, "staff") else "kiosk")
    else:
        use_case = _self_checkin_limited(request, use_case)
        source = "phone"
    use_case, print_after = api_printer.on_join(request, use_case)
    response = await write(
        request,
        use_case,
        ctx_of(request),
        shop_id,
        full_name,
        phone,
        provider_id,
        source,
        service_id,
        priority_rule,
        status=201,
    )
    print_after()  # the ticket is durable: paper may follow (SPEC §12)
    return response


def _priority_rule(request: web.Request, priority: bool | None) -> str | None:
    """The owner's rule for a join that asks for priority, None for a normal one.
    Staff give priority; a kiosk only when the owner allows it (SPEC §10)."""
    if not priority:
        return None
    current = request.app[RUNTIME].settings
    role = principal_of(request).role
    if not (at_least(role, "staff") or (role == "kiosk" and current.priority_at_kiosk)):
        raise Forbidden("priority tickets are given by staff here; please ask at the desk")
    return current.priority_rule


async def patch_entry(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    entry_id = path_id(request, "entry_id")
    body = await body_of(request)
    v.only_known(body, {"status", "provider_id", "service_id", "priority"})
    status = v.choice(body, "status", tickets.STATUSES, required=False, upper=True)
    move = "provider_id" in body
    provider_id = v.integer(body, "provider_id", required=False, nullable=True)
    service_id = v.integer(body, "service_id", required=False, nullable=True)
    priority = v.boolean(body, "priority")
    if status is None and not move and "service_id" not in body and priority is None:
        raise InvalidField("status", "give a status, a provider_id, a service_id or priority")
    return await write(
        request,
        queue.update_entry,
        ctx_of(request),
        entry_id,
        status,
        provider_id,
        move,
        service_id if "service_id" in body else queue.UNCHANGED,
        priority,
        request.app[RUNTIME].settings.priority_rule,
    )


async def call_next(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    raw = await request.read()
    body = v.json_object(raw) if raw.strip() else {}
    provider_id = v.integer(body, "provider_id", required=False, nullable=True)
    force = bool(v.boolean(body, "force"))
    return await write(request, queue.call_next, ctx_of(request), shop_id, provider_id, force)


async def reorder(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    body = await body_of(request)
    entry_ids = v.id_list(body, "entry_ids")
    version = v.integer(body, "version", minimum=0)
    return await write(request, queue.reorder, ctx_of(request), shop_id, entry_ids, version)


async def announce(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    entry_id = path_id(request, "entry_id")
    return await write(request, queue.announce, ctx_of(request), entry_id)


def _claim(request: web.Request) -> str:
    claim = request.match_info["claim"]
    if not 10 <= len(claim) <= 64:
        raise NotFound("no such ticket")
    return claim


async def get_ticket(request: web.Request) -> web.Response:
    ticket = await read(request, queue.ticket_by_claim, _claim(request))
    # The holder sees their ticket as a display would: the phone may be shared.
    return json_response(render(ticket, audience_of(request, as_display=True)))


async def leave_ticket(request: web.Request) -> web.Response:
    return await write(request, queue.leave_by_claim, ctx_of(request), _claim(request))


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/shops/{{shop_id}}/queue", get_queue)
    r.add_post(f"{p}/shops/{{shop_id}}/queue", join_queue)
    r.add_post(f"{p}/shops/{{shop_id}}/queue/call-next", call_next)
    r.add_put(f"{p}/shops/{{shop_id}}/queue/order", reorder)
    r.add_patch(f"{p}/queue/{{entry_id}}", patch_entry)
    r.add_post(f"{p}/queue/{{entry_id}}/announce", announce)
    r.add_get(f"{p}/tickets/{{claim}}", get_ticket)
    r.add_delete(f"{p}/tickets/{{claim}}", leave_ticket)
