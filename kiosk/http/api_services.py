"""REST: a shop's services (SPEC §10): public to read, the owner's to change."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kiosk.domain.errors import InvalidField
from kiosk.http import validate as v
from kiosk.http.requests import body_of, ctx_of, json_response, path_id, principal_of, read, write
from kiosk.security.principal import require
from kiosk.services import catalog

_FIELDS = ("name", "minutes", "provider_ids", "active", "position")


def _service_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(body, set(_FIELDS))
    fields = {
        "name": v.text(body, "name", required=creating, max_len=100),
        "minutes": v.integer(body, "minutes", required=creating, minimum=1, maximum=480),
        "provider_ids": v.id_list(body, "provider_ids", max_items=500)
        if "provider_ids" in body
        else None,
        "active": v.boolean(body, "active"),
        "position": v.integer(body, "position", required=False, minimum=0, maximum=10_000),
    }
    return {k: val for k, val in fields.items() if val is not None}


async def list_services(request: web.Request) -> web.Response:
    shop_id = path_id(request, "shop_id")
    # Retired services are listed for the owner only (to bring one back at /admin).
    everyone = request.query.get("include_inactive") in ("1", "true")
    if everyone:
        require(principal_of(request), "admin")
    return json_response(await read(request, catalog.list_services, shop_id, everyone))


async def create_service(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    shop_id = path_id(request, "shop_id")
    fields = _service_fields(await body_of(request), creating=True)
    return await write(
        request, catalog.create_service, ctx_of(request), shop_id, fields, status=201
    )


async def patch_service(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    service_id = path_id(request, "service_id")
    fields = _service_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField("name", f"nothing to change: give {', '.join(_FIELDS)}")
    return await write(request, catalog.update_service, ctx_of(request), service_id, fields)


async def delete_service(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    service_id = path_id(request, "service_id")
    return await write(request, catalog.delete_service, ctx_of(request), service_id)


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/shops/{{shop_id}}/services", list_services)
    r.add_post(f"{p}/shops/{{shop_id}}/services", create_service)
    r.add_patch(f"{p}/services/{{service_id}}", patch_service)
    r.add_delete(f"{p}/services/{{service_id}}", delete_service)
