"""Every documented write, fed wrong values field by field, and every list read fed wrong
query values (SPEC §3; the brief: bad input always gets a clear error, never a 500).

The operations and their fields come from the appliance's own OpenAPI document, so a
route added later is fuzzed without anyone listing it here. Each request is answered
with a status below 500, an error answer has the §3 JSON shape, and the server's log
holds no traceback at the end.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from kiosk.app import make_app
from kiosk.config import Config
from kiosk.http import api_openapi
from tests.kiosk_harness import Server
from tests.test_api import API, get_queue, join, new_provider, new_shop

# Wrong in type, range, format or size for some field of every operation: each is sent
# alone in a field, so a refusal names that field.
BAD_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**20,
    2.5,
    "",
    "x" * 5000,
    "nul\x00byte",
    "2026-02-30",
    "25:61",
    "١٢",  # digits, but not ASCII ones
    [],
    [None, "x", -5],
    {"nested": {"deeper": [1]}},
    "\ud800",  # a lone surrogate: not text in any encoding
    1e308,
    float("nan"),  # sent as NaN, which JSON does not have
]
# Fields that hold a list or an object (hours, closures, patient, limits, ids) get the
# same wrong values one level down, under the keys such fields use.
INNER_KEYS = ("mon", "date", "name", "reason", "start", "end", "phone", "max")
BAD_INNER: list[Any] = [
    shape
    for value in BAD_VALUES
    for shape in ([value], [[value, value]], dict.fromkeys(INNER_KEYS, value))
]
# Whole bodies that are not an object at all.
BAD_BODIES: list[Any] = [[], "text", 7, None]
BAD_QUERY = ["", "-1", "0", "abc", "99999999999999999999", "2026-13-01", "2026-02-30", "\x00"]
# The reads that take query values (http/ handlers), with the names they read.
QUERIES = {
    "/api/v1/appointments": ("date", "shop_id", "provider_id"),
    "/api/v1/shops/{shop_id}/reports": ("from", "to"),
    "/api/v1/shops/{shop_id}/reports/tickets.csv": ("from", "to", "contact"),
    "/api/v1/shops/{shop_id}/schedules": ("from", "to", "provider_id"),
    "/api/v1/shops/{shop_id}/timeoff": ("from", "to"),
    "/api/v1/shops/{shop_id}/services": ("include_inactive",),
    "/api/v1/shops/{shop_id}/providers": ("include_inactive",),
    "/api/v1/audit": ("limit", "before"),
}
# Writes that would end the test's own standing rather than test input: signing the
# admin out, claiming or re-PINing the appliance, or wiping the demo.
LEFT_OUT = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/setup"),
    ("POST", "/api/v1/auth/pin"),
    ("DELETE", "/api/v1/demo"),
}
WRITES = ("post", "put", "patch")


def documented_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, body schema) of every documented write with a JSON body."""
    doc = api_openapi.document(make_app(Config()))
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in WRITES or (method.upper(), path) in LEFT_OUT:
                continue
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("properties"):
                found.append((method.upper(), path, schema["schema"]))
    return found


OPERATIONS = documented_operations()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Any]:
    """A server of this module's own and one of everything an operation names."""
    server = Server(tmp_path_factory.mktemp("fuzz")).start()
    try:
        admin, staff = server.client("admin"), server.client("staff")
        shop = new_shop(server)
        sid = shop["id"]
        provider = new_provider(server, sid)
        entry = join(server.client("kiosk"), sid, "Fuzzy Customer")
        today = get_queue(server, sid)["appointments_today"]["date"]

        def made(response) -> dict[str, Any]:
            assert response.status in (200, 201), response.body
            return response.body

        service = made(admin.post(f"{API}/shops/{sid}/services", {"name": "Cut", "minutes": 20}))
        appt = made(
            staff.post(
                f"{API}/appointments",
                {"provider_id": provider["id"], "date": today, "patient": {"name": "Al Appt"}},
            )
        )
        slot = {"provider_id": provider["id"], "date": today, "start": "09:00", "end": "17:00"}
        schedule = made(staff.post(f"{API}/shops/{sid}/schedules", slot))
        timeoff = made(
            staff.post(
                f"{API}/shops/{sid}/timeoff", {"provider_id": provider["id"], "start_date": today}
            )
        )
        hook_to = {"url": "http://127.0.0.1:9/h", "events": ["queue_joined"]}
        hook = made(admin.post(f"{API}/webhooks", hook_to))
        yield {
            "server": server,
            "shop_id": sid,
            "provider_id": provider["id"],
            "entry_id": entry["id"],
            "claim": entry["claim"],
            "appointment_id": appt["id"],
            "service_id": service["id"],
            "schedule_id": schedule["id"],
            "timeoff_id": timeoff["id"],
            "webhook_id": hook["id"],
        }
    finally:
        server.stop()


def real_path(path: str, world: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), path)


def send(client, method: str, url: str, body: Any):
    # The stdlib encoder, since orjson refuses integers past 64 bits (one of the values).
    return client.request(method, url, body=json.dumps(body).encode())


def assert_clear(response, what: str) -> None:
    assert response.status < 500, f"{what}: {response.status} {response.raw[:300]!r}"
    if response.status >= 400:
        error = (response.body or {}).get("error") if isinstance(response.body, dict) else None
        assert isinstance(error, dict) and isinstance(error.get("code"), str), (
            f"{what}: {response.status} without the JSON error: {response.raw[:300]!r}"
        )


def _id(part: Any) -> str:
    return part if isinstance(part, str) else ""


@pytest.mark.parametrize(("method", "path", "schema"), OPERATIONS, ids=_id)
def test_every_field_of_every_write_refuses_wrong_values_clearly(world, method, path, schema):
    server: Server = world["server"]
    client = server.client("admin")
    url = real_path(path, world)
    for body in BAD_BODIES:
        assert_clear(send(client, method, url, body), f"{method} {path} body {body!r}")
    for field, spec in schema["properties"].items():
        kinds = spec.get("type", "object")
        nested = {"array", "object"} & set(kinds if isinstance(kinds, list) else [kinds])
        for value in BAD_VALUES + (BAD_INNER if nested else []):
            got = send(client, method, url, {field: value})
            assert_clear(got, f"{method} {path} {field}={value!r:.40}")


@pytest.mark.parametrize("path", sorted(QUERIES))
def test_every_query_value_of_every_list_is_refused_or_read_clearly(world, path):
    server: Server = world["server"]
    client = server.client("admin")
    url = real_path(path, world)
    for name in QUERIES[path]:
        for value in BAD_QUERY:
            got = client.get(f"{url}?{name}={quote(value)}")
            assert_clear(got, f"GET {path}?{name}={value!r}")


def test_the_fuzzed_server_logged_no_traceback(world):
    """Runs after the others in this module (pytest keeps file order)."""
    log = world["server"].log_path.read_text(errors="replace")
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]


def test_the_operation_list_is_the_documents(world):
    """The fuzz covers what the document lists: a write with a body is never missed."""
    assert len(OPERATIONS) >= 20
    assert ("POST", "/api/v1/shops/{shop_id}/queue") in {(m, p) for m, p, _ in OPERATIONS}
