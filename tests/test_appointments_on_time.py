"""Appointments keep their time (SPEC §10), through the real server under a fake clock.

The server runs under libfaketime from 09:55 UTC. Its one barber is busy until 10:25
(a 30-minute cut begun at 09:55) and three walk-ins wait: they are expected to start at
10:25, 10:55 and 11:25. Each check-in below is made in a shop of its own set up that
way, and the answer says which rule placed it (`placement`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.kiosk_harness import Server
from tests.test_api import API, assert_queue_invariants, get_queue, waiting_ids
from tests.test_edges_day import fake_clock_server, needs_faketime

DAY = "2026-12-01"
START = f"{DAY} 09:55:00"

pytestmark = needs_faketime


@pytest.fixture(scope="module")
def clock_server(tmp_path_factory):
    srv = fake_clock_server(tmp_path_factory.mktemp("on-time"), START)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.kill()


def busy_morning(srv: Server) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """A shop with a barber in the middle of a cut and three walk-ins waiting."""
    admin, staff, kiosk = srv.client("admin"), srv.client("staff"), srv.client("kiosk")
    shop = admin.post(f"{API}/shops", {"name": "Clock shop", "timezone": "UTC"}).body
    assert admin.patch(f"{API}/shops/{shop['id']}", {"default_service_minutes": 30}).status == 200
    barber = admin.post(f"{API}/shops/{shop['id']}/providers", {"name": "Bo Barber"}).body
    in_chair = kiosk.post(f"{API}/shops/{shop['id']}/queue", {"full_name": "Cy Chair"}).body
    started = staff.patch(f"{API}/queue/{in_chair['id']}", {"status": "IN_SERVICE"})
    assert started.status == 200, started.raw
    walk_ins = [
        kiosk.post(f"{API}/shops/{shop['id']}/queue", {"full_name": f"Walk In{n}"}).body["id"]
        for n in range(3)
    ]
    waits = [e["estimated_wait_minutes"] for e in get_queue(srv, shop["id"])["queue_items"][1:]]
    assert waits == [30, 60, 90], waits
    return shop, barber, walk_ins


def check_in(srv: Server, barber: dict[str, Any], starts_at: str | None) -> dict[str, Any]:
    body = {"provider_id": barber["id"], "date": DAY, "patient": {"name": "Ada Appointment"}}
    if starts_at is not None:
        body["starts_at"] = starts_at
    booked = srv.client("staff").post(f"{API}/appointments", body)
    assert booked.status == 201, booked.raw
    answer = srv.client("kiosk").post(f"{API}/checkins", {"appointment_id": booked.body["id"]})
    assert answer.status == 201, answer.raw
    return answer.body


@pytest.mark.parametrize(
    ("starts_at", "placement", "position"),
    [
        # On time (09:55 is within 10 minutes of 10:00): ahead of the walk-in who would
        # start at 10:25, so first for the barber.
        (f"{DAY}T10:00:00+00:00", "on_time", 1),
        # Early for 11:00: behind those done by then, before the one starting at 11:25.
        (f"{DAY}T11:00:00+00:00", "early", 3),
        # Late for 09:30 (more than 10 minutes ago): at the back, like a walk-in.
        (f"{DAY}T09:30:00+00:00", "late", 4),
        # The same time written in another offset is the same instant.
        (f"{DAY}T11:00:00+01:00", "on_time", 1),
        (None, "no_time", 4),
    ],
)
def test_check_in_is_placed_by_the_appointment_time(clock_server, starts_at, placement, position):
    shop, barber, walk_ins = busy_morning(clock_server)
    answer = check_in(clock_server, barber, starts_at)
    assert answer["placement"] == placement
    assert answer["position_in_queue"] == position
    assert answer["ticket"].startswith("B")
    queue = get_queue(clock_server, shop["id"])
    expected = list(walk_ins)
    expected.insert(position - 1, answer["id"])
    assert waiting_ids(queue) == expected
    assert_queue_invariants(queue)


def test_the_owner_grace_decides_what_is_late(clock_server):
    admin = clock_server.client("admin")
    assert admin.patch(f"{API}/settings", {"appointment_grace_minutes": 30}).status == 200
    try:
        _, barber, _ = busy_morning(clock_server)
        answer = check_in(clock_server, barber, f"{DAY}T09:30:00+00:00")
        assert (answer["placement"], answer["position_in_queue"]) == ("on_time", 1)
    finally:
        admin.patch(f"{API}/settings", {"appointment_grace_minutes": 10})
