"""Staff schedules, breaks and time off (SPEC §11, seed 004), and who is on duty now.

The server runs under libfaketime from Wednesday 2026-12-02 10:00 UTC, so "now" and
"today" are known: a shift 08:00-18:00 covers now, a break 09:30-11:30 too. Seed 004's
dashboard is played with its own messages: its subscribe envelope, and what it reads
of each event (`payload.schedule`, `payload.scheduleId`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk_harness import Server
from tests.ws_client import API, WS, http, join, new_provider, ok

TODAY = "2026-12-02"  # a Wednesday
LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="no libfaketime")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{TODAY} 10:00:00", "TZ": "UTC"}
    srv = Server(tmp_path_factory.mktemp("schedules"), env=env).start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.kill()


@pytest.fixture
async def ws_open(server):
    opened: list[WS] = []

    async def open_(path: str, token: str | None = None) -> WS:
        client = await WS.connect(server, path, token)
        opened.append(client)
        return client

    yield open_
    await asyncio.gather(*(c.close() for c in opened))


async def utc_shop(server: Server, name: str = "Rota Shop") -> int:
    body = {"name": name, "timezone": "UTC"}
    return (await ok(server, "POST", f"{API}/shops", body, role="admin"))["id"]


def seed004_message(type: str, payload: dict[str, Any], id: str) -> dict[str, Any]:
    """What seed 004's WebSocketClient.send puts on the wire."""
    return {"type": type, "payload": payload, "timestamp": "2026-12-02T10:00:00.000Z", "id": id}


async def schedule(server: Server, shop: int, provider: int, **fields: Any) -> dict[str, Any]:
    body = {"provider_id": provider, "date": TODAY, "start": "08:00", "end": "18:00", **fields}
    return await ok(server, "POST", f"{API}/shops/{shop}/schedules", body)


# ---------------------------------------------------------------- seed 004's dashboard


async def test_seed_004_dashboard_hears_schedule_and_timeoff_events(server, ws_open):
    shop = await utc_shop(server)
    provider = (await new_provider(server, shop))["id"]
    dashboard = await ws_open(f"/ws?token={server.token('staff')}")
    await dashboard.expect("connection:established")
    await dashboard.send(
        seed004_message("subscribe", {"channels": ["schedules", "timeoff"]}, "test-1")
    )
    subscribed = await dashboard.expect("subscribed")
    assert subscribed["payload"]["total"] == 2

    made = await schedule(server, shop, provider)
    created = await dashboard.wait_for("schedule_created")
    assert created["payload"] == {"schedule": strip_seq(made), "scheduleId": made["id"]}
    assert created["seq"] == made["seq"]
    assert created["payload"]["schedule"]["kind"] == "shift"

    moved = await ok(server, "PATCH", f"{API}/schedules/{made['id']}", {"end": "17:00"})
    updated = await dashboard.wait_for("schedule_updated")
    # handleScheduleUpdated: s.id === payload.scheduleId ? payload.schedule : s
    assert updated["payload"]["scheduleId"] == made["id"]
    assert updated["payload"]["schedule"] == strip_seq(moved)
    assert updated["payload"]["schedule"]["end"] == "17:00"

    gone = await ok(server, "DELETE", f"{API}/schedules/{made['id']}")
    deleted = await dashboard.wait_for("schedule_deleted")
    assert deleted["payload"] == {"schedule": strip_seq(moved), "scheduleId": made["id"]}
    assert gone["seq"] == deleted["seq"]

    body = {"provider_id": provider, "start_date": "2026-12-24", "end_date": "2026-12-26"}
    asked = await ok(server, "POST", f"{API}/shops/{shop}/timeoff", body)
    told = await dashboard.wait_for("timeoff_created")
    assert told["payload"] == {"timeoff": strip_seq(asked), "timeoffId": asked["id"]}
    assert told["payload"]["timeoff"]["status"] == "requested"
    decided = await ok(
        server, "PATCH", f"{API}/timeoff/{asked['id']}", {"status": "approved"}, role="admin"
    )
    told = await dashboard.wait_for("timeoff_updated")
    assert told["payload"] == {"timeoff": strip_seq(decided), "timeoffId": asked["id"]}
    assert told["payload"]["timeoff"]["status"] == "approved"
    # Each message in seed 004's envelope, on its channel.
    for message in (created, updated, deleted):
        assert set(message) >= {"type", "payload", "timestamp", "id"} and message["channel"] == (
            "schedules"
        )


def strip_seq(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "seq"}


