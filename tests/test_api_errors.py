"""REST API errors (SPEC §3, §5, §8): every bad request gets the right 4xx JSON error
`{"error": {"code", "message", "details"}}`, never a 500, and changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import pytest

from tests.kiosk_harness import Server, make_token, wait_until
from tests.test_api import (
    API,
    AddrClient,
    can_bind,
    expect_error,
    expect_field_error,
    get_queue,
    join,
    new_provider,
    new_shop,
    waiting_ids,
)

MIB = 1024 * 1024
MISSING = 999_999_999  # an id nothing has


@pytest.fixture
def world(server) -> dict[str, Any]:
    """A shop of this test's own with a provider, a waiting ticket and an appointment
    for today, so every endpoint has something real to be wrong about."""
    shop = new_shop(server)
    provider = new_provider(server, shop["id"])
    entry = join(server.client("kiosk"), shop["id"], "Wanda Waiting")
    queue = get_queue(server, shop["id"])
    appt = server.client("staff").post(
        f"{API}/appointments",
        {
            "provider_id": provider["id"],
            "date": queue["appointments_today"]["date"],
            "patient": {"name": "Abe Appointment"},
        },
    )
    assert appt.status == 201, appt.raw
    return {
        "shop": shop["id"],
        "provider": provider["id"],
        "entry": entry["id"],
        "claim": entry["claim"],
        "appt": appt.body["id"],
        "customer": appt.body["customer_id"],
        "today": queue["appointments_today"]["date"],
        "version": get_queue(server, shop["id"])["version"],
    }


def fill(value: Any, world: dict[str, Any]) -> Any:
    """Put the world's ids into a path or body template: "{shop}" -> 12, "x{shop}" -> "x12"."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in world:
            return world[value[1:-1]]
        return value.format(**world)
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


def state_of(server, world) -> tuple:
    """What a refused request must not have changed."""
    queue = get_queue(server, world["shop"])
    appts = (
        server.client("staff")
        .get(f"{API}/appointments?date={world['today']}&shop_id={world['shop']}")
        .body
    )
    providers = server.client().get(f"{API}/shops/{world['shop']}/providers").body
    shop = server.client().get(f"{API}/shops/{world['shop']}").body
    return (
        queue["version"],
        [(e["id"], e["status"], e["provider_id"]) for e in queue["queue_items"]],
        [(a["id"], a["status"]) for a in appts],
        providers,
        shop,
    )


# ---------------------------------------------------------------- roles

# (method, path, a valid body, the lowest role that may do it)
GUARDED = [
    ("POST", "/shops", {"name": "New shop"}, "admin"),
    ("PATCH", "/shops/{shop}", {"name": "Renamed"}, "admin"),
    ("POST", "/shops/{shop}/providers", {"name": "New chair"}, "admin"),
    ("PATCH", "/providers/{provider}", {"name": "Renamed chair"}, "admin"),
    ("DELETE", "/providers/{provider}", None, "admin"),
    ("PATCH", "/queue/{entry}", {"status": "CALLED"}, "staff"),
    ("POST", "/shops/{shop}/queue/call-next", {}, "staff"),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"], "version": "{version}"},
        "staff",
    ),
    ("GET", "/appointments?shop_id={shop}", None, "kiosk"),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": {"name": "Bo Ok"}},
        "staff",
    ),
    ("PATCH", "/appointments/{appt}", {"status": "confirmed"}, "staff"),
    ("POST", "/checkins", {"appointment_id": "{appt}"}, "kiosk"),
    ("POST", "/events", {"type": "order_created", "room": "orders", "data": {"id": 1}}, "staff"),
]
RANK = {"display": 0, "kiosk": 1, "staff": 2, "admin": 3}
ROLE_CASES = [
    pytest.param(
        method,
        path,
        body,
        role,
        (401, "unauthorized")
        if role is None
        else (403, "forbidden")
        if RANK[role] < RANK[needed]
        else None,
        id=f"{method} {path} as {role}",
    )
    for method, path, body, needed in GUARDED
    for role in (None, "display", "kiosk", "staff", "admin")
]


