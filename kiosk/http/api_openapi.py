"""`GET /api/v1/openapi.json`: the REST API as OpenAPI 3.1 (SPEC §15).

The operations are written here, beside the route table, with the same rules the
handlers' validation applies (lengths, ranges, choices, unknown fields refused). The
document is assembled from the live router: an operation is listed only if its route
exists, and tests/test_openapi.py fails when a route has no entry here — so a new
endpoint cannot ship undocumented, and a removed one does not linger.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kiosk import __version__
from kiosk.domain.hours import SCHEDULE_KINDS
from kiosk.domain.languages import LANGUAGES
from kiosk.domain.tickets import SOURCES, STATUSES
from kiosk.http import api_reports
from kiosk.security.principal import ROLES
from kiosk.services.relay import SEVERITIES
from kiosk.services.schedules import TIMEOFF_STATUSES
from kiosk.services.shops import SHOP_KINDS
from kiosk.services.webhooks import EVENT_TYPES

Schema = dict[str, Any]


def _str(max_len: int = 200, **more: Any) -> Schema:
    return {"type": "string", "maxLength": max_len, **more}


def _int(minimum: int = 1, maximum: int | None = None, nullable: bool = False) -> Schema:
    schema: Schema = {"type": ["integer", "null"] if nullable else "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


_BOOL: Schema = {"type": "boolean"}
_ANY_OBJECT: Schema = {"type": "object"}
_DATE = _str(10, format="date", description="YYYY-MM-DD")


def _obj(props: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    # Unknown fields are refused with 422 (http/validate.py only_known).
    schema: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _choice(values: tuple[str, ...]) -> Schema:
    return {"type": "string", "enum": list(values)}


_SHOP = {
    "name": _str(100),
    "timezone": _str(64, description="IANA zone, e.g. Europe/Madrid"),
    "default_service_minutes": _int(1, 480),
    "language": _choice(LANGUAGES),
    "kind": _choice(SHOP_KINDS),
    # SPEC §11: null is "always open"; set with PATCH.
    "opening_hours": {
        "type": ["object", "null"],
        "description": 'per weekday, local intervals: {"mon": [["09:00", "13:00"]], ...}',
    },
    "closures": {
        "type": "array",
        "items": _obj({"date": _DATE, "reason": _str(200)}, ("date",)),
    },
    "last_join_minutes": _int(0, 240),
}
_HHMM = _str(5, description="HH:MM, the shop's local time")
_SCHEDULE = {
    "provider_id": _int(),
    "date": _DATE,
    "start": _HHMM,
    "end": _HHMM,
    "kind": _choice(SCHEDULE_KINDS),
}
_TIMEOFF = {
    "provider_id": _int(),
    "start_date": _DATE,
    "end_date": {**_DATE, "type": ["string", "null"]},
    "reason": {"type": ["string", "null"], "maxLength": 200},
}
_PROVIDER = {"name": _str(100), "code": _str(20), "specialty": _str(100), "active": _BOOL}
_SERVICE = {
    "name": _str(100),
    "minutes": _int(1, 480),
    "provider_ids": {"type": "array", "items": _int(), "maxItems": 500},
    "active": _BOOL,
    "position": _int(0, 10_000),
}
_WEBHOOK = {
    "url": _str(500, format="uri", description="http:// or https://"),
    "events": {
        "type": "array",
        "minItems": 1,
        "maxItems": 50,
        "items": {"type": "string", "examples": ["*", *EVENT_TYPES[:3]]},
    },
    "active": _BOOL,
    "include_contact": _BOOL,
}
_PATIENT = {
    "type": "object",
    "properties": {
        "name": _str(100),
        "phone": {"type": ["string", "null"], "maxLength": 40},
        "age": _int(0, 150, nullable=True),
        "gender": {"type": ["string", "null"], "maxLength": 20},
    },
    "required": ["name"],
}

# (method, path) -> (summary, role, request body schema or None, success status).
# Roles: public, display, kiosk, staff, admin (SPEC §5), or a phrase for the special
# cases. The writes of the shop's data take an Idempotency-Key header and answer with
# X-Seq (see _ONCE_BY_NATURE for those that do not).
OPERATIONS: dict[tuple[str, str], tuple[str, str, Schema | None, int]] = {
    ("GET", "/api/v1/health"): ("Liveness: status, version, uptime", "public", None, 200),
    ("GET", "/api/v1/shops"): ("List shops", "public", None, 200),
    ("POST", "/api/v1/shops"): ("Create a shop", "admin", _obj(_SHOP, ("name",)), 201),
    ("GET", "/api/v1/shops/{shop_id}"): ("One shop", "public", None, 200),
    ("PATCH", "/api/v1/shops/{shop_id}"): ("Change a shop", "admin", _obj(_SHOP), 200),
    ("GET", "/api/v1/shops/{shop_id}/providers"): ("A shop's providers", "public", None, 200),
    ("POST", "/api/v1/shops/{shop_id}/providers"): (
        "Add a provider (chair, room, counter)",
        "admin",
        _obj(_PROVIDER, ("name",)),
        201,
    ),
    ("PATCH", "/api/v1/providers/{provider_id}"): (
        "Change a provider",
        "admin",
        _obj(_PROVIDER),
        200,
    ),
    ("DELETE", "/api/v1/providers/{provider_id}"): ("Retire a provider", "admin", None, 200),
    ("GET", "/api/v1/shops/{shop_id}/services"): (
        "A shop's services (?include_inactive=1: admin)",
        "public",
        None,
        200,
    ),
    ("POST", "/api/v1/shops/{shop_id}/services"): (
        "Add a service",
        "admin",
        _obj(_SERVICE, ("name", "minutes")),
        201,
    ),
    ("PATCH", "/api/v1/services/{service_id}"): (
        "Change a service",
        "admin",
        _obj(_SERVICE),
        200,
    ),
    ("DELETE", "/api/v1/services/{service_id}"): ("Remove a service", "admin", None, 200),
    ("GET", "/api/v1/shops/{shop_id}/schedules"): (
        "Shifts and breaks (?from=&to=&provider_id=; default today)",
        "staff",
        None,
        200,
    ),
    ("POST", "/api/v1/shops/{shop_id}/schedules"): (
        "Add a shift or break",
        "staff",
        _obj(_SCHEDULE, ("provider_id", "date", "start", "end")),
        201,
    ),
    ("PATCH", "/api/v1/schedules/{schedule_id}"): (
        "Change a shift or break",
        "staff",
        _obj(_SCHEDULE),
        200,
    ),
    ("DELETE", "/api/v1/schedules/{schedule_id}"): ("Remove a shift or break", "staff", None, 200),
    ("GET", "/api/v1/shops/{shop_id}/timeoff"): (
        "Time off (?from=&to=&provider_id=; default today to a year ahead)",
        "staff",
        None,
        200,
    ),
    ("POST", "/api/v1/shops/{shop_id}/timeoff"): (
        "Request time off",
        "staff",
        _obj(_TIMEOFF, ("provider_id", "start_date")),
        201,
    ),
    ("PATCH", "/api/v1/timeoff/{timeoff_id}"): (
        "Approve or reject (admin), or cancel (staff) a request",
        "staff; admin approves or rejects",
        _obj({"status": _choice(TIMEOFF_STATUSES)}, ("status",)),
        200,
    ),
    ("GET", "/api/v1/shops/{shop_id}/queue"): (
        "The queue display body (same as queue_update): the polling fallback",
        "public (redacted)",
        None,
        200,
    ),
    ("POST", "/api/v1/shops/{shop_id}/queue"): (
        "Join the queue; the answer carries the ticket's claim",
        "kiosk; anyone while self check-in is on (rate-limited)",
        _obj(
            {
                "full_name": _str(100),
                "phone": {"type": ["string", "null"], "maxLength": 40},
                "provider_id": _int(nullable=True),
                "service_id": _int(nullable=True),
                "source": _choice(SOURCES),
                "priority": _BOOL,
            },
            ("full_name",),
        ),
        201,
    ),
    ("POST", "/api/v1/shops/{shop_id}/queue/call-next"): (
        "Call the next ticket (404 when nobody waits; 409 off_duty unless force)",
        "staff",
        _obj({"provider_id": _int(nullable=True), "force": _BOOL}),
        200,
    ),
    ("PUT", "/api/v1/shops/{shop_id}/queue/order"): (
        "Reorder the waiting line (409 stale_version when version is old)",
        "staff",
        _obj(
            {"entry_ids": {"type": "array", "items": _int()}, "version": _int(0)},
            ("entry_ids", "version"),
        ),
        200,
    ),
    ("PATCH", "/api/v1/queue/{entry_id}"): (
        "Change a ticket: status, provider, service, priority",
        "staff",
        _obj(
            {
                "status": {"type": "string", "enum": [*STATUSES, *(s.lower() for s in STATUSES)]},
                "provider_id": _int(nullable=True),
                "service_id": _int(nullable=True),
                "priority": _BOOL,
            }
        ),
        200,
    ),
    ("POST", "/api/v1/queue/{entry_id}/announce"): (
        "Call a called ticket again on the displays",
        "staff",
        None,
        200,
    ),
    ("GET", "/api/v1/tickets/{claim}"): ("The holder's own ticket", "claim holder", None, 200),
    ("DELETE", "/api/v1/tickets/{claim}"): ("Leave the queue", "claim holder", None, 200),
    ("GET", "/api/v1/appointments"): (
        "Appointments of a date (?date=&shop_id=&provider_id=)",
        "kiosk (redacted) / staff",
        None,
        200,
    ),
    ("POST", "/api/v1/appointments"): (
        "Book an appointment (patient or customer_id; slot, starts_at or time)",
        "staff",
        {
            "type": "object",
            "properties": {
                "provider_id": _int(),
                "date": _DATE,
                "slot": _int(1, 1000, nullable=True),
                "starts_at": {"type": ["string", "null"], "maxLength": 40, "format": "date-time"},
                "time": _str(5, pattern="^[0-2][0-9]:[0-5][0-9]$"),
                "customer_id": _int(nullable=True),
                "patient": _PATIENT,
            },
            "required": ["provider_id", "date"],
        },
        201,
    ),
    ("PATCH", "/api/v1/appointments/{appointment_id}"): (
        "Change an appointment's status, provider, date or time",
        "staff",
        _obj(
            {
                "status": _choice(
                    ("confirmed", "in_progress", "completed", "cancelled", "no_show")
                ),
                "provider_id": _int(),
                "date": _DATE,
                "time": _str(5),
            }
        ),
        200,
    ),
    ("POST", "/api/v1/checkins"): (
        "Check an appointment in: a queue entry with its claim",
        "kiosk",
        {
            "type": "object",
            "properties": {"appointment_id": _int(), "patient_id": _int(nullable=True)},
            "required": ["appointment_id"],
        },
        201,
    ),
    ("POST", "/api/v1/events"): (
        "Relay an integrator's event to rooms, a user or everyone",
        "staff",
        _obj(
            {
                "type": _str(64),
                "room": {"type": ["string", "null"], "maxLength": 64},
                "user_id": _int(nullable=True),
                "severity": _choice(SEVERITIES),
                "data": _ANY_OBJECT,
            },
            ("type",),
        ),
        201,
    ),
    ("POST", "/api/v1/auth/setup"): (
        "First run: set the admin PIN (setup link, or the PC itself)",
        "first run only",
        {
            "type": "object",
            "properties": {"pin": _str(12), "name": _str(60), "setup_token": {"type": "string"}},
            "required": ["pin"],
        },
        200,
    ),
    ("POST", "/api/v1/auth/login"): (
        "Sign in with a PIN: session cookie",
        "public",
        {"type": "object", "properties": {"pin": _str(12)}, "required": ["pin"]},
        200,
    ),
    ("POST", "/api/v1/auth/logout"): ("End this session", "any signed-in", None, 200),
    ("GET", "/api/v1/auth/me"): ("Who is asking (role, name)", "public", None, 200),
    ("POST", "/api/v1/auth/pin"): (
        "Change one's own PIN",
        "staff",
        _obj({"pin": _str(12), "new_pin": _str(12)}, ("pin", "new_pin")),
        200,
    ),
    ("GET", "/api/v1/staff"): ("Staff members", "admin", None, 200),
    ("POST", "/api/v1/staff"): (
        "Add a staff member with a PIN",
        "admin",
        _obj(
            {"name": _str(60), "pin": _str(12), "role": _choice(("staff", "admin"))},
            ("name", "pin"),
        ),
        201,
    ),
    ("DELETE", "/api/v1/staff/{staff_id}"): (
        "Disable a staff member (their sockets close with 4401)",
        "admin",
        None,
        200,
    ),
    ("GET", "/api/v1/tokens"): ("Devices and tokens, with last seen", "admin", None, 200),
    ("POST", "/api/v1/tokens"): (
        "Make a token (the secret is in this answer only)",
        "admin",
        _obj({"role": _choice(ROLES), "name": _str(60)}, ("role",)),
        201,
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("Revoke a token", "admin", None, 200),
    ("GET", "/api/v1/appliance"): ("This appliance's addresses and QR codes", "admin", None, 200),
    ("POST", "/api/v1/pairing"): (
        "A one-time pairing link and 6-digit code (10 minutes)",
        "admin",
        _obj({"role": _choice(("kiosk", "display")), "name": _str(60)}, ("role",)),
        201,
    ),
    ("POST", "/api/v1/pairing/redeem"): (
        "Pair this browser with a typed 6-digit code",
        "the device",
        _obj({"code": _str(12)}, ("code",)),
        200,
    ),
    ("GET", "/pair/{code}"): (
        "Open a pairing link: stores a device token, redirects to its page",
        "the device",
        None,
        303,
    ),
    ("GET", "/api/v1/settings"): ("Settings", "admin", None, 200),
    ("PATCH", "/api/v1/settings"): (
        "Change settings (self check-in, names, origins, hosts, limits, line rules)",
        "admin",
        _obj(
            {
                "self_checkin": _BOOL,
                "display_names": _choice(("initial", "ticket")),
                "display_voice": _BOOL,
                "allowed_origins": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                "allowed_hosts": {"type": "array", "items": {"type": "string"}},
                "limits": _ANY_OBJECT,
                "priority_rule": {"type": "string", "pattern": "^(first|ratio:([1-9]|10))$"},
                "priority_at_kiosk": _BOOL,
                "appointment_grace_minutes": _int(0, 240),
            }
        ),
        200,
    ),
    ("GET", "/api/v1/audit"): ("Recent actions with their actor", "admin", None, 200),
    ("GET", "/api/v1/demo"): ("Whether demo data is present", "admin", None, 200),
    ("DELETE", "/api/v1/demo"): ("Remove the demo data: start for real", "admin", None, 200),
    ("GET", "/api/v1/webhooks"): (
        "Webhooks with their latest outcomes, and the event types",
        "admin",
        None,
        200,
    ),
    ("POST", "/api/v1/webhooks"): (
        "Register a webhook (the secret is in this answer only)",
        "admin",
        _obj(_WEBHOOK, ("url", "events")),
        201,
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): (
        "Change a webhook",
        "admin",
        _obj(_WEBHOOK),
        200,
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): ("Remove a webhook", "admin", None, 200),
    ("GET", "/api/v1/monitor"): (
        "The central monitor's data for a date (seed 002), polling twin of the socket",
        "staff",
        None,
        200,
    ),
    ("GET", "/ws/stats"): ("The hub's statistics", "staff", None, 200),
    ("GET", "/api/v1/openapi.json"): ("This document", "public", None, 200),
    **api_reports.OPERATIONS,
}

# Socket endpoints: an upgrade, then a dialect described in docs/sockets.md.
SOCKETS: dict[str, str] = {
    "/ws/queue/{shop_id}": "Shop queue, seed 000: queue_update only",
    "/ws/queue/{shop_id}/": "Shop queue, seed 001: new_entry + queue_update",
    "/ws/appointments/{shop_id}": "Shop appointments, seed 001",
    "/ws/appointments/{shop_id}/": "Shop appointments, seed 001 (trailing slash)",
    "/api/v1/ws/queue": "Central monitor, seed 002",
    "/api/v1/ws/queue/{provider_id}": "Central monitor for one doctor, seed 002",
    "/ws/connect": "Rooms, seed 003",
    "/ws": "Channels, seed 004 (?token=)",
}

_ERRORS = {
    "400": "bad_json: not JSON, or not an object",
    "401": "unauthorized",
    "403": "forbidden",
    "404": "not_found",
    "409": "invalid_transition, stale_version or conflict",
    "413": "too_large",
    "422": "invalid_field or idempotency_mismatch",
    "429": "rate_limited (Retry-After)",
}


# Writes that answer without the Idempotency-Key machinery (http/requests.py write):
# sign-in and accounts, where a retry is harmless or must be refused anyway (a PIN
# guess, a token shown once), devices and pairing, and settings (a PATCH of values).
_ONCE_BY_NATURE = (
    "/api/v1/auth/",
    "/api/v1/staff",
    "/api/v1/tokens",
    "/api/v1/pairing",
    "/api/v1/settings",
)


def _parameters(path: str) -> list[Schema]:
    params = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            schema = {"type": "string"} if name in ("claim", "code") else _int()
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _operation_id(method: str, path: str) -> str:
    # Seeds 000 and 001 differ by a trailing slash only: it must show in the id.
    slash = "_slash" if path.endswith("/") and path != "/" else ""
    words = path.strip("/").replace("{", "").replace("}", "").replace("-", "_")
    return f"{method.lower()}_{words.replace('/', '_').replace('.', '_')}{slash}"


def _operation(method: str, path: str, spec: tuple) -> Schema:
    summary, role, body, status = spec
    op: Schema = {
        "summary": summary,
        "x-role": role,
        "operationId": _operation_id(method, path),
        "responses": {
            str(status): {
                "description": "success",
                "content": {"application/json": {"schema": _ANY_OBJECT}} if status != 303 else None,
            },
            **{
                code: {"$ref": "#/components/responses/Error", "description": why}
                for code, why in _ERRORS.items()
            },
        },
    }
    if op["responses"][str(status)]["content"] is None:
        del op["responses"][str(status)]["content"]
    if _parameters(path):
        op["parameters"] = _parameters(path)
    if method != "GET" and not path.startswith(_ONCE_BY_NATURE):
        op.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _socket(path: str, what: str) -> Schema:
    return {
        "summary": what,
        "description": "A WebSocket upgrade; the messages are in docs/sockets.md.",
        "x-websocket": True,
        "operationId": _operation_id("socket", path),
        "parameters": _parameters(path),
        "responses": {"101": {"description": "Switching Protocols"}},
    }


def routes_of(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every API, socket and pairing route (pages and files aside)."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method == "HEAD" or path is None:
            continue
        if path.startswith(("/api/", "/ws", "/pair/")):
            found.add((route.method, path))
    return found


def document(app: web.Application) -> Schema:
    paths: dict[str, Schema] = {}
    for method, path in sorted(routes_of(app)):
        if path in SOCKETS and method == "GET":
            paths.setdefault(path, {})["get"] = _socket(path, SOCKETS[path])
        elif (method, path) in OPERATIONS:
            paths.setdefault(path, {})[method.lower()] = _operation(
                method, path, OPERATIONS[(method, path)]
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Queue Kiosk",
            "version": __version__,
            "description": "The appliance's REST API. Errors are always "
            "{error: {code, message, details}}. See docs/ for the socket dialects.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "tokenQuery": {"type": "apiKey", "in": "query", "name": "token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "qk_session"},
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "The same key within 24 h returns the first answer",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                }
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "details"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "details": {"type": "object"},
                            },
                        }
                    },
                }
            },
        },
        "security": [{}, {"bearer": []}, {"tokenQuery": []}, {"session": []}],
    }


async def openapi(request: web.Request) -> web.Response:
    # Built per request (about a millisecond): rarely asked, and always the live table.
    return web.Response(body=orjson.dumps(document(request.app)), content_type="application/json")


def bind(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
