"""What handlers share: who asks, the body, path and query ids, and reads and writes
on the database thread (writes once per Idempotency-Key)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from aiohttp import web

from kiosk.domain.errors import InvalidField
from kiosk.domain.redaction import REDACTED, Audience, render, shown_to
from kiosk.http import validate as v
from kiosk.keys import DB, RUNTIME
from kiosk.security.principal import PRINCIPAL, Principal
from kiosk.services.context import Ctx
from kiosk.store import idempotency

log = logging.getLogger(__name__)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def audience_of(request: web.Request, *, as_display: bool = False) -> Audience:
    """Whom an answer is rendered for: staff see it whole; display-level askers (or,
    with `as_display`, anyone) as the owner's `display_names` setting says right now."""
    audience = REDACTED if as_display else principal_of(request).audience
    return shown_to(audience, request.app[RUNTIME].settings.display_names)


def ctx_of(request: web.Request) -> Ctx:
    return Ctx(principal_of(request).actor(request.remote))


async def body_of(request: web.Request) -> dict[str, Any]:
    return v.json_object(await request.read())


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise InvalidField(name, "must be a positive integer id")
    return int(raw)


async def read(request: web.Request, fn, *args: Any) -> Any:
    return await request.app[DB].read(fn, *args)


async def write(request: web.Request, use_case, *args: Any, status: int = 200) -> web.Response:
    """Run a use case once per Idempotency-Key and answer with its resource + seq."""
    principal = principal_of(request)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidField("Idempotency-Key", "must be 1 to 200 characters")
    scope = f"token:{principal.token_id}" if principal.token_id else f"addr:{request.remote}"
    body = await request.read()
    fingerprint = hashlib.sha256(
        b"%s %s\n%s" % (request.method.encode(), request.path_qs.encode(), body)
    ).hexdigest()
    answer = await request.app[DB].run(
        idempotency.write, scope, key, fingerprint, status, use_case, *args
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    if answer.seq is not None:
        headers["X-Seq"] = str(answer.seq)
    # Rendered now, a replay too: the caller's view follows the display_names setting
    # of this moment, and what is kept for replays is data, not a rendering of it.
    body = render(answer.value, audience_of(request)) if answer.status < 300 else answer.value
    return web.Response(
        body=orjson.dumps(body),
        status=answer.status,
        content_type="application/json",
        headers=headers,
    )


def query_id(query, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise InvalidField(name, "must be a positive integer id")
    return int(raw)