@pytest.mark.parametrize("method, path, body, role, refused", ROLE_CASES)
def test_roles(server, world, method, path, body, role, refused):
    before = state_of(server, world)
    resp = server.client(role).request(method, API + fill(path, world), fill(body, world))
    if refused is None:
        assert resp.status in (200, 201), resp.raw
    else:
        details = expect_error(resp, *refused)
        assert isinstance(details, dict)
        assert state_of(server, world) == before


@pytest.mark.parametrize("how", ["bearer", "query"])
@pytest.mark.parametrize("path", ["/health", "/shops", "/shops/1/queue", "/appointments"])
def test_unknown_token_is_401_even_on_public_reads(server, how, path):
    bogus = "qk_this-token-was-never-issued-or-was-revoked"
    client = server.client()
    if how == "bearer":
        resp = client.get(API + path, headers={"Authorization": f"Bearer {bogus}"})
    else:
        resp = client.get(API + path + ("&" if "?" in path else "?") + f"token={bogus}")
    expect_error(resp, 401, "unauthorized")


def test_revoked_token_is_401(server, world):
    """Revoked the way the admin API does it (revoked_at set in the database); the
    server's token cache may keep it for a few seconds, no longer."""
    token = make_token(server.data_dir, "staff", "soon revoked")
    staff = server.client()
    staff.token = token
    url = f"{API}/appointments?shop_id={world['shop']}"
    assert staff.get(url).status == 200
    db = sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=10)
    try:
        with db:
            changed = db.execute(
                "UPDATE token SET revoked_at = '2026-01-01T00:00:00+00:00' WHERE token_hash = ?",
                (hashlib.sha256(token.encode()).hexdigest(),),
            ).rowcount
        assert changed == 1
    finally:
        db.close()
    wait_until(
        lambda: staff.get(url).status == 401, timeout=15, message="a revoked token still works"
    )
    expect_error(staff.get(url), 401, "unauthorized")
    expect_error(
        staff.patch(f"{API}/queue/{world['entry']}", {"status": "CALLED"}), 401, "unauthorized"
    )


def test_token_in_query_works(server, world):
    staff = server.token("staff")
    resp = server.client().get(f"{API}/appointments?shop_id={world['shop']}&token={staff}")
    assert resp.status == 200
    assert resp.body[0]["customer"]["name"] == "Abe Appointment"


def test_unknown_token_cannot_join(server, world):
    resp = server.client().post(
        f"{API}/shops/{world['shop']}/queue",
        {"full_name": "Sneaky"},
        headers={"Authorization": "Bearer qk_nope"},
    )
    expect_error(resp, 401, "unauthorized")
    assert waiting_ids(get_queue(server, world["shop"])) == [world["entry"]]


# ---------------------------------------------------------------- bad bodies

