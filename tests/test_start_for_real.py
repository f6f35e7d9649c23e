""" "Start for real" (SPEC §9, issue 13): the owner removes what `--demo` made (providers,
customers, appointments, tickets) in one event, keeping settings, PINs, devices and every
row made later; after that `--demo` never fills the database again."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.config import DB_FILENAME
from tests.kiosk_harness import Server

pytestmark = pytest.mark.timeout(180)

API = "/api/v1"
DEMO_PROVIDERS = {"Maria Lopez", "Sam Okafor", "Dr. Anna Berg"}


def names_in(queue: dict) -> set[str]:
    return {e["full_name"] for e in queue["queue_items"]} | {
        a["customer"]["name"] for a in queue["appointments_today"]["appointments"]
    }


def newest_events(srv: Server, limit: int) -> list[dict]:
    audit = srv.client("admin").get(f"{API}/audit?limit={limit}")
    assert audit.status == 200, audit.body
    return audit.body["events"] if isinstance(audit.body, dict) else audit.body


def test_start_for_real_removes_only_what_demo_made(tmp_path):
    srv = Server(tmp_path / "data", extra_args=("--demo",)).start()
    try:
        admin, staff, kiosk = srv.client("admin"), srv.client("staff"), srv.client("kiosk")
        demo_queue = staff.get(f"{API}/shops/1/queue").body
        demo_names = names_in(demo_queue)
        assert len(demo_names) >= 8, demo_names
        sam = next(
            p for p in admin.get(f"{API}/shops/1/providers").body if p["name"] == "Sam Okafor"
        )
        seen = admin.get(f"{API}/demo")
        assert seen.status == 200 and seen.body["present"] is True, seen.body
        assert seen.body["providers"] == 3 and seen.body["entries"] >= 4, seen.body

        # The shop's real life starts before the owner presses the button.
        real = admin.post(f"{API}/shops/1/providers", {"name": "Real Chair"}).body
        rita = kiosk.post(
            f"{API}/shops/1/queue", {"full_name": "Rita Real", "provider_id": real["id"]}
        )
        assert rita.status == 201, rita.body
        # A real customer who asked for a demo provider keeps her ticket ("anyone" then).
        otto = kiosk.post(
            f"{API}/shops/1/queue", {"full_name": "Otto Other", "provider_id": sam["id"]}
        )
        assert otto.status == 201, otto.body
        day = demo_queue["appointments_today"]["date"]
        booked = staff.post(
            f"{API}/appointments",
            {"provider_id": real["id"], "date": day, "patient": {"name": "Bea Booked"}},
        )
        assert booked.status == 201, booked.body
        assert admin.patch(f"{API}/settings", {"display_voice": False}).status == 200

        removed = admin.delete(f"{API}/demo")
        assert removed.status == 200, removed.body
        seq = int(removed.headers["x-seq"])
        assert removed.body["seq"] == seq
        assert removed.body["removed"]["providers"] == 3, removed.body
        # One event, and it is the newest: a single use case.
        (event,) = [e for e in newest_events(srv, 5) if e["seq"] >= seq]
        assert event["type"] == "demo_removed", event

        queue = staff.get(f"{API}/shops/1/queue").body
        assert names_in(queue) == {"Rita Real", "Otto Other", "Bea Booked"}, names_in(queue)
        line = sorted(
            (e for e in queue["queue_items"] if e["status"] == "CHECKED_IN"),
            key=lambda e: e["position_in_queue"],
        )
        assert [e["position_in_queue"] for e in line] == [1, 2], line  # no gaps
        otto_now = next(e for e in line if e["full_name"] == "Otto Other")
        assert otto_now["provider_id"] is None
        active = admin.get(f"{API}/shops/1/providers").body
        assert [p["name"] for p in active] == ["Real Chair"]
        everyone = admin.get(f"{API}/shops/1/providers?include_inactive=1").body
        assert {p["name"] for p in everyone} <= {"Real Chair"} | DEMO_PROVIDERS
        assert all(not p["active"] for p in everyone if p["name"] in DEMO_PROVIDERS)
        # Settings, devices (these tokens) and the owner's PIN are kept.
        assert admin.get(f"{API}/settings").body["display_voice"] is False
        monitor = staff.get(f"{API}/monitor?date={day}&shop_id=1").body["data"]
        assert monitor["total_appointments"] == 1, monitor

        again = admin.delete(f"{API}/demo")
        assert again.status == 409 and again.error_code == "conflict", again.body
        assert admin.get(f"{API}/demo").body["present"] is False
        assert staff.delete(f"{API}/demo").status == 403
        assert srv.stop() == 0

        srv.start()  # --demo again: never refills after "start for real"
        queue = srv.client("staff").get(f"{API}/shops/1/queue").body
        assert names_in(queue) == {"Rita Real", "Otto Other", "Bea Booked"}
        assert srv.stop() == 0
    finally:
        srv.kill()


def test_after_start_for_real_an_empty_shop_stays_empty_under_demo(tmp_path):
    srv = Server(tmp_path / "data", extra_args=("--demo",)).start()
    try:
        assert srv.client("admin").delete(f"{API}/demo").status == 200
        assert srv.client().get(f"{API}/shops/1/providers").body == []
        assert srv.stop() == 0
        srv.start()
        assert srv.client().get(f"{API}/shops/1/providers").body == []
        queue = srv.client("staff").get(f"{API}/shops/1/queue").body
        assert queue["queue_items"] == [] and queue["appointments_today"]["appointments"] == []
        assert srv.stop() == 0
    finally:
        srv.kill()


def test_without_demo_data_there_is_nothing_to_remove(server):
    seen = server.client("admin").get(f"{API}/demo")
    assert seen.status == 200 and seen.body["present"] is False, seen.body
    resp = server.client("admin").delete(f"{API}/demo")
    assert resp.status == 409 and resp.error_code == "conflict", resp.body
    assert "demo" in resp.body["error"]["message"]
    assert server.client().delete(f"{API}/demo").status == 401


def test_a_demo_of_an_older_release_is_found_in_the_event_log(tmp_path):
    """Release 1's --demo kept no record of its rows: their events name the demo."""
    srv = Server(tmp_path / "data", extra_args=("--demo",)).start()
    try:
        assert srv.stop() == 0
        with sqlite3.connect(tmp_path / "data" / DB_FILENAME) as db:
            db.execute("DELETE FROM setting WHERE key = 'demo'")
        db.close()
        srv.start()
        kept = srv.client("kiosk").post(f"{API}/shops/1/queue", {"full_name": "Rita Real"})
        assert kept.status == 201, kept.body
        assert srv.client("admin").get(f"{API}/demo").body["providers"] == 3
        assert srv.client("admin").delete(f"{API}/demo").status == 200
        queue = srv.client("staff").get(f"{API}/shops/1/queue").body
        assert names_in(queue) == {"Rita Real"}
        assert srv.client().get(f"{API}/shops/1/providers").body == []
        assert srv.stop() == 0
    finally:
        srv.kill()
