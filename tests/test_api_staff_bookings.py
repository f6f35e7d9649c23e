"""Booking and moving appointments the way /staff does (SPEC §9): a time of day on the
shop's clock (`time`), and a move to another provider, date or time with one PATCH, one
`appointment_moved` event that both dates' screens hear."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.ws_client import API, WS, http, new_provider, ok


@pytest.fixture
async def shop(server):
    made = await ok(
        server,
        "POST",
        f"{API}/shops",
        {"name": "Booking Shop", "timezone": "Europe/Berlin"},
        role="admin",
    )
    made["providers"] = [
        await new_provider(server, made["id"], "Sam Shears"),
        await new_provider(server, made["id"], "Alex Blade"),
    ]
    return made


async def book(server, provider: dict, day: str, hhmm: str, name: str = "Nia Booked") -> dict:
    body = {"provider_id": provider["id"], "date": day, "time": hhmm, "patient": {"name": name}}
    return await ok(server, "POST", f"{API}/appointments", body)


async def test_booking_by_the_shops_clock_takes_each_days_offset(server, shop):
    sam = shop["providers"][0]
    winter = await book(server, sam, "2027-01-15", "09:30")
    summer = await book(server, sam, "2027-07-15", "09:30")
    assert winter["starts_at"] == "2027-01-15T09:30:00+01:00"
    assert summer["starts_at"] == "2027-07-15T09:30:00+02:00"
    for bad in ("9:30", "24:00", "09:60", "noon", 930):
        resp = await http(
            server,
            "POST",
            f"{API}/appointments",
            {"provider_id": sam["id"], "date": "2027-01-15", "time": bad, "patient": {"name": "X"}},
        )
        assert resp.status == 422 and resp.body["error"]["details"]["field"] == "time", bad
    both = await http(
        server,
        "POST",
        f"{API}/appointments",
        {
            "provider_id": sam["id"],
            "date": "2027-01-15",
            "time": "09:30",
            "starts_at": "2027-01-15T09:30:00+01:00",
            "patient": {"name": "X"},
        },
    )
    assert both.status == 422 and both.body["error"]["details"]["field"] == "time"


async def test_a_move_to_another_provider_date_and_time_is_one_event_both_dates_hear(server, shop):
    sam, alex = shop["providers"]
    day = (date(2027, 3, 1)).isoformat()
    later = (date(2027, 3, 1) + timedelta(days=2)).isoformat()
    booked = await book(server, sam, day, "10:00")
    await book(server, alex, later, "08:00", "Already There")
    old_date = await WS.connect(server, f"/ws/appointments/{shop['id']}/?date={day}")
    new_date = await WS.connect(server, f"/ws/appointments/{shop['id']}/?date={later}")
    try:
        await old_date.expect("appointment_update")
        await new_date.expect("appointment_update")
        moved = await ok(
            server,
            "PATCH",
            f"{API}/appointments/{booked['id']}",
            {"provider_id": alex["id"], "date": later, "time": "11:15"},
        )
        assert moved["provider_id"] == alex["id"] and moved["date"] == later
        assert moved["starts_at"] == f"{later}T11:15:00+01:00"
        assert moved["slot"] == 2  # after Alex's booking that day
        assert moved["status"] == "scheduled" and moved["customer"]["name"] == "Nia Booked"
        gone = await old_date.wait_for("appointment_update", seq=moved["seq"])
        assert booked["id"] not in [a["id"] for a in gone["appointments"]]
        arrived = await new_date.wait_for("appointment_update", seq=moved["seq"])
        assert booked["id"] in [a["id"] for a in arrived["appointments"]]
    finally:
        await old_date.close()
        await new_date.close()
    trail = await ok(server, "GET", f"{API}/audit?limit=5", role="admin")
    logged = [e for e in trail if e["seq"] >= moved["seq"]]
    assert [e["type"] for e in logged] == ["appointment_moved"]
    assert logged[0]["summary"] == f"appointment {booked['id']} moved to {later}T11:15:00+01:00"

    # Another day only: the same time on the shop's clock.
    again = await ok(server, "PATCH", f"{API}/appointments/{booked['id']}", {"date": "2027-07-01"})
    assert again["starts_at"] == "2027-07-01T11:15:00+02:00" and again["provider_id"] == alex["id"]


async def test_a_move_is_refused_clearly(server, shop):
    sam, alex = shop["providers"]
    booked = await book(server, sam, "2027-03-01", "10:00")
    path = f"{API}/appointments/{booked['id']}"
    for body, field in (
        ({"time": "25:00"}, "time"),
        ({"date": "2027-3-1"}, "date"),
        ({"provider_id": 999999}, "provider_id"),
        ({"provider_id": None}, "provider_id"),
        ({"status": "cancelled", "date": "2027-03-02"}, "status"),
        ({"room": 3}, "room"),
    ):
        resp = await http(server, "PATCH", path, body)
        assert resp.status == 422, (body, resp.raw)
        assert resp.body["error"]["details"]["field"] == field, (body, resp.body)
    assert (
        await http(server, "PATCH", f"{API}/appointments/999999", {"date": "2027-03-02"})
    ).status == 404
    refused = await http(server, "PATCH", path, {"time": "10:30"}, role="kiosk")
    assert refused.status == 403
    await ok(server, "PATCH", path, {"status": "cancelled"})
    closed = await http(server, "PATCH", path, {"provider_id": alex["id"]})
    assert closed.status == 409 and closed.body["error"]["details"]["status"] == "cancelled"