# (method, path, body, role, status, code, field)
BAD = [
    # shops
    ("POST", "/shops", {}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": 5}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": ""}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": "   "}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": ["a"]}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": "x" * 101}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops", {"name": "a\u0000b"}, "admin", 422, "invalid_field", "name"),
    (
        "POST",
        "/shops",
        {"name": "X", "timezone": "Mars/Olympus"},
        "admin",
        422,
        "invalid_field",
        "timezone",
    ),
    ("POST", "/shops", {"name": "X", "timezone": 1}, "admin", 422, "invalid_field", "timezone"),
    ("POST", "/shops", {"name": "X", "colour": "red"}, "admin", 422, "invalid_field", "colour"),
    ("PATCH", "/shops/{shop}", {}, "admin", 422, "invalid_field", None),
    (
        "PATCH",
        "/shops/{shop}",
        {"default_service_minutes": "10"},
        "admin",
        422,
        "invalid_field",
        "default_service_minutes",
    ),
    (
        "PATCH",
        "/shops/{shop}",
        {"default_service_minutes": True},
        "admin",
        422,
        "invalid_field",
        "default_service_minutes",
    ),
    (
        "PATCH",
        "/shops/{shop}",
        {"default_service_minutes": 0},
        "admin",
        422,
        "invalid_field",
        "default_service_minutes",
    ),
    (
        "PATCH",
        "/shops/{shop}",
        {"default_service_minutes": 1.5},
        "admin",
        422,
        "invalid_field",
        "default_service_minutes",
    ),
    (
        "PATCH",
        "/shops/{shop}",
        {"timezone": "Nowhere/Land"},
        "admin",
        422,
        "invalid_field",
        "timezone",
    ),
    ("PATCH", f"/shops/{MISSING}", {"name": "x"}, "admin", 404, "not_found", None),
    ("GET", f"/shops/{MISSING}", None, None, 404, "not_found", None),
    ("GET", "/shops/abc", None, None, 422, "invalid_field", "shop_id"),
    ("GET", "/shops/-1", None, None, 422, "invalid_field", "shop_id"),
    ("GET", "/shops/0", None, None, 404, "not_found", None),
    ("GET", "/shops/%C2%B2", None, None, 422, "invalid_field", "shop_id"),  # "²".isdigit()
    ("GET", "/shops/%D9%A1/queue", None, None, 422, "invalid_field", "shop_id"),  # Arabic 1
    ("GET", "/shops/9999999999999999", None, None, 422, "invalid_field", "shop_id"),
    # providers
    ("GET", f"/shops/{MISSING}/providers", None, None, 404, "not_found", None),
    ("POST", f"/shops/{MISSING}/providers", {"name": "x"}, "admin", 404, "not_found", None),
    ("POST", "/shops/{shop}/providers", {}, "admin", 422, "invalid_field", "name"),
    ("POST", "/shops/{shop}/providers", {"name": 7}, "admin", 422, "invalid_field", "name"),
    (
        "POST",
        "/shops/{shop}/providers",
        {"name": "x", "active": "yes"},
        "admin",
        422,
        "invalid_field",
        "active",
    ),
    (
        "POST",
        "/shops/{shop}/providers",
        {"name": "x", "active": 1},
        "admin",
        422,
        "invalid_field",
        "active",
    ),
    ("PATCH", "/providers/{provider}", {}, "admin", 422, "invalid_field", None),
    ("PATCH", "/providers/{provider}", {"code": {"a": 1}}, "admin", 422, "invalid_field", "code"),
    ("PATCH", f"/providers/{MISSING}", {"name": "x"}, "admin", 404, "not_found", None),
    ("DELETE", f"/providers/{MISSING}", None, "admin", 404, "not_found", None),
    ("DELETE", "/providers/x1", None, "admin", 422, "invalid_field", "provider_id"),
    # join
    ("GET", f"/shops/{MISSING}/queue", None, None, 404, "not_found", None),
    ("POST", f"/shops/{MISSING}/queue", {"full_name": "A B"}, "kiosk", 404, "not_found", None),
    ("POST", "/shops/{shop}/queue", {}, "kiosk", 422, "invalid_field", "full_name"),
    ("POST", "/shops/{shop}/queue", {}, None, 422, "invalid_field", "full_name"),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": None},
        "kiosk",
        422,
        "invalid_field",
        "full_name",
    ),
    ("POST", "/shops/{shop}/queue", {"full_name": 12}, "kiosk", 422, "invalid_field", "full_name"),
    ("POST", "/shops/{shop}/queue", {"full_name": ""}, "kiosk", 422, "invalid_field", "full_name"),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": {"first": "A"}},
        "kiosk",
        422,
        "invalid_field",
        "full_name",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A\nB"},
        "kiosk",
        422,
        "invalid_field",
        "full_name",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "phone": 5551234},
        "kiosk",
        422,
        "invalid_field",
        "phone",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": "{provider}x"},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": True},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": 1.5},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": -3},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": [1]},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": MISSING},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "provider_id": 2**60},
        "kiosk",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue",
        {"full_name": "A B", "source": "carrier pigeon"},
        "kiosk",
        422,
        "invalid_field",
        "source",
    ),
    # ticket PATCH
    ("PATCH", f"/queue/{MISSING}", {"status": "CALLED"}, "staff", 404, "not_found", None),
    ("PATCH", "/queue/abc", {"status": "CALLED"}, "staff", 422, "invalid_field", "entry_id"),
    ("PATCH", "/queue/{entry}", {}, "staff", 422, "invalid_field", None),
    ("PATCH", "/queue/{entry}", {"status": "FLYING"}, "staff", 422, "invalid_field", "status"),
    ("PATCH", "/queue/{entry}", {"status": 3}, "staff", 422, "invalid_field", "status"),
    ("PATCH", "/queue/{entry}", {"status": ["CALLED"]}, "staff", 422, "invalid_field", "status"),
    ("PATCH", "/queue/{entry}", {"provider_id": "1"}, "staff", 422, "invalid_field", "provider_id"),
    (
        "PATCH",
        "/queue/{entry}",
        {"provider_id": False},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "PATCH",
        "/queue/{entry}",
        {"provider_id": MISSING},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "PATCH",
        "/queue/{entry}",
        {"status": "CALLED", "priority": 1},
        "staff",
        422,
        "invalid_field",
        "priority",
    ),
    ("PATCH", "/queue/{entry}", {"status": "COMPLETED"}, "staff", 409, "invalid_transition", None),
    ("PATCH", "/queue/{entry}", {"status": "CHECKED_IN"}, "staff", 409, "invalid_transition", None),
    # call next
    ("POST", f"/shops/{MISSING}/queue/call-next", {}, "staff", 404, "not_found", None),
    (
        "POST",
        "/shops/{shop}/queue/call-next",
        {"provider_id": "{provider}x"},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue/call-next",
        {"provider_id": True},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/shops/{shop}/queue/call-next",
        {"provider_id": MISSING},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    # reorder
    (
        "PUT",
        f"/shops/{MISSING}/queue/order",
        {"entry_ids": [], "version": 0},
        "staff",
        404,
        "not_found",
        None,
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"]},
        "staff",
        422,
        "invalid_field",
        "version",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": "{entry}", "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": {"a": 1}, "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": [True], "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["1"], "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": [[1]], "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"], "version": "7"},
        "staff",
        422,
        "invalid_field",
        "version",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"], "version": True},
        "staff",
        422,
        "invalid_field",
        "version",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"], "version": -1},
        "staff",
        422,
        "invalid_field",
        "version",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": [MISSING], "version": "{version}"},
        "staff",
        422,
        "invalid_field",
        "entry_ids",
    ),
    (
        "PUT",
        "/shops/{shop}/queue/order",
        {"entry_ids": ["{entry}"], "version": 0},
        "staff",
        409,
        "stale_version",
        None,
    ),
    # appointments
    ("GET", "/appointments?date=2026-02-30", None, "staff", 422, "invalid_field", "date"),
    ("GET", "/appointments?date=tomorrow", None, "staff", 422, "invalid_field", "date"),
    ("GET", "/appointments?shop_id=abc", None, "staff", 422, "invalid_field", "shop_id"),
    ("GET", "/appointments?provider_id=-2", None, "staff", 422, "invalid_field", "provider_id"),
    ("GET", "/appointments?shop_id=%C2%B2", None, "staff", 422, "invalid_field", "shop_id"),
    ("GET", "/appointments?date=2026-W47-1", None, "staff", 422, "invalid_field", "date"),
    ("GET", "/appointments?date=20261122", None, "staff", 422, "invalid_field", "date"),
    (
        "POST",
        "/appointments",
        {"date": "{today}", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}x", "date": "{today}", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": MISSING, "date": "{today}", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "provider_id",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "date",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "22/11/2026", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "date",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "2026-W47-1", "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "date",
    ),
    (
        "POST",
        "/appointments",
        {
            "provider_id": "{provider}",
            "date": "{today}",
            "starts_at": "half past nine",
            "patient": {"name": "A B"},
        },
        "staff",
        422,
        "invalid_field",
        "starts_at",
    ),
    (
        "POST",
        "/appointments",
        {
            "provider_id": "{provider}",
            "date": "{today}",
            "starts_at": "{today}",
            "patient": {"name": "A B"},
        },
        "staff",
        422,
        "invalid_field",
        "starts_at",
    ),
    (
        "POST",
        "/appointments",
        {
            "provider_id": "{provider}",
            "date": "{today}",
            "starts_at": 930,
            "patient": {"name": "A B"},
        },
        "staff",
        422,
        "invalid_field",
        "starts_at",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": 20261122, "patient": {"name": "A B"}},
        "staff",
        422,
        "invalid_field",
        "date",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}"},
        "staff",
        422,
        "invalid_field",
        "patient",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": ["A B"]},
        "staff",
        422,
        "invalid_field",
        "patient",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": "A B"},
        "staff",
        422,
        "invalid_field",
        "patient",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": {}},
        "staff",
        422,
        "invalid_field",
        "name",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": {"name": "A B", "age": "41"}},
        "staff",
        422,
        "invalid_field",
        "age",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": {"name": "A B", "age": True}},
        "staff",
        422,
        "invalid_field",
        "age",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "patient": {"name": "A B", "age": 200}},
        "staff",
        422,
        "invalid_field",
        "age",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "customer_id": MISSING},
        "staff",
        422,
        "invalid_field",
        "customer_id",
    ),
    (
        "POST",
        "/appointments",
        {"provider_id": "{provider}", "date": "{today}", "customer_id": "{customer}x"},
        "staff",
        422,
        "invalid_field",
        "customer_id",
    ),
    (
        "POST",
        "/appointments",
        {
            "provider_id": "{provider}",
            "date": "{today}",
            "slot": "first",
            "patient": {"name": "A B"},
        },
        "staff",
        422,
        "invalid_field",
        "slot",
    ),
    ("PATCH", f"/appointments/{MISSING}", {"status": "confirmed"}, "staff", 404, "not_found", None),
    ("PATCH", "/appointments/{appt}", {}, "staff", 422, "invalid_field", "status"),
    ("PATCH", "/appointments/{appt}", {"status": "done"}, "staff", 422, "invalid_field", "status"),
    (
        "PATCH",
        "/appointments/{appt}",
        {"status": "checked_in"},
        "staff",
        422,
        "invalid_field",
        "status",
    ),
    ("PATCH", "/appointments/{appt}", {"status": 1}, "staff", 422, "invalid_field", "status"),
    (
        "PATCH",
        "/appointments/{appt}",
        {"status": "completed"},
        "staff",
        409,
        "invalid_transition",
        None,
    ),
    # check-in
    ("POST", "/checkins", {}, "kiosk", 422, "invalid_field", "appointment_id"),
    (
        "POST",
        "/checkins",
        {"appointment_id": "{appt}x"},
        "kiosk",
        422,
        "invalid_field",
        "appointment_id",
    ),
    (
        "POST",
        "/checkins",
        {"appointment_id": True},
        "kiosk",
        422,
        "invalid_field",
        "appointment_id",
    ),
    (
        "POST",
        "/checkins",
        {"appointment_id": ["{appt}"]},
        "kiosk",
        422,
        "invalid_field",
        "appointment_id",
    ),
    (
        "POST",
        "/checkins",
        {"appointment_id": MISSING},
        "kiosk",
        422,
        "invalid_field",
        "appointment_id",
    ),
    (
        "POST",
        "/checkins",
        {"appointment_id": "{appt}", "patient_id": "me"},
        "kiosk",
        422,
        "invalid_field",
        "patient_id",
    ),
    (
        "POST",
        "/checkins",
        {"appointment_id": "{appt}", "patient_id": MISSING},
        "kiosk",
        422,
        "invalid_field",
        "patient_id",
    ),
    # relayed events
    ("POST", "/events", {"data": {}}, "staff", 422, "invalid_field", "type"),
    ("POST", "/events", {"type": 5, "data": {}}, "staff", 422, "invalid_field", "type"),
    (
        "POST",
        "/events",
        {"type": "queue_update", "data": {}},
        "staff",
        422,
        "invalid_field",
        "type",
    ),
    (
        "POST",
        "/events",
        {"type": "order_created", "data": [1]},
        "staff",
        422,
        "invalid_field",
        "data",
    ),
    (
        "POST",
        "/events",
        {"type": "order_created", "room": "Bad Room!", "data": {}},
        "staff",
        422,
        "invalid_field",
        "room",
    ),
    (
        "POST",
        "/events",
        {"type": "notification", "severity": "panic", "data": {}},
        "staff",
        422,
        "invalid_field",
        "severity",
    ),
    (
        "POST",
        "/events",
        {"type": "notification", "user_id": "7", "data": {}},
        "staff",
        422,
        "invalid_field",
        "user_id",
    ),
    # tickets
    ("GET", "/tickets/not-a-claim-at-all", None, None, 404, "not_found", None),
    ("DELETE", "/tickets/{claim}x", None, None, 404, "not_found", None),
]


