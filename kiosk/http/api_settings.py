"""REST: the owner's settings and the audit trail."""

from __future__ import annotations

import logging

from aiohttp import web

from kiosk.domain.errors import InvalidField
from kiosk.http.requests import body_of, ctx_of, json_response, principal_of, write
from kiosk.keys import DB, RUNTIME
from kiosk.security.principal import at_least, require
from kiosk.services import audit, demo_data, settings

log = logging.getLogger(__name__)


async def get_settings(request: web.Request) -> web.Response:
    current = request.app[RUNTIME].settings
    if at_least(principal_of(request).role, "admin"):
        return json_response(current.as_dict())
    return json_response(current.public())


async def patch_settings(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    runtime = request.app[RUNTIME]
    settings.changed(runtime.settings, body)  # refuse bad input before any write
    runtime.settings = await request.app[DB].run(
        settings.update_settings, ctx_of(request), runtime.settings, body
    )
    return json_response(runtime.settings.as_dict())


async def get_audit(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    raw_limit = request.query.get("limit", "100")
    raw_before = request.query.get("before")
    if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise InvalidField("limit", "must be a number from 1 to 1000")
    if raw_before is not None and (
        not raw_before.isascii() or not raw_before.isdigit() or len(raw_before) > 15
    ):
        raise InvalidField("before", "must be a seq number")
    limit = int(raw_limit)
    before = int(raw_before) if raw_before is not None else None
    return json_response(await request.app[DB].read(audit.audit, limit, before))


async def get_demo(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    return json_response(await request.app[DB].read(demo_data.summary))


async def remove_demo(request: web.Request) -> web.Response:
    """ "Start for real" (SPEC §9): the demo's rows go; settings, PINs, devices stay."""
    require(principal_of(request), "admin")
    return await write(request, demo_data.remove_demo, ctx_of(request))


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/settings", get_settings)
    r.add_patch(f"{p}/settings", patch_settings)
    r.add_get(f"{p}/audit", get_audit)
    r.add_get(f"{p}/demo", get_demo)
    r.add_delete(f"{p}/demo", remove_demo)
