"""REST API, appointments and check-in (SPEC §2 "Appointment ↔ ticket", §3, §8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests import test_api as api
from tests.test_api import API, ENTRY_KEYS

APPOINTMENT_KEYS = {
    "id",
    "shop_id",
    "provider_id",
    "customer_id",
    "customer",
    "date",
    "slot",
    "starts_at",
    "status",
}


def today_of(server, shop_id: int) -> str:
    return api.get_queue(server, shop_id)["appointments_today"]["date"]


def book(server, provider: dict, day: str, name: str = "Jane Ann Roe", **extra) -> dict:
    body = {
        "provider_id": provider["id"],
        "date": day,
        "patient": {"name": name, "phone": "555-7777", "age": 41, "gender": "f"},
        **extra,
    }
    resp = server.client("staff").post(f"{API}/appointments", body)
    assert resp.status == 201, resp.raw
    return resp.body


def appointments(server, shop_id: int, day: str, role: str = "staff") -> list[dict]:
    resp = server.client(role).get(f"{API}/appointments?date={day}&shop_id={shop_id}")
    assert resp.status == 200, resp.raw
    return resp.body


def appointment(server, shop_id: int, day: str, appointment_id: int) -> dict:
    return next(a for a in appointments(server, shop_id, day) if a["id"] == appointment_id)


def check_in(server, appointment_id: int, role: str = "kiosk"):
    return server.client(role).post(f"{API}/checkins", {"appointment_id": appointment_id})


@pytest.fixture
def shop(server):
    return api.new_shop(server)


@pytest.fixture
def provider(server, shop):
    return api.new_provider(server, shop["id"], "Dr. Who")


# ---------------------------------------------------------------- booking and listing


def test_book_list_and_filter(server, shop, provider):
    other = api.new_provider(server, shop["id"])
    day = today_of(server, shop["id"])
    first = book(server, provider, day, starts_at=f"{day}T09:00:00+00:00")
    assert set(first) >= APPOINTMENT_KEYS
    assert first["status"] == "scheduled"
    assert first["provider_id"] == provider["id"] and first["shop_id"] == shop["id"]
    assert first["date"] == day and first["slot"] == 1
    assert first["customer"]["name"] == "Jane Ann Roe"
    assert first["customer"]["phone"] == "555-7777"
    assert first["customer_id"] == first["customer"]["id"]
    assert isinstance(first["seq"], int)
    second = book(server, provider, day, name="Rex Hall")
    assert second["slot"] == 2 and second["seq"] > first["seq"]
    third = book(server, other, day, slot=7, customer_id=first["customer_id"])
    assert third["slot"] == 7 and third["customer_id"] == first["customer_id"]
    assert "patient" not in third or third["patient"] is None

    listed = appointments(server, shop["id"], day)
    assert {a["id"] for a in listed} == {first["id"], second["id"], third["id"]}
    assert all("seq" not in a for a in listed)
    just_other = server.client("staff").get(
        f"{API}/appointments?date={day}&shop_id={shop['id']}&provider_id={other['id']}"
    )
    assert [a["id"] for a in just_other.body] == [third["id"]]
    # Without a date: today in the shop's timezone.
    no_date = server.client("staff").get(f"{API}/appointments?shop_id={shop['id']}")
    assert {a["id"] for a in no_date.body} == {first["id"], second["id"], third["id"]}
    tomorrow = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    assert appointments(server, shop["id"], tomorrow) == []
    # The queue display shows today's appointments too.
    today = api.get_queue(server, shop["id"])["appointments_today"]
    assert today["total"] == 3 and today["checked_in"] == 0


def test_double_booking_a_slot_is_a_conflict(server, shop, provider):
    day = today_of(server, shop["id"])
    book(server, provider, day, slot=3)
    resp = server.client("staff").post(
        f"{API}/appointments",
        {"provider_id": provider["id"], "date": day, "slot": 3, "patient": {"name": "Late Comer"}},
    )
    api.expect_error(resp, 409, "conflict")


def test_kiosk_sees_appointments_redacted(server, shop, provider):
    day = today_of(server, shop["id"])
    booked = book(server, provider, day, name="Jane Ann Roe")
    kiosk_view = appointments(server, shop["id"], day, role="kiosk")
    staff_view = appointments(server, shop["id"], day, role="staff")
    (mine,) = [a for a in kiosk_view if a["id"] == booked["id"]]
    assert mine["customer"]["name"] == "Jane R."
    assert mine["customer"]["phone"] is None
    assert mine["customer"]["age"] is None and mine["customer"]["gender"] is None
    assert mine["provider_id"] == provider["id"] and mine["slot"] == booked["slot"]
    (full,) = [a for a in staff_view if a["id"] == booked["id"]]
    assert full["customer"]["name"] == "Jane Ann Roe"
    assert full["customer"]["phone"] == "555-7777" and full["customer"]["age"] == 41
    assert set(full["customer"]) == set(mine["customer"]), "redaction keeps every key"
    # And in the public queue display.
    shown = api.get_queue(server, shop["id"], None)["appointments_today"]["appointments"]
    assert shown[0]["customer"]["name"] == "Jane R." and shown[0]["customer"]["phone"] is None


# ---------------------------------------------------------------- check-in


def test_check_in_makes_a_b_ticket(server, shop, provider):
    day = today_of(server, shop["id"])
    walk_in = api.join(server.client("kiosk"), shop["id"])
    appt = book(server, provider, day)
    second = book(server, provider, day, name="Second Person")

    resp = server.client("kiosk").post(
        f"{API}/checkins", {"appointment_id": appt["id"], "patient_id": appt["customer_id"]}
    )
    assert resp.status == 201, resp.raw
    entry = resp.body
    assert ENTRY_KEYS | {"claim", "seq"} <= set(entry)
    assert entry["ticket"] == "B001"
    assert entry["source"] == "appointment"
    assert entry["appointment_id"] == appt["id"]
    assert entry["provider_id"] == provider["id"]
    assert entry["customer_id"] == appt["customer_id"]
    assert entry["status"] == "CHECKED_IN"
    assert entry["position_in_queue"] == 2
    assert isinstance(entry["claim"], str) and len(entry["claim"]) >= 16
    assert entry["estimated_wait_minutes"] >= 0

    assert check_in(server, second["id"]).body["ticket"] == "B002"
    assert api.join(server.client("kiosk"), shop["id"])["ticket"] == walk_in["ticket"][:1] + "002"

    after = appointment(server, shop["id"], day, appt["id"])
    assert after["status"] == "checked_in"
    assert after["queue_entry_id"] == entry["id"]
    queue = api.get_queue(server, shop["id"])
    assert api.waiting_ids(queue)[:2] == [walk_in["id"], entry["id"]]
    assert queue["appointments_today"]["checked_in"] == 2
    api.assert_queue_invariants(queue)
    # The claim works for the holder, and shows nowhere else.
    assert server.client().get(f"{API}/tickets/{entry['claim']}").body["id"] == entry["id"]
    for role in (None, "kiosk", "staff"):
        raw = server.client(role).get(f"{API}/shops/{shop['id']}/queue").raw
        assert entry["claim"].encode() not in raw
    assert (
        entry["claim"].encode()
        not in server.client("staff").get(f"{API}/appointments?date={day}&shop_id={shop['id']}").raw
    )


def test_check_in_twice_is_409(server, shop, provider):
    appt = book(server, provider, today_of(server, shop["id"]))
    assert check_in(server, appt["id"]).status == 201
    details = api.expect_error(check_in(server, appt["id"]), 409, "invalid_transition")
    assert details["from"] == "checked_in" and details["to"] == "checked_in"
    assert "checked_in" not in details["allowed"]
    assert len(api.waiting_ids(api.get_queue(server, shop["id"]))) == 1


@pytest.mark.parametrize("offset", [-1, 1, 30])
def test_check_in_on_another_day_is_a_conflict(server, shop, provider, offset):
    day = date.fromisoformat(today_of(server, shop["id"])) + timedelta(days=offset)
    appt = book(server, provider, day.isoformat())
    api.expect_error(check_in(server, appt["id"]), 409, "conflict")
    assert api.get_queue(server, shop["id"])["queue_items"] == []
    assert appointment(server, shop["id"], day.isoformat(), appt["id"])["status"] == "scheduled"


def test_check_in_of_cancelled_appointment_is_409(server, shop, provider):
    appt = book(server, provider, today_of(server, shop["id"]))
    patched = server.client("staff").patch(
        f"{API}/appointments/{appt['id']}", {"status": "cancelled"}
    )
    assert patched.status == 200
    details = api.expect_error(check_in(server, appt["id"]), 409, "invalid_transition")
    assert details["from"] == "cancelled"


def test_check_in_with_the_wrong_patient_is_422(server, shop, provider):
    day = today_of(server, shop["id"])
    appt = book(server, provider, day)
    other = book(server, provider, day, name="Other Person")
    resp = server.client("kiosk").post(
        f"{API}/checkins", {"appointment_id": appt["id"], "patient_id": other["customer_id"]}
    )
    api.expect_field_error(resp, "patient_id")
    assert appointment(server, shop["id"], day, appt["id"])["status"] == "scheduled"


def test_check_in_of_a_confirmed_appointment(server, shop, provider):
    appt = book(server, provider, today_of(server, shop["id"]))
    confirmed = server.client("staff").patch(
        f"{API}/appointments/{appt['id']}", {"status": "confirmed"}
    )
    assert confirmed.status == 200 and confirmed.body["status"] == "confirmed"
    assert isinstance(confirmed.body["seq"], int)
    assert check_in(server, appt["id"]).status == 201


# ---------------------------------------------------------------- ticket -> appointment


@pytest.mark.parametrize(
    "steps, appointment_status",
    [
        (["IN_SERVICE"], "in_progress"),
        (["CALLED", "IN_SERVICE"], "in_progress"),
        (["IN_SERVICE", "COMPLETED"], "completed"),
        (["CALLED", "NO_SHOW"], "no_show"),
        (["NO_SHOW"], "no_show"),
        (["LEFT"], "cancelled"),
        (["CANCELLED"], "cancelled"),
        (["CALLED"], "checked_in"),
        (["CALLED", "CHECKED_IN"], "checked_in"),
    ],
)
def test_ticket_drags_its_appointment(server, shop, provider, steps, appointment_status):
    day = today_of(server, shop["id"])
    appt = book(server, provider, day)
    entry = check_in(server, appt["id"]).body
    for step in steps:
        resp = api.set_status(server, entry["id"], step)
        assert resp.status == 200, resp.raw
    assert appointment(server, shop["id"], day, appt["id"])["status"] == appointment_status
    api.assert_queue_invariants(api.get_queue(server, shop["id"]))


def test_leaving_by_claim_cancels_the_appointment(server, shop, provider):
    day = today_of(server, shop["id"])
    appt = book(server, provider, day)
    entry = check_in(server, appt["id"]).body
    assert server.client().delete(f"{API}/tickets/{entry['claim']}").status == 200
    after = appointment(server, shop["id"], day, appt["id"])
    assert after["status"] == "cancelled" and after["queue_entry_id"] is None


# ---------------------------------------------------------------- appointment -> ticket


def test_cancelling_the_appointment_cancels_its_ticket(server, shop, provider):
    day = today_of(server, shop["id"])
    kiosk = server.client("kiosk")
    before = api.join(kiosk, shop["id"])
    appt = book(server, provider, day)
    entry = check_in(server, appt["id"]).body
    behind = api.join(kiosk, shop["id"])
    version = api.get_queue(server, shop["id"])["version"]

    resp = server.client("staff").patch(f"{API}/appointments/{appt['id']}", {"status": "cancelled"})
    assert resp.status == 200, resp.raw
    assert resp.body["status"] == "cancelled"
    assert resp.body["id"] == appt["id"] and isinstance(resp.body["seq"], int)
    queue = api.get_queue(server, shop["id"])
    assert api.item(queue, entry["id"]) is None
    assert api.waiting_ids(queue) == [before["id"], behind["id"]]
    assert queue["version"] > version
    api.assert_queue_invariants(queue)
    mine = server.client().get(f"{API}/tickets/{entry['claim']}")
    assert mine.body["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "patches, ticket_status",
    [
        (["in_progress"], "IN_SERVICE"),
        (["in_progress", "completed"], "COMPLETED"),
        (["no_show"], "NO_SHOW"),
        (["in_progress", "cancelled"], "CANCELLED"),
    ],
)
def test_appointment_drags_its_ticket(server, shop, provider, patches, ticket_status):
    day = today_of(server, shop["id"])
    appt = book(server, provider, day)
    entry = check_in(server, appt["id"]).body
    for status in patches:
        resp = server.client("staff").patch(f"{API}/appointments/{appt['id']}", {"status": status})
        assert resp.status == 200, resp.raw
        assert resp.body["status"] == status
    ticket = server.client().get(f"{API}/tickets/{entry['claim']}").body
    assert ticket["status"] == ticket_status
    assert appointment(server, shop["id"], day, appt["id"])["status"] == patches[-1]
    api.assert_queue_invariants(api.get_queue(server, shop["id"]))


def test_appointment_without_a_ticket_changes_alone(server, shop, provider):
    day = today_of(server, shop["id"])
    appt = book(server, provider, day)
    for status in ("confirmed", "in_progress", "completed"):
        resp = server.client("staff").patch(f"{API}/appointments/{appt['id']}", {"status": status})
        assert resp.status == 200 and resp.body["status"] == status
    assert api.get_queue(server, shop["id"])["queue_items"] == []


@pytest.mark.parametrize(
    "first, then",
    [("completed", None), ("cancelled", "confirmed"), ("no_show", "in_progress")],
)
def test_invalid_appointment_moves_are_409(server, shop, provider, first, then):
    appt = book(server, provider, today_of(server, shop["id"]))
    staff = server.client("staff")
    url = f"{API}/appointments/{appt['id']}"
    if then is None:  # scheduled -> completed straight away is not a move
        details = api.expect_error(staff.patch(url, {"status": first}), 409, "invalid_transition")
        assert details["from"] == "scheduled" and details["to"] == first
        assert first not in details["allowed"] and "confirmed" in details["allowed"]
        return
    assert staff.patch(url, {"status": first}).status == 200
    details = api.expect_error(staff.patch(url, {"status": then}), 409, "invalid_transition")
    assert details == {"from": first, "to": then, "allowed": []}