@pytest.mark.parametrize(
    "method, path, body, role, status, code, field",
    BAD,
    ids=[f"{m} {p} {b!r:.60} {r}" for m, p, b, r, *_ in BAD],
)
def test_bad_requests(server, world, method, path, body, role, status, code, field):
    before = state_of(server, world)
    resp = server.client(role).request(method, API + fill(path, world), fill(body, world))
    if field is None:
        expect_error(resp, status, code)
    else:
        expect_field_error(resp, field)
    assert state_of(server, world) == before, "a refused request changes nothing"


# ---------------------------------------------------------------- malformed JSON, size

# Every endpoint that reads a body, with a role allowed to call it.
WRITES = [
    ("POST", "/shops", "admin"),
    ("PATCH", "/shops/{shop}", "admin"),
    ("POST", "/shops/{shop}/providers", "admin"),
    ("PATCH", "/providers/{provider}", "admin"),
    ("POST", "/shops/{shop}/queue", "kiosk"),
    ("POST", "/shops/{shop}/queue", None),
    ("PATCH", "/queue/{entry}", "staff"),
    ("POST", "/shops/{shop}/queue/call-next", "staff"),
    ("PUT", "/shops/{shop}/queue/order", "staff"),
    ("POST", "/appointments", "staff"),
    ("PATCH", "/appointments/{appt}", "staff"),
    ("POST", "/checkins", "kiosk"),
    ("POST", "/events", "staff"),
]
MALFORMED = [
    b"{not json",
    b'{"full_name": "A B",}',
    b"[]",
    b'[{"full_name": "A B"}]',
    b'"just a string"',
    b"42",
    b"true",
    b"null",
    b"\xff\xfe\x00",
    b"[" * 5000,
    b'{"a":' * 3000,
    b'{"full_name": "A B", "provider_id": 1e400}',
    b"",
]


