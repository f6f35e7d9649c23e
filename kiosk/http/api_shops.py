"""REST: health, shops and their providers (SPEC §3)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from kiosk import __version__
from kiosk.domain.errors import InvalidField
from kiosk.domain.languages import DEFAULT as DEFAULT_LANGUAGE
from kiosk.domain.languages import LANGUAGES
from kiosk.http import validate as v
from kiosk.http.requests import body_of, ctx_of, json_response, path_id, principal_of, read, write
from kiosk.keys import HOURS_CHANGED, RUNTIME
from kiosk.security.principal import require
from kiosk.services import shops
from kiosk.services.shops import DEFAULT_KIND, SHOP_KINDS

log = logging.getLogger(__name__)


async def health(request: web.Request) -> web.Response:
    # Answered from memory: a health check must not queue behind database writes.
    runtime = request.app[RUNTIME]
    return json_response(
        {"status": "ok", "version": __version__, "uptime_s": round(runtime.uptime_s, 3)}
    )


async def list_shops(request: web.Request) -> web.Response:
    return json_response(await read(request, shops.list_shops))


async def get_shop(request: web.Request) -> web.Response:
    return json_response(await read(request, shops.read_shop, path_id(request, "shop_id")))


# SPEC §11; checked in full by domain/hours.py (null hours: always open).
HOURS_FIELDS = ("opening_hours", "closures")


def _shop_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(
        body,
        {"name", "timezone", "default_service_minutes", "language", "kind", "last_join_minutes"}
        | set(HOURS_FIELDS),
    )
    fields = {
        **{name: body[name] for name in HOURS_FIELDS if name in body},
        "last_join_minutes": v.integer(
            body, "last_join_minutes", required=False, minimum=0, maximum=240
        ),
        "name": v.text(body, "name", required=creating, max_len=100),
        "timezone": v.text(body, "timezone", required=False, max_len=64),
        "default_service_minutes": v.integer(
            body, "default_service_minutes", required=False, minimum=1, maximum=480
        ),
        "language": v.choice(body, "language", LANGUAGES, required=False),
        "kind": v.choice(body, "kind", SHOP_KINDS, required=False),
    }
    return {k: val for k, val in fields.items() if val is not None or k == "opening_hours"}


async def create_shop(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    fields = _shop_fields(await body_of(request), creating=True)
    for later in ("default_service_minutes", "last_join_minutes", *HOURS_FIELDS):
        if later in fields:
            raise InvalidField(later, "set it with PATCH after creating the shop")
    return await write(
        request,
        shops.create_shop,
        ctx_of(request),
        fields["name"],
        fields.get("timezone"),
        fields.get("language", DEFAULT_LANGUAGE),
        fields.get("kind", DEFAULT_KIND),
        status=201,
    )


async def patch_shop(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    shop_id = path_id(request, "shop_id")
    fields = _shop_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField(
            "name",
            "nothing to change: give name, timezone, default_service_minutes, language, "
            "kind, opening_hours, closures or last_join_minutes",
        )
    response = await write(request, shops.update_shop, ctx_of(request), shop_id, fields)
    request.app[HOURS_CHANGED].set()  # the shop may open or close at another time now
    return response


def _provider_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(body, {"name", "code", "specialty", "active"})
    fields = {
        "name": v.text(body, "name", required=creating, max_len=100),
        "code": v.text(body, "code", required=False, max_len=20),
        "specialty": v.text(body, "specialty", required=False, max_len=100),
        "active": v.boolean(body, "active"),
    }
    return {k: val for k, val in fields.items() if val is not None}


async def list_providers(request: web.Request) -> web.Response:
    shop_id = path_id(request, "shop_id")
    # Retired providers are listed for staff and the owner: staff screens keep naming
    # them on tickets and appointments (not "#3"), the owner brings one back at /admin.
    everyone = request.query.get("include_inactive") in ("1", "true")
    if everyone:
        require(principal_of(request), "staff")
    return json_response(await read(request, shops.list_providers, shop_id, everyone))


async def create_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    shop_id = path_id(request, "shop_id")
    fields = _provider_fields(await body_of(request), creating=True)
    return await write(request, shops.create_provider, ctx_of(request), shop_id, fields, status=201)


async def patch_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    provider_id = path_id(request, "provider_id")
    fields = _provider_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField("name", "nothing to change: give name, code, specialty or active")
    return await write(request, shops.update_provider, ctx_of(request), provider_id, fields)


async def delete_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    provider_id = path_id(request, "provider_id")
    return await write(request, shops.delete_provider, ctx_of(request), provider_id)


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/health", health)
    r.add_get(f"{p}/shops", list_shops)
    r.add_post(f"{p}/shops", create_shop)
    r.add_get(f"{p}/shops/{{shop_id}}", get_shop)
    r.add_patch(f"{p}/shops/{{shop_id}}", patch_shop)
    r.add_get(f"{p}/shops/{{shop_id}}/providers", list_providers)
    r.add_post(f"{p}/shops/{{shop_id}}/providers", create_provider)
    r.add_patch(f"{p}/providers/{{provider_id}}", patch_provider)
    r.add_delete(f"{p}/providers/{{provider_id}}", delete_provider)
