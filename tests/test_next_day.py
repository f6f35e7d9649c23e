"""The next day (SPEC §11): at the first opening of a shop's new local day, tickets an
earlier day left open are closed in one event by the system actor, unless the owner
keeps them (`carry_over`); a shop without hours never closes tickets by itself.

Each test is a real server under libfaketime, stopped and started again with the
clock a little before the moment in question, so the eve's tickets are made on the
eve and the opening is waited for (with a timeout) on a real socket: across midnight
on the night the clocks go back, and at an opening that falls on the spring change.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import DB_FILENAME
from kiosk.services import waits
from kiosk.store.models import database
from tests.kiosk_harness import Client, Server
from tests.ws_client import WS

API = "/api/v1"
BERLIN = "Europe/Berlin"
LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="no libfaketime")
TURN_TIMEOUT_S = 60.0


def at_clock(srv: Server, start_utc: str) -> Server:
    """The same appliance (data, port-free) started again with its clock at `start_utc`.
    No periodic refresh: what moves the screens must be the day and the opening."""
    srv.env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{start_utc}", "TZ": "UTC"}
    srv.extra_args = ("--refresh", "3600")
    srv.port = 0
    return srv.start()


def every_day(*intervals: list[str]) -> dict[str, list[list[str]]]:
    return {day: list(intervals) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def berlin_shop(admin: Client, name: str, hours: dict | None) -> int:
    sid = admin.post(f"{API}/shops", {"name": name, "timezone": BERLIN}).body["id"]
    if hours is not None:
        assert admin.patch(f"{API}/shops/{sid}", {"opening_hours": hours}).status == 200
    return sid


def walk_in(staff: Client, sid: int, name: str) -> dict[str, Any]:
    made = staff.post(f"{API}/shops/{sid}/queue", {"full_name": name})
    assert made.status == 201, made.raw
    return made.body


def status_of(staff: Client, sid: int, entry_id: int) -> str | None:
    items = staff.get(f"{API}/shops/{sid}/queue").body["queue_items"]
    return next((e["status"] for e in items if e["id"] == entry_id), None)


async def _until(srv: Server, sid: int, predicate, first_check) -> list[dict[str, Any]]:
    async with await WS.connect(srv, f"/ws/queue/{sid}", srv.token("staff")) as tv:
        first = await tv.expect("queue_update")
        first_check(first)
        return [first, *await tv.until(predicate, TURN_TIMEOUT_S)]


def tickets(view: dict[str, Any]) -> list[str]:
    return [e["ticket"] for e in view["queue_items"]]


def recent_service_minutes(data_dir: Path, sid: int) -> list[float]:
    """What the wait estimate reads as the shop's recent services, from the file."""
    database.init(str(data_dir / DB_FILENAME))
    try:
        return waits._recent("shop_id = ?", (sid,))
    finally:
        database.close()


def test_the_first_opening_after_midnight_closes_the_eves_tickets_in_one_event(tmp_path):
    """Saturday 24 October, 23:59:30 in Berlin; the clocks go back in the night. The shop
    opens at 00:30 every day. Midnight alone closes nothing; its first opening does."""
    srv = Server(tmp_path / "data")
    try:
        at_clock(srv, "2026-10-24 21:59:30")  # 23:59:30 CEST
        admin, staff = srv.client("admin"), srv.client("staff")
        sid = berlin_shop(admin, "Nachteule", every_day(["00:30", "18:00"]))
        keeps = berlin_shop(admin, "No Hours", None)
        provider = admin.post(f"{API}/shops/{sid}/providers", {"name": "Uta"}).body["id"]
        booked = staff.post(
            f"{API}/appointments",
            {"provider_id": provider, "date": "2026-10-24", "patient": {"name": "Eva Abend"}},
        ).body
        checked_in = staff.post(f"{API}/checkins", {"appointment_id": booked["id"]})
        assert checked_in.status == 201, checked_in.raw
        waiting, called, served = (walk_in(staff, sid, f"Gast {n}") for n in (1, 2, 3))
        assert staff.patch(f"{API}/queue/{called['id']}", {"status": "CALLED"}).status == 200
        assert staff.patch(f"{API}/queue/{served['id']}", {"status": "IN_SERVICE"}).status == 200
        unhoused = walk_in(staff, keeps, "Ohne Zeiten")

        def still_the_eve(view: dict[str, Any]) -> None:
            assert view["appointments_today"]["date"] == "2026-10-24", "set-up ran past midnight"

        turned = asyncio.run(
            _until(
                srv,
                sid,
                lambda m: m["appointments_today"]["date"] == "2026-10-25",
                still_the_eve,
            )
        )
        # A new day, before the opening: every ticket of the eve is still open.
        assert sorted(tickets(turned[-1])) == ["A001", "A002", "A003", "B001"]
        assert turned[-1]["hours"]["open"] is False
        assert srv.stop() == 0

        at_clock(srv, "2026-10-24 22:29:50")  # Sunday 00:29:50 CEST, ten seconds to opening

        def before_opening(view: dict[str, Any]) -> None:
            assert len(view["queue_items"]) == 4, "closed before the opening"

        seen = asyncio.run(_until(srv, sid, lambda m: not m["queue_items"], before_opening))
        closed_view = seen[-1]
        assert closed_view["timestamp"] >= "2026-10-25T00:30:00+02:00"
        assert closed_view["seq"] > seen[0]["seq"]

        holder = srv.client("staff")
        for entry, status in (
            (waiting, "CANCELLED"),
            (called, "CANCELLED"),
            (served, "COMPLETED"),
            (checked_in.body, "CANCELLED"),
        ):
            ticket = holder.get(f"{API}/tickets/{entry['claim']}").body
            assert (ticket["status"], ticket["close_reason"]) == (status, "day_closed"), ticket
        appointment = holder.get(f"{API}/appointments?date=2026-10-24&shop_id={sid}").body[0]
        assert appointment["status"] == "cancelled"
        closings = [
            e
            for e in srv.client("admin").get(f"{API}/audit").body
            if e["type"] == "queue_day_closed"
        ]
        assert len(closings) == 1, closings
        assert closings[0]["actor"]["role"] == "system" and closings[0]["shop_id"] == sid
        # A shop without hours keeps its tickets, as in release 1.
        assert status_of(holder, keeps, unhoused["id"]) == "CHECKED_IN"
        # The new day's first code is A001 again: nothing open holds it now.
        assert walk_in(holder, sid, "Frueh Vogel")["ticket"] == "A001"
        assert srv.stop() == 0
    finally:
        srv.kill()
    # The ticket that was in service lasted about half an hour, a sensible length, yet it
    # was never really timed: the estimate's history leaves it out.
    assert recent_service_minutes(tmp_path / "data", sid) == []