# call-next takes an empty body as {} (provider_id is optional), so that one pair is
# not a malformed request and is left out of the table.
MALFORMED_CASES = [
    (method, path, role, raw)
    for method, path, role in WRITES
    for raw in MALFORMED
    if not (raw == b"" and path.endswith("call-next"))
]


@pytest.mark.parametrize(
    "method, path, role, raw",
    MALFORMED_CASES,
    ids=[f"{m} {p} {r} {raw[:24]!r}" for m, p, r, raw in MALFORMED_CASES],
)
def test_malformed_json_is_400(server, world, method, path, role, raw):
    resp = server.client(role).request(method, API + fill(path, world), body=raw)
    expect_error(resp, 400, "bad_json")


@pytest.mark.parametrize("method, path, role", WRITES, ids=[f"{m} {p} {r}" for m, p, r in WRITES])
def test_body_over_1_mib_is_413(server, world, method, path, role):
    before = state_of(server, world)
    head, tail = b'{"full_name": "A B", "pad": "', b'"}'
    raw = head + b"a" * (MIB + 1 - len(head) - len(tail)) + tail
    assert len(raw) == MIB + 1
    resp = server.client(role).request(method, API + fill(path, world), body=raw)
    expect_error(resp, 413, "too_large")
    assert state_of(server, world) == before