async def test_schedule_events_are_for_staff_sockets_only(server, ws_open):
    shop = await utc_shop(server)
    provider = (await new_provider(server, shop))["id"]
    display = await ws_open(f"/ws?token={server.token('display')}")
    await display.expect("connection:established")
    await display.send(seed004_message("subscribe", {"channels": ["schedules"]}, "d-1"))
    refused = await display.expect("error")
    assert refused["payload"]["code"] == "forbidden"
    await display.send(seed004_message("subscribe", {"channels": [f"queue:{shop}"]}, "d-2"))
    await display.wait_for("subscribed")
    await schedule(server, shop, provider)
    # The display's queue channel hears the change as a queue view, never the rota.
    view = await display.wait_for("queue_update")
    assert [p["state"] for p in view["payload"]["providers"]] == ["available"]
    assert "schedule_created" not in display.types()


# ---------------------------------------------------------------- the REST surface


async def test_schedules_are_listed_by_range_and_provider(server):
    shop = await utc_shop(server)
    ann, bob = (await new_provider(server, shop))["id"], (await new_provider(server, shop))["id"]
    first = await schedule(server, shop, ann)
    await schedule(server, shop, ann, date="2026-12-03", start="09:00", end="12:00")
    lunch = await schedule(server, shop, bob, kind="break", start="12:00", end="13:00")
    listed = await ok(server, "GET", f"{API}/shops/{shop}/schedules")
    assert [s["id"] for s in listed] == [first["id"], lunch["id"]], "today by default"
    week = await ok(server, "GET", f"{API}/shops/{shop}/schedules?from={TODAY}&to=2026-12-08")
    assert len(week) == 3
    mine = await ok(
        server, "GET", f"{API}/shops/{shop}/schedules?from={TODAY}&to=2026-12-08&provider_id={bob}"
    )
    assert [s["kind"] for s in mine] == ["break"]
    listed = await ok(server, "GET", f"{API}/shops/{shop}/timeoff?from=2026-12-01&to=2026-12-31")
    assert listed == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-12-32"}, "date"),
        ({"start": "9:00"}, "start"),
        ({"end": "25:00"}, "end"),
        ({"start": "12:00", "end": "11:00"}, "end"),
        ({"kind": "nap"}, "kind"),
        ({"provider_id": 999999}, "provider_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_schedule_is_refused_with_the_field(server, body, field):
    shop = await utc_shop(server)
    provider = (await new_provider(server, shop))["id"]
    full = {"provider_id": provider, "date": TODAY, "start": "08:00", "end": "18:00", **body}
    resp = await http(server, "POST", f"{API}/shops/{shop}/schedules", full)
    assert resp.status == 422, resp.raw
    assert resp.body["error"]["code"] == "invalid_field"
    assert resp.body["error"]["details"]["field"] == field


async def test_roles_for_schedules_and_time_off(server):
    shop = await utc_shop(server)
    provider = (await new_provider(server, shop))["id"]
    body = {"provider_id": provider, "date": TODAY, "start": "08:00", "end": "18:00"}
    for role, status in (("kiosk", 403), (None, 401)):
        resp = await http(server, "POST", f"{API}/shops/{shop}/schedules", body, role=role)
        assert resp.status == status, (role, resp.raw)
        resp = await http(server, "GET", f"{API}/shops/{shop}/timeoff", role=role)
        assert resp.status == status, (role, resp.raw)
    asked = await ok(
        server,
        "POST",
        f"{API}/shops/{shop}/timeoff",
        {"provider_id": provider, "start_date": "2026-12-10", "reason": "Dentist"},
    )
    assert (asked["end_date"], asked["reason"]) == ("2026-12-10", "Dentist")
    # Staff ask; only the owner approves or rejects. Staff may withdraw a request.
    denied = await http(server, "PATCH", f"{API}/timeoff/{asked['id']}", {"status": "approved"})
    assert denied.status == 403, denied.raw
    withdrawn = await ok(server, "PATCH", f"{API}/timeoff/{asked['id']}", {"status": "cancelled"})
    assert withdrawn["status"] == "cancelled"
    again = await http(
        server, "PATCH", f"{API}/timeoff/{asked['id']}", {"status": "approved"}, role="admin"
    )
    assert again.status == 409, again.raw
    assert again.body["error"]["code"] == "invalid_transition"
    assert again.body["error"]["details"] == {"from": "cancelled", "to": "approved", "allowed": []}
    backwards = await http(
        server,
        "POST",
        f"{API}/shops/{shop}/timeoff",
        {"provider_id": provider, "start_date": "2026-12-10", "end_date": "2026-12-09"},
    )
    assert backwards.status == 422 and backwards.body["error"]["details"]["field"] == "end_date"
    missing = await http(server, "PATCH", f"{API}/schedules/99999", {"end": "12:00"})
    assert missing.status == 404, missing.raw


# ---------------------------------------------------------------- on duty now


async def test_duty_drives_the_tv_the_kiosk_the_wait_and_call_next(server):
    """10:00 on the shop's Wednesday: Ann's shift covers now, Bob is on a break until
    11:30, Cy is away (approved time off), Dee works this afternoon."""
    shop = await utc_shop(server, "Duty Shop")
    ann, bob, cy, dee = [
        (await new_provider(server, shop, n))["id"] for n in ("Ann", "Bob", "Cy", "Dee")
    ]
    queue = await ok(server, "GET", f"{API}/shops/{shop}/queue")
    assert all(p["state"] == "available" and p["on_duty"] for p in queue["providers"])
    for who in (ann, bob):
        await schedule(server, shop, who)
    await schedule(server, shop, bob, kind="break", start="09:30", end="11:30")
    await schedule(server, shop, dee, start="14:00", end="18:00")
    away = await ok(
        server,
        "POST",
        f"{API}/shops/{shop}/timeoff",
        {"provider_id": cy, "start_date": "2026-12-01", "end_date": TODAY},
    )
    await ok(server, "PATCH", f"{API}/timeoff/{away['id']}", {"status": "approved"}, role="admin")

    tv = (await ok(server, "GET", f"{API}/shops/{shop}/queue", role=None))["providers"]
    states = {p["name"]: (p["state"], p["until"], p["on_duty"]) for p in tv}
    assert states == {
        "Ann": ("available", None, True),
        "Bob": ("break", "11:30", False),
        "Cy": ("off", None, False),
        "Dee": ("off", "14:00", False),
    }
    assert next(p for p in tv if p["name"] == "Bob")["until_at"] == f"{TODAY}T11:30:00+00:00"
    assert [p["off_reason"] for p in tv] == [None, None, "time_off", "schedule"]
    offered = await ok(server, "GET", f"{API}/shops/{shop}/providers", role="kiosk")
    assert {p["name"]: p["on_duty"] for p in offered} == {
        "Ann": True,
        "Bob": False,
        "Cy": False,
        "Dee": False,
    }

    # One provider on duty: four tickets for anyone wait one after another (15 min each).
    tickets = [await join(server, shop) for _ in range(4)]
    assert [t["estimated_wait_minutes"] for t in tickets] == [0, 15, 30, 45]

    # Calling for Bob (on a break) or Cy (time off) needs a confirmation.
    for who, state in ((bob, "break"), (cy, "off")):
        resp = await http(
            server, "POST", f"{API}/shops/{shop}/queue/call-next", {"provider_id": who}
        )
        assert resp.status == 409, resp.raw
        assert resp.body["error"]["code"] == "off_duty"
        assert resp.body["error"]["details"]["state"] == state
    assert (await http(server, "GET", f"{API}/shops/{shop}/queue")).body["queue_items"][0][
        "status"
    ] == "CHECKED_IN", "a refused call changes nothing"
    forced = await ok(
        server,
        "POST",
        f"{API}/shops/{shop}/queue/call-next",
        {"provider_id": bob, "force": True},
        status=200,
    )
    assert (forced["status"], forced["provider_id"]) == ("CALLED", bob)
    called = await ok(
        server, "POST", f"{API}/shops/{shop}/queue/call-next", {"provider_id": ann}, status=200
    )
    assert called["provider_id"] == ann
    tv = (await ok(server, "GET", f"{API}/shops/{shop}/queue"))["providers"]
    assert {p["name"]: p["state"] for p in tv}["Ann"] == "serving"
    assert {p["name"]: p["state"] for p in tv}["Bob"] == "serving"


async def test_a_dashboard_that_was_away_gets_the_missed_schedule_events(server, ws_open):
    """Resume (SPEC §4): a channels socket opened with `since` and subscribing to
    `schedules` gets what it missed there, once each, in order."""
    shop = await utc_shop(server)
    provider = (await new_provider(server, shop))["id"]
    before = await schedule(server, shop, provider)
    missed = [
        await schedule(server, shop, provider, start="12:00", end="13:00", kind="break"),
        await ok(server, "PATCH", f"{API}/schedules/{before['id']}", {"start": "07:00"}),
    ]
    back = await ws_open(f"/ws?token={server.token('staff')}&since={before['seq']}")
    await back.expect("connection:established")
    await back.send(seed004_message("subscribe", {"channels": ["schedules"]}, "again-1"))
    await back.expect("subscribed")
    replayed = [await back.recv() for _ in missed]
    assert [(m["type"], m["seq"]) for m in replayed] == [
        ("schedule_created", missed[0]["seq"]),
        ("schedule_updated", missed[1]["seq"]),
    ]
    assert replayed[1]["payload"]["schedule"]["start"] == "07:00"
