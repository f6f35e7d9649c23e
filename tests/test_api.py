"""REST API (SPEC §3, §8): health, shops and providers, plus the helpers every
tests/test_api_*.py module shares (real server, real sockets, no mocks).

Each test makes its own shop and providers, so tests never see each other's state
on the module-scoped server.
"""

from __future__ import annotations

import itertools
import re
import socket
from typing import Any

import pytest

from tests.kiosk_harness import Client, Response

API = "/api/v1"
ROLES = ("display", "kiosk", "staff", "admin")
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")
ENTRY_KEYS = {
    "id",
    "shop_id",
    "provider_id",
    "customer_id",
    "full_name",
    "ticket",
    "position_in_queue",
    "status",
    "source",
    "appointment_id",
    "checked_in_at",
    "called_at",
    "started_at",
    "completed_at",
    "estimated_wait_minutes",
}
OPEN = ("CHECKED_IN", "CALLED", "IN_SERVICE")
_names = itertools.count(1)
_addresses = itertools.count(2)


# ---------------------------------------------------------------- helpers


class AddrClient(Client):
    """A client that connects from its own loopback address (127.0.0.N), so anonymous
    joins made by one test never eat another test's per-address self check-in budget."""

    def __init__(self, port: int, source: str, token: str | None = None):
        super().__init__(port, token, source=source)


def can_bind(address: str) -> bool:
    """127.0.0.0/8 is all loopback on Linux and Windows; macOS has only 127.0.0.1."""
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def anon_from_own_address(server) -> AddrClient:
    n = next(_addresses)
    address = f"127.0.{n // 250}.{n % 250 + 2}"
    return AddrClient(server.port, address if can_bind(address) else "127.0.0.1")


def expect_error(resp: Response, status: int, code: str) -> dict[str, Any]:
    """The SPEC error shape, with the right status and code; returns `details`."""
    assert resp.status == status, (resp.status, resp.raw[:500])
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    assert isinstance(resp.body, dict) and set(resp.body) == {"error"}, resp.raw[:500]
    error = resp.body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error
    return error["details"]


def expect_field_error(resp: Response, field: str) -> dict[str, Any]:
    details = expect_error(resp, 422, "invalid_field")
    assert details["field"] == field, details
    assert isinstance(details["reason"], str) and details["reason"], details
    return details


def new_shop(server, timezone: str = "UTC") -> dict[str, Any]:
    resp = server.client("admin").post(
        f"{API}/shops", {"name": f"Test shop {next(_names)}", "timezone": timezone}
    )
    assert resp.status == 201, resp.raw
    return resp.body


def new_provider(server, shop_id: int, name: str | None = None) -> dict[str, Any]:
    name = name or f"Chair {next(_names)}"
    resp = server.client("admin").post(
        f"{API}/shops/{shop_id}/providers", {"name": name, "code": name[:3], "specialty": "cuts"}
    )
    assert resp.status == 201, resp.raw
    return resp.body


def join(client: Client, shop_id: int, full_name: str | None = None, **fields) -> dict[str, Any]:
    body = {"full_name": full_name or f"Walker {next(_names)} Smith", **fields}
    resp = client.post(f"{API}/shops/{shop_id}/queue", body)
    assert resp.status == 201, resp.raw
    return resp.body


def get_queue(server, shop_id: int, role: str | None = "staff") -> dict[str, Any]:
    resp = server.client(role).get(f"{API}/shops/{shop_id}/queue")
    assert resp.status == 200, resp.raw
    return resp.body


def waiting_ids(queue: dict[str, Any]) -> list[int]:
    return [e["id"] for e in queue["queue_items"] if e["status"] == "CHECKED_IN"]


def item(queue: dict[str, Any], entry_id: int) -> dict[str, Any] | None:
    return next((e for e in queue["queue_items"] if e["id"] == entry_id), None)


def set_status(server, entry_id: int, status: str) -> Response:
    return server.client("staff").patch(f"{API}/queue/{entry_id}", {"status": status})


def assert_queue_invariants(queue: dict[str, Any]) -> None:
    """SPEC §2/§8: open entries only, called/in-service first, waiting positions 1..n,
    null positions for the rest, waits never negative."""
    items = queue["queue_items"]
    statuses = [e["status"] for e in items]
    assert all(s in OPEN for s in statuses), statuses
    busy = [e for e in items if e["status"] != "CHECKED_IN"]
    assert items[: len(busy)] == busy, "called and in-service entries come first"
    line = items[len(busy) :]
    assert [e["position_in_queue"] for e in line] == list(range(1, len(line) + 1))
    assert all(e["position_in_queue"] is None for e in busy)
    for e in line:
        assert isinstance(e["estimated_wait_minutes"], int), e
        assert e["estimated_wait_minutes"] >= 0, e
    for e in items:
        assert set(e) >= ENTRY_KEYS, set(e) ^ ENTRY_KEYS
        assert "claim" not in e
    assert {e["id"] for e in queue["now_serving"]} == {e["id"] for e in busy}


# ---------------------------------------------------------------- health


def test_health_is_public_and_shaped(server):
    resp = server.client().get(f"{API}/health")
    assert resp.status == 200
    assert set(resp.body) == {"status", "version", "uptime_s"}
    assert resp.body["status"] == "ok"
    assert isinstance(resp.body["version"], str) and resp.body["version"]
    assert isinstance(resp.body["uptime_s"], int | float) and resp.body["uptime_s"] >= 0
    later = server.client("display").get(f"{API}/health")
    assert later.status == 200 and later.body["uptime_s"] >= resp.body["uptime_s"]