def test_body_just_under_the_limit_is_read(server):
    head, tail = b'{"name": "Big", "pad": "', b'"}'
    raw = head + b"a" * (MIB - 64 - len(head) - len(tail)) + tail
    resp = server.client("admin").post(f"{API}/shops", body=raw)
    expect_field_error(resp, "pad")  # parsed, then refused for the unknown field


# ---------------------------------------------------------------- routes and methods


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/nope"),
        ("POST", "/api/v1/nope"),
        ("GET", "/api/v1/shops/1/queue/nope"),
        ("GET", "/api/v2/health"),
        ("GET", "/api/v1/shops/1/queue/call-next/extra"),
        ("DELETE", "/api/v1/appointments/1/extra"),
        ("GET", "/api/"),
    ],
)
def test_unknown_route_is_404_json(server, method, path):
    expect_error(server.client("admin").request(method, path), 404, "not_found")


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/shops"),
        ("PUT", "/health"),
        ("POST", "/health"),
        ("DELETE", "/shops/{shop}"),
        ("PUT", "/shops/{shop}/queue"),
        ("DELETE", "/shops/{shop}/queue"),
        ("GET", "/shops/{shop}/queue/call-next"),
        ("POST", "/shops/{shop}/queue/order"),
        ("GET", "/queue/{entry}"),
        ("DELETE", "/queue/{entry}"),
        ("PATCH", "/tickets/{claim}"),
        ("PUT", "/appointments"),
        ("GET", "/appointments/{appt}"),
        ("GET", "/checkins"),
    ],
)
def test_wrong_method_is_405_json(server, world, method, path):
    resp = server.client("admin").request(
        method, API + fill(path, world), body=b"{}" if method != "GET" else None
    )
    expect_error(resp, 405, "method_not_allowed")
    assert resp.headers.get("allow"), "405 names the allowed methods"
    assert method not in resp.headers["allow"].split(",")


