"""REST: the owner's webhooks (SPEC §15), admin only. The secret is in the answer that
creates a webhook and nowhere after; the list shows each one's recent outcomes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from kiosk.domain.errors import InvalidField
from kiosk.http import validate as v
from kiosk.http.requests import body_of, ctx_of, json_response, path_id, principal_of, read, write
from kiosk.security.principal import require
from kiosk.services import webhooks
from kiosk.services.relay import RELAY_TYPE

_FIELDS = ("url", "events", "active", "include_contact")
MAX_EVENTS = 50


def _url(body: dict[str, Any], *, required: bool) -> str | None:
    url = v.text(body, "url", required=required, max_len=500)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise InvalidField("url", "must be an http:// or https:// URL without a user name")
    return url


def _events(body: dict[str, Any]) -> list[str] | None:
    if "events" not in body:
        return None
    events = body["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise InvalidField("events", f'must be a list of 1 to {MAX_EVENTS} event types, or ["*"]')
    for item in events:
        if not isinstance(item, str) or (item != "*" and not RELAY_TYPE.match(item)):
            raise InvalidField("events", f'{item!r} is not an event type; see docs, or use "*"')
    return sorted(set(events))


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(body, set(_FIELDS))
    fields = {
        "url": _url(body, required=creating),
        "events": _events(body),
        "active": v.boolean(body, "active"),
        "include_contact": v.boolean(body, "include_contact"),
    }
    if creating and fields["events"] is None:
        raise InvalidField("events", "is required")
    return {k: val for k, val in fields.items() if val is not None}


async def list_webhooks(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    hooks = await read(request, webhooks.list_webhooks)
    return json_response({"webhooks": hooks, "event_types": list(webhooks.EVENT_TYPES)})


async def create_webhook(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    fields = _fields(await body_of(request), creating=True)
    return await write(request, webhooks.create_webhook, ctx_of(request), fields, status=201)


async def patch_webhook(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    webhook_id = path_id(request, "webhook_id")
    fields = _fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField("url", f"nothing to change: give {', '.join(_FIELDS)}")
    return await write(request, webhooks.update_webhook, ctx_of(request), webhook_id, fields)


async def delete_webhook(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    webhook_id = path_id(request, "webhook_id")
    return await write(request, webhooks.delete_webhook, ctx_of(request), webhook_id)


def bind(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/webhooks", list_webhooks)
    r.add_post("/api/v1/webhooks", create_webhook)
    r.add_patch("/api/v1/webhooks/{webhook_id}", patch_webhook)
    r.add_delete("/api/v1/webhooks/{webhook_id}", delete_webhook)
