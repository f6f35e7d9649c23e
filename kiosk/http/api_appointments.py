"""REST: appointments and check-ins (SPEC §3)."""

from __future__ import annotations

import logging
import re

from aiohttp import web

from kiosk.domain import clock
from kiosk.domain.errors import InvalidField
from kiosk.domain.redaction import render
from kiosk.http import validate as v
from kiosk.http.requests import (
    audience_of,
    body_of,
    ctx_of,
    json_response,
    path_id,
    principal_of,
    query_id,
    read,
    write,
)
from kiosk.security.principal import require
from kiosk.services import appointments, views

log = logging.getLogger(__name__)

LOCAL_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


async def list_appointments(request: web.Request) -> web.Response:
    principal = principal_of(request)
    require(principal, "kiosk")
    query = request.query
    day = query.get("date") or None
    shop_id = query_id(query, "shop_id")
    provider_id = query_id(query, "provider_id")
    if day is not None and not clock.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    if day is None:
        day = await read(request, views.today_of, shop_id or 1)
    found = await read(request, appointments.list_appointments, day, shop_id, provider_id)
    return json_response(render(found, audience_of(request)))


def _date(body: dict, required: bool = True) -> str | None:
    day = v.text(body, "date", required=required, max_len=10)
    if day is not None and not clock.is_date(day):
        raise InvalidField("date", "must be a date as YYYY-MM-DD")
    return day


def _local_time(body: dict) -> str | None:
    """`time`: "09:30" on the shop's clock, for a person booking at the shop."""
    local_time = v.text(body, "time", required=False, max_len=5)
    if local_time is not None and not LOCAL_TIME.fullmatch(local_time):
        raise InvalidField("time", "must be a time of day as HH:MM (24-hour), like 09:30")
    return local_time


async def create_appointment(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    body = await body_of(request)
    provider_id = v.integer(body, "provider_id")
    day = _date(body)
    local_time = _local_time(body)
    slot = v.integer(body, "slot", required=False, nullable=True, maximum=1000)
    starts_at = v.text(body, "starts_at", required=False, max_len=40, nullable=True)
    if starts_at is not None and not clock.is_datetime(starts_at):
        raise InvalidField(
            "starts_at",
            "must be an ISO-8601 date and time with its UTC offset, like 2026-11-22T09:30:00+01:00",
        )
    if starts_at is not None and local_time is not None:
        raise InvalidField("time", "give starts_at or time, not both")
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
        appointments.book,
        ctx_of(request),
        provider_id,
        day,
        slot,
        starts_at,
        patient,
        customer_id,
        local_time,
        status=201,
    )


async def patch_appointment(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    appointment_id = path_id(request, "appointment_id")
    body = await body_of(request)
    v.only_known(body, {"status", "provider_id", "date", "time"})
    if "status" not in body and body:
        # A move: another provider, date or time of day (SPEC §9, staff on /staff).
        return await write(
            request,
            appointments.move_appointment,
            ctx_of(request),
            appointment_id,
            v.integer(body, "provider_id", required=False),
            _date(body, required=False),
            _local_time(body),
        )
    if len(body) > 1:
        raise InvalidField("status", "change the status on its own, not with a move")
    status = v.choice(
        body, "status", ("confirmed", "in_progress", "completed", "cancelled", "no_show")
    )
    return await write(
        request, appointments.update_appointment, ctx_of(request), appointment_id, status
    )


async def check_in(request: web.Request) -> web.Response:
    require(principal_of(request), "kiosk")
    body = await body_of(request)
    appointment_id = v.integer(body, "appointment_id")
    patient_id = v.integer(body, "patient_id", required=False, nullable=True)
    return await write(
        request, appointments.check_in, ctx_of(request), appointment_id, patient_id, status=201
    )


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/appointments", list_appointments)
    r.add_post(f"{p}/appointments", create_appointment)
    r.add_patch(f"{p}/appointments/{{appointment_id}}", patch_appointment)
    r.add_post(f"{p}/checkins", check_in)