# ---------------------------------------------------------------- self check-in limit


def test_sixth_anonymous_join_in_ten_minutes_is_429(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        admin = srv.client("admin")
        shop = admin.post(f"{API}/shops", {"name": "Busy", "timezone": "UTC"}).body
        url = f"{API}/shops/{shop['id']}/queue"
        phone = AddrClient(srv.port, "127.0.0.1")
        first = phone.post(url, {"full_name": "Phone 1"}, headers={"Idempotency-Key": "p1"})
        assert first.status == 201, first.raw
        for n in range(2, 6):
            resp = phone.post(url, {"full_name": f"Phone {n}"})
            assert resp.status == 201, (n, resp.raw)
            assert resp.body["source"] == "phone"

        sixth = phone.post(url, {"full_name": "Phone 6"})
        details = expect_error(sixth, 429, "rate_limited")
        retry_after = int(sixth.headers["retry-after"])
        assert 0 < retry_after <= 600
        assert details.get("retry_after_s", retry_after) == retry_after
        # A token-less display counts as anonymous too.
        display = srv.client("display")
        expect_error(display.post(url, {"full_name": "Tv Join"}), 429, "rate_limited")
        assert len(srv.client("staff").get(url).body["queue_items"]) == 5

        # A retry of a join that already succeeded gets its first answer, not a 429:
        # the phone that timed out must learn its ticket.
        replay = phone.post(url, {"full_name": "Phone 1"}, headers={"Idempotency-Key": "p1"})
        assert replay.status == 201, replay.raw
        assert replay.body == first.body
        # The limit is per address, and kiosk tablets are never limited.
        joined = 5
        if can_bind("127.0.0.77"):
            other_phone = AddrClient(srv.port, "127.0.0.77")
            assert other_phone.post(url, {"full_name": "Other Phone"}).status == 201
            joined += 1
        assert srv.client("kiosk").post(url, {"full_name": "Tablet"}).status == 201
        assert len(srv.client("staff").get(url).body["queue_items"]) == joined + 1
    finally:
        assert srv.stop() == 0


def test_a_body_nested_too_deeply_is_refused_not_a_500(server):
    deep = '{"type":"order_created","data":' + '{"a":' * 260 + "{}" + "}" * 261
    resp = server.client("staff").request("POST", "/api/v1/events", body=deep.encode())
    assert resp.status == 400 and resp.error_code == "bad_json"
    assert "nested" in resp.body["error"]["message"]