# ---------------------------------------------------------------- shops


def test_first_start_made_shop_1(server):
    resp = server.client().get(f"{API}/shops/1")
    assert resp.status == 200
    assert resp.body["id"] == 1


def test_create_list_get_patch_shop(server):
    admin = server.client("admin")
    created = admin.post(f"{API}/shops", {"name": "  Corner Cuts  ", "timezone": "Europe/Berlin"})
    assert created.status == 201, created.raw
    shop = created.body
    assert shop["name"] == "Corner Cuts"
    assert shop["timezone"] == "Europe/Berlin"
    assert isinstance(shop["id"], int)
    assert isinstance(shop["seq"], int) and shop["seq"] > 0

    listed = server.client().get(f"{API}/shops")
    assert listed.status == 200
    mine = [s for s in listed.body if s["id"] == shop["id"]]
    assert len(mine) == 1 and mine[0]["name"] == "Corner Cuts"
    assert "seq" not in mine[0]

    one = server.client().get(f"{API}/shops/{shop['id']}")
    assert one.status == 200
    assert {k: v for k, v in shop.items() if k != "seq"} == one.body

    patched = admin.patch(
        f"{API}/shops/{shop['id']}", {"name": "Corner Cuts II", "default_service_minutes": 20}
    )
    assert patched.status == 200, patched.raw
    assert patched.body["name"] == "Corner Cuts II"
    assert patched.body["default_service_minutes"] == 20
    assert patched.body["seq"] > shop["seq"]
    again = server.client().get(f"{API}/shops/{shop['id']}")
    assert again.body["name"] == "Corner Cuts II"
    assert again.body["timezone"] == "Europe/Berlin"


def test_shop_without_timezone_gets_a_valid_one(server):
    resp = server.client("admin").post(f"{API}/shops", {"name": "No tz"})
    assert resp.status == 201
    assert isinstance(resp.body["timezone"], str) and resp.body["timezone"]


# ---------------------------------------------------------------- providers


def test_provider_crud(server):
    shop = new_shop(server)
    admin = server.client("admin")
    created = admin.post(
        f"{API}/shops/{shop['id']}/providers",
        {"name": "Dr. Ada", "code": "ADA", "specialty": "teeth"},
    )
    assert created.status == 201, created.raw
    provider = created.body
    assert {k: provider[k] for k in ("shop_id", "name", "code", "specialty", "active")} == {
        "shop_id": shop["id"],
        "name": "Dr. Ada",
        "code": "ADA",
        "specialty": "teeth",
        "active": True,
    }
    assert isinstance(provider["seq"], int)

    listed = server.client().get(f"{API}/shops/{shop['id']}/providers")
    assert listed.status == 200
    assert [p["id"] for p in listed.body] == [provider["id"]]

    patched = admin.patch(f"{API}/providers/{provider['id']}", {"name": "Dr. Ada L."})
    assert patched.status == 200, patched.raw
    assert patched.body["name"] == "Dr. Ada L."
    assert patched.body["seq"] > provider["seq"]

    deleted = admin.delete(f"{API}/providers/{provider['id']}")
    assert deleted.status == 200, deleted.raw
    assert deleted.body["active"] is False
    assert deleted.body["seq"] > patched.body["seq"]
    listed = server.client().get(f"{API}/shops/{shop['id']}/providers")
    assert listed.body == []


def test_deleting_a_provider_sends_their_waiting_tickets_to_anyone(server):
    shop = new_shop(server)
    provider = new_provider(server, shop["id"])
    entry = join(server.client("kiosk"), shop["id"], provider_id=provider["id"])
    before = get_queue(server, shop["id"])
    resp = server.client("admin").delete(f"{API}/providers/{provider['id']}")
    assert resp.status == 200
    after = get_queue(server, shop["id"])
    assert item(after, entry["id"])["provider_id"] is None
    assert after["version"] > before["version"]
    # A retired provider can no longer be chosen.
    expect_field_error(
        server.client("kiosk").post(
            f"{API}/shops/{shop['id']}/queue", {"full_name": "Al", "provider_id": provider["id"]}
        ),
        "provider_id",
    )


def test_provider_of_another_shop_is_refused(server):
    shop_a, shop_b = new_shop(server), new_shop(server)
    other = new_provider(server, shop_b["id"])
    resp = server.client("kiosk").post(
        f"{API}/shops/{shop_a['id']}/queue", {"full_name": "Al Bo", "provider_id": other["id"]}
    )
    expect_field_error(resp, "provider_id")
    assert get_queue(server, shop_a["id"])["queue_items"] == []


@pytest.mark.parametrize("role", [None, *ROLES])
def test_reads_are_public(server, role):
    shop = new_shop(server)
    new_provider(server, shop["id"])
    client = server.client(role)
    for path in (
        f"{API}/shops",
        f"{API}/shops/{shop['id']}",
        f"{API}/shops/{shop['id']}/providers",
        f"{API}/shops/{shop['id']}/queue",
    ):
        resp = client.get(path)
        assert resp.status == 200, (path, resp.raw)