def test_an_opening_on_the_spring_change_closes_at_its_real_instant(tmp_path):
    """Sunday 29 March: 02:00 CET jumps to 03:00 CEST at 01:00 UTC, and the shop opens at
    03:00. Counted on the wall clock from midnight CET it would open at 02:00 UTC."""
    srv = Server(tmp_path / "data")
    try:
        at_clock(srv, "2026-03-28 22:59:50")  # Saturday 23:59:50 CET
        admin, staff = srv.client("admin"), srv.client("staff")
        sid = berlin_shop(admin, "Fruehling", every_day(["03:00", "18:00"]))
        eve = walk_in(staff, sid, "Spaet Kunde")
        assert eve["checked_in_at"].startswith("2026-03-28T23:59"), "set-up ran past midnight"
        assert srv.stop() == 0

        at_clock(srv, "2026-03-29 00:59:45")  # 01:59:45 CET, 15 s before the jump

        def not_yet(view: dict[str, Any]) -> None:
            assert tickets(view) == ["A001"] and view["hours"]["open"] is False
            assert view["hours"]["opens_at"] == "2026-03-29T03:00:00+02:00"

        seen = asyncio.run(_until(srv, sid, lambda m: not m["queue_items"], not_yet))
        assert "2026-03-29T03:00:00+02:00" <= seen[-1]["timestamp"] < "2026-03-29T03:00:30+02:00"
        assert seen[-1]["hours"]["open"] is True
        assert srv.stop() == 0
    finally:
        srv.kill()


def test_carry_over_keeps_the_eves_tickets_and_their_codes(tmp_path):
    srv = Server(tmp_path / "data")
    try:
        at_clock(srv, "2026-12-01 22:58:00")  # Tuesday 23:58 CET
        admin, staff = srv.client("admin"), srv.client("staff")
        assert admin.patch(f"{API}/settings", {"carry_over": True}).status == 200
        assert admin.get(f"{API}/settings").body["carry_over"] is True
        sid = berlin_shop(admin, "Geduld", every_day(["09:00", "18:00"]))
        kept = [walk_in(staff, sid, f"Treu {n}")["ticket"] for n in (1, 2)]
        assert kept == ["A001", "A002"]
        assert srv.stop() == 0

        at_clock(srv, "2026-12-02 07:59:50")  # Wednesday 08:59:50 CET

        def closed_still(view: dict[str, Any]) -> None:
            assert view["hours"]["open"] is False, "set-up ran past the opening"

        seen = asyncio.run(_until(srv, sid, lambda m: m["hours"]["open"], closed_still))
        assert tickets(seen[-1]) == ["A001", "A002"]
        assert seen[-1]["seq"] == seen[0]["seq"], "nothing was written at the opening"
        # The new day's counter starts again but skips the codes still held.
        joined = srv.client("kiosk").post(f"{API}/shops/{sid}/queue", {"full_name": "Neu"})
        assert joined.status == 201 and joined.body["ticket"] == "A003", joined.raw
        assert srv.stop() == 0
    finally:
        srv.kill()
