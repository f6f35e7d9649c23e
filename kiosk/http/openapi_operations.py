"""The REST operations as OpenAPI sees them, written beside the route table with the
rules the handlers' validation applies (lengths, ranges, choices, unknown fields
refused). kiosk/http/api_openapi.py assembles them into the document."""

from __future__ import annotations

from typing import Any

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


def integer(minimum: int = 1, maximum: int | None = None, nullable: bool = False) -> Schema:
    schema: Schema = {"type": ["integer", "null"] if nullable else "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


_BOOL: Schema = {"type": "boolean"}
ANY_OBJECT: Schema = {"type": "object"}
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
    "default_service_minutes": integer(1, 480),
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
    "last_join_minutes": integer(0, 240),
}
_HHMM = _str(5, description="HH:MM, the shop's local time")
_SCHEDULE = {
    "provider_id": integer(),
    "date": _DATE,
    "start": _HHMM,
    "end": _HHMM,
    "kind": _choice(SCHEDULE_KINDS),
}
_TIMEOFF = {
    "provider_id": integer(),
    "start_date": _DATE,
    "end_date": {**_DATE, "type": ["string", "null"]},
    "reason": {"type": ["string", "null"], "maxLength": 200},
}
_PROVIDER = {"name": _str(100), "code": _str(20), "specialty": _str(100), "active": _BOOL}
_SERVICE = {
    "name": _str(100),
    "minutes": integer(1, 480),
    "provider_ids": {"type": "array", "items": integer(), "maxItems": 500},
    "active": _BOOL,
    "position": integer(0, 10_000),
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
        "age": integer(0, 150, nullable=True),
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
                "provider_id": integer(nullable=True),
                "service_id": integer(nullable=True),
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
        _obj({"provider_id": integer(nullable=True), "force": _BOOL}),
        200,
    ),
    ("PUT", "/api/v1/shops/{shop_id}/queue/order"): (
        "Reorder the waiting line (409 stale_version when version is old)",
        "staff",
        _obj(
            {"entry_ids": {"type": "array", "items": integer()}, "version": integer(0)},
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
                "provider_id": integer(nullable=True),
                "service_id": integer(nullable=True),
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
                "provider_id": integer(),
                "date": _DATE,
                "slot": integer(1, 1000, nullable=True),
                "starts_at": {"type": ["string", "null"], "maxLength": 40, "format": "date-time"},
                "time": _str(5, pattern="^[0-2][0-9]:[0-5][0-9]$"),
                "customer_id": integer(nullable=True),
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
                "provider_id": integer(),
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
            "properties": {"appointment_id": integer(), "patient_id": integer(nullable=True)},
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
                "user_id": integer(nullable=True),
                "severity": _choice(SEVERITIES),
                "data": ANY_OBJECT,
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
                "limits": ANY_OBJECT,
                "priority_rule": {"type": "string", "pattern": "^(first|ratio:([1-9]|10))$"},
                "priority_at_kiosk": _BOOL,
                "appointment_grace_minutes": integer(0, 240),
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
    ("GET", "/api/v1/printer"): (
        "The ticket printer's settings and last outcome (SPEC §12)",
        "staff",
        None,
        200,
    ),
    ("GET", "/api/v1/printer/paper"): (
        "Paper width, header and footer for /t/{claim}/print",
        "public",
        None,
        200,
    ),
    ("POST", "/api/v1/printer/test"): (
        "Print a test ticket; answers how it went",
        "admin",
        None,
        200,
    ),
    ("POST", "/api/v1/queue/{entry_id}/print"): (
        "Print a ticket again (409 when no printer is set up)",
        "staff",
        None,
        202,
    ),
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
