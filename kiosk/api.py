"""The REST API (SPEC §3): parse, authorize, call a service, answer.

No business rules here: handlers turn a request into a service call on the database
thread and its result into JSON. `bind(app)` adds the whole surface in one place.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import replace
from typing import Any

import orjson
from aiohttp import web

from kiosk import __version__, auth, idempotency, services, tickets
from kiosk import validate as v
from kiosk.auth import ANONYMOUS, Principal, require
from kiosk.dialects.central import seed002_data
from kiosk.errors import (
    HTTP_STATUS,
    Forbidden,
    InvalidField,
    KioskError,
    NotFound,
    RateLimited,
    Unauthorized,
)
from kiosk.keys import CONFIG, DB, HUB, RUNTIME, SEEN, SELF_CHECKIN, TOKENS
from kiosk.redaction import render

log = logging.getLogger(__name__)

PRINCIPAL = "principal"  # request-scoped (request[...]), not app state
TOKEN_ERROR = "token_error"


# ---------------------------------------------------------------- plumbing


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def error_response(error: KioskError) -> web.Response:
    response = web.Response(
        body=idempotency.error_body(error),
        status=HTTP_STATUS[error.code],
        content_type="application/json",
    )
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_json"}


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Every failure becomes the JSON error format; nothing escapes as a bare 500."""
    try:
        return await handler(request)
    except KioskError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        code = _HTTP_CODES.get(exc.status, "bad_request")
        message = {
            "not_found": f"no such endpoint: {request.method} {request.path}",
            "method_not_allowed": f"{request.method} is not allowed on {request.path}",
            "too_large": "the request body is too large",
        }.get(code, exc.reason)
        body = orjson.dumps({"error": {"code": code, "message": message, "details": {}}})
        return web.Response(
            body=body,
            status=exc.status,
            content_type="application/json",
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = orjson.dumps(
            {"error": {"code": "internal", "message": "internal error", "details": {}}}
        )
        return web.Response(body=body, status=500, content_type="application/json")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query.get("token") or None


SESSION_COOKIE = "qk_session"  # a staff member's PIN login (hours)
# A paired tablet's or TV's own token (months). Separate from the session, so a staff
# login on a paired tablet sits on top of the pairing and logging out keeps it paired.
DEVICE_COOKIE = "qk_device"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _principal_for(request: web.Request, secret: str) -> Principal | None:
    secret_hash = auth.hash_secret(secret)
    cache = request.app[TOKENS]
    principal = cache.get(secret_hash)
    if principal is None:
        principal = await request.app[DB].run(
            auth.find_token, secret_hash, services.iso_utc(services.utcnow())
        )
        if principal is not None:
            cache.put(secret_hash, principal)
    if principal is not None:
        request.app[SEEN].add(principal.token_id)
    return principal


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Who is asking: a Bearer/?token= token, else the session cookie, else nobody
    (display). Cookie-authenticated writes must come from our own pages (Origin)."""
    principal = ANONYMOUS
    secret = _bearer(request)
    if secret is not None:
        found = await _principal_for(request, secret)
        if found is None:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                # A socket is told in its own dialect (e.g. connection:error + 1008).
                request[TOKEN_ERROR] = "this token is unknown or revoked"
            else:
                raise Unauthorized("this token is unknown or revoked")
        else:
            principal = found
    else:
        # A stale cookie (logged out, revoked) is simply nobody: public pages still work.
        for name in (SESSION_COOKIE, DEVICE_COOKIE):
            cookie = request.cookies.get(name)
            found = await _principal_for(request, cookie) if cookie else None
            if found is not None:
                principal = replace(found, via_cookie=True)
                break
        cross_site = request.method not in SAFE_METHODS and not origin_ok(request, required=True)
        if principal.via_cookie and cross_site:
            raise Forbidden(
                "cross-site request refused: a cookie-authenticated write must come "
                "from this appliance's own pages",
                {"origin": request.headers.get("Origin")},
            )
    request[PRINCIPAL] = principal
    return await handler(request)


def origin_ok(request: web.Request, *, required: bool = False) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    allowed = request.app[CONFIG].allowed_origins + request.app[RUNTIME].settings.allowed_origins
    return auth.origin_allowed(origin, request.scheme, request.host, allowed)


def principal_of(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def ctx_of(request: web.Request) -> services.Ctx:
    return services.Ctx(principal_of(request).actor(request.remote))


async def body_of(request: web.Request) -> dict[str, Any]:
    return v.json_object(await request.read())


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise InvalidField(name, "must be a positive integer id")
    return int(raw)


async def read(request: web.Request, fn, *args: Any) -> Any:
    return await request.app[DB].run(fn, *args)


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
        idempotency.write, scope, key, fingerprint, status, principal.audience, use_case, *args
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    if answer.seq is not None:
        headers["X-Seq"] = str(answer.seq)
    return web.Response(
        body=answer.body, status=answer.status, content_type="application/json", headers=headers
    )


# ---------------------------------------------------------------- health and shops


async def health(request: web.Request) -> web.Response:
    # Answered from memory: a health check must not queue behind database writes.
    runtime = request.app[RUNTIME]
    return json_response(
        {"status": "ok", "version": __version__, "uptime_s": round(runtime.uptime_s, 3)}
    )


async def list_shops(request: web.Request) -> web.Response:
    return json_response(await read(request, services.list_shops))


async def get_shop(request: web.Request) -> web.Response:
    return json_response(await read(request, services.read_shop, path_id(request, "shop_id")))


def _shop_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    v.only_known(body, {"name", "timezone", "default_service_minutes"})
    fields = {
        "name": v.text(body, "name", required=creating, max_len=100),
        "timezone": v.text(body, "timezone", required=False, max_len=64),
        "default_service_minutes": v.integer(
            body, "default_service_minutes", required=False, minimum=1, maximum=480
        ),
    }
    return {k: val for k, val in fields.items() if val is not None}


async def create_shop(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    fields = _shop_fields(await body_of(request), creating=True)
    if "default_service_minutes" in fields:
        raise InvalidField("default_service_minutes", "set it with PATCH after creating the shop")
    return await write(
        request,
        services.create_shop,
        ctx_of(request),
        fields["name"],
        fields.get("timezone"),
        status=201,
    )


async def patch_shop(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    shop_id = path_id(request, "shop_id")
    fields = _shop_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField(
            "name", "nothing to change: give name, timezone or default_service_minutes"
        )
    return await write(request, services.update_shop, ctx_of(request), shop_id, fields)


# ---------------------------------------------------------------- providers


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
    # Retired providers are listed for the owner only (to bring one back at /admin).
    everyone = request.query.get("include_inactive") in ("1", "true")
    if everyone:
        require(principal_of(request), "admin")
    return json_response(await read(request, services.list_providers, shop_id, everyone))


async def create_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    shop_id = path_id(request, "shop_id")
    fields = _provider_fields(await body_of(request), creating=True)
    return await write(
        request, services.create_provider, ctx_of(request), shop_id, fields, status=201
    )


async def patch_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    provider_id = path_id(request, "provider_id")
    fields = _provider_fields(await body_of(request), creating=False)
    if not fields:
        raise InvalidField("name", "nothing to change: give name, code, specialty or active")
    return await write(request, services.update_provider, ctx_of(request), provider_id, fields)


async def delete_provider(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    provider_id = path_id(request, "provider_id")
    return await write(request, services.delete_provider, ctx_of(request), provider_id)


# ---------------------------------------------------------------- queue


async def get_queue(request: web.Request) -> web.Response:
    shop_id = path_id(request, "shop_id")
    snapshot = await read(request, services.queue_snapshot, shop_id)
    return json_response(render(snapshot, principal_of(request).audience))


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
    use_case = services.join
    if auth.at_least(principal.role, "kiosk"):
        source = source or ("walk_in" if auth.at_least(principal.role, "staff") else "kiosk")
    else:
        use_case = _self_checkin_limited(request, use_case)
        source = "phone"
    return await write(
        request,
        use_case,
        ctx_of(request),
        shop_id,
        full_name,
        phone,
        provider_id,
        source,
        status=201,
    )


async def patch_entry(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    entry_id = path_id(request, "entry_id")
    body = await body_of(request)
    v.only_known(body, {"status", "provider_id"})
    status = v.choice(body, "status", tickets.STATUSES, required=False, upper=True)
    move = "provider_id" in body
    provider_id = v.integer(body, "provider_id", required=False, nullable=True)
    if status is None and not move:
        raise InvalidField("status", "give a status, a provider_id, or both")
    return await write(
        request, services.update_entry, ctx_of(request), entry_id, status, provider_id, move
    )


async def call_next(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    raw = await request.read()
    body = v.json_object(raw) if raw.strip() else {}
    provider_id = v.integer(body, "provider_id", required=False, nullable=True)
    return await write(request, services.call_next, ctx_of(request), shop_id, provider_id)


async def reorder(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    body = await body_of(request)
    entry_ids = v.id_list(body, "entry_ids")
    version = v.integer(body, "version", minimum=0)
    return await write(request, services.reorder, ctx_of(request), shop_id, entry_ids, version)


def _claim(request: web.Request) -> str:
    claim = request.match_info["claim"]
    if not 10 <= len(claim) <= 64:
        raise NotFound("no such ticket")
    return claim


async def get_ticket(request: web.Request) -> web.Response:
    ticket = await read(request, services.ticket_by_claim, _claim(request))
    # The holder sees their ticket as a display would: the phone may be shared.
    return json_response(render(ticket, "redacted"))


async def leave_ticket(request: web.Request) -> web.Response:
    return await write(request, services.leave_by_claim, ctx_of(request), _claim(request))


# ---------------------------------------------------------------- appointments


async def list_appointments(request: web.Request) -> web.Response:
    principal = principal_of(request)
    require(principal, "kiosk")
    query = request.query
    day = query.get("date") or None
    shop_id = _query_id(query, "shop_id")
    provider_id = _query_id(query, "provider_id")
    if day is not None and not services.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    if day is None:
        day = await read(request, services.today_of, shop_id or 1)
    appointments = await read(request, services.list_appointments, day, shop_id, provider_id)
    return json_response(render(appointments, principal.audience))


def _query_id(query, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise InvalidField(name, "must be a positive integer id")
    return int(raw)


async def create_appointment(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    body = await body_of(request)
    provider_id = v.integer(body, "provider_id")
    day = v.text(body, "date", max_len=10)
    if not services.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    slot = v.integer(body, "slot", required=False, nullable=True, maximum=1000)
    starts_at = v.text(body, "starts_at", required=False, max_len=40, nullable=True)
    if starts_at is not None and not services.is_datetime(starts_at):
        raise InvalidField("starts_at", "must be an ISO-8601 time, like 2026-11-22T09:30:00+01:00")
    customer_id = v.integer(body, "customer_id", required=False, nullable=True)
    patient = None
    if customer_id is None:
        raw_patient = body.get("patient")
        if not isinstance(raw_patient, dict):
            raise InvalidField(
                "patient", "is required (an object with name) unless customer_id is given"
            )
        patient = {
            "name": v.text(raw_patient, "name", max_len=100),
            "phone": v.text(raw_patient, "phone", required=False, max_len=40, nullable=True),
            "age": v.integer(
                raw_patient, "age", required=False, minimum=0, maximum=150, nullable=True
            ),
            "gender": v.text(raw_patient, "gender", required=False, max_len=20, nullable=True),
        }
    return await write(
        request,
        services.book,
        ctx_of(request),
        provider_id,
        day,
        slot,
        starts_at,
        patient,
        customer_id,
        status=201,
    )


async def patch_appointment(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    appointment_id = path_id(request, "appointment_id")
    body = await body_of(request)
    v.only_known(body, {"status"})
    status = v.choice(
        body, "status", ("confirmed", "in_progress", "completed", "cancelled", "no_show")
    )
    return await write(
        request, services.update_appointment, ctx_of(request), appointment_id, status
    )


async def check_in(request: web.Request) -> web.Response:
    require(principal_of(request), "kiosk")
    body = await body_of(request)
    appointment_id = v.integer(body, "appointment_id")
    patient_id = v.integer(body, "patient_id", required=False, nullable=True)
    return await write(
        request, services.check_in, ctx_of(request), appointment_id, patient_id, status=201
    )


# ---------------------------------------------------------------- relay and stats


async def relay_event(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    body = await body_of(request)
    v.only_known(body, {"type", "room", "user_id", "severity", "data"})
    type = v.text(body, "type", max_len=64)
    if not services.RELAY_TYPE.match(type) or type in services.RESERVED_TYPES:
        raise InvalidField(
            "type",
            "must be an event name like order_created (a-z, 0-9, _ . : -), "
            "and not one the appliance itself sends",
        )
    room = v.text(body, "room", required=False, max_len=64, nullable=True)
    if room is not None and not services.ROOM_NAME.match(room):
        raise InvalidField("room", "must be 1-64 characters of a-z, 0-9, ':', '_' or '-'")
    user_id = v.integer(body, "user_id", required=False, nullable=True)
    severity = v.choice(body, "severity", services.SEVERITIES, required=False)
    if severity is None and type == "notification":
        severity = "info"
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidField("data", "must be a JSON object")
    return await write(
        request, services.relay, ctx_of(request), type, room, user_id, severity, data, status=201
    )


async def monitor(request: web.Request) -> web.Response:
    """The central monitor's data as plain JSON (seed 002's shape): the polling
    fallback of /monitor when its socket is down."""
    require(principal_of(request), "staff")
    day = request.query.get("date")
    if day is None or not services.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    shop_id = _query_id(request.query, "shop_id")
    snapshot = await read(request, services.central_snapshot, day, shop_id)
    return json_response({"seq": snapshot["seq"], "data": seed002_data(snapshot)})


async def ws_stats(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    return json_response(request.app[HUB].stats())


def bind(app: web.Application) -> None:
    """The whole REST surface, readable in one screen."""
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
    r.add_get(f"{p}/shops/{{shop_id}}/queue", get_queue)
    r.add_post(f"{p}/shops/{{shop_id}}/queue", join_queue)
    r.add_post(f"{p}/shops/{{shop_id}}/queue/call-next", call_next)
    r.add_put(f"{p}/shops/{{shop_id}}/queue/order", reorder)
    r.add_patch(f"{p}/queue/{{entry_id}}", patch_entry)
    r.add_get(f"{p}/tickets/{{claim}}", get_ticket)
    r.add_delete(f"{p}/tickets/{{claim}}", leave_ticket)
    r.add_get(f"{p}/appointments", list_appointments)
    r.add_post(f"{p}/appointments", create_appointment)
    r.add_patch(f"{p}/appointments/{{appointment_id}}", patch_appointment)
    r.add_post(f"{p}/checkins", check_in)
    r.add_post(f"{p}/events", relay_event)
    r.add_get(f"{p}/monitor", monitor)
    r.add_get("/ws/stats", ws_stats)
