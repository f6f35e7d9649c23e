"""Opening hours (SPEC §11): several intervals a day, closures, the last-join cutoff,
409 `closed` for self-service joins outside them, walk-ins by staff at any time, and
screens that learn of the opening by themselves.

The arithmetic is tested pure (including both daylight-saving changes in Berlin);
the rules at work run on a real server whose clock libfaketime starts at a known
moment, and the opening is waited for, with a timeout, on a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain import hours as rules
from kiosk.domain.errors import InvalidField
from tests.kiosk_harness import Client, Server
from tests.ws_client import WS

API = "/api/v1"
BERLIN = "Europe/Berlin"
LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="no libfaketime")
SPLIT_DAY = [["09:00", "13:00"], ["14:00", "19:00"]]
WEEK = {day: SPLIT_DAY for day in rules.WEEKDAYS[:6]} | {"sun": []}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def berlin(weekly: dict[str, Any] | None, closures=(), last_join: int = 15) -> rules.Hours:
    return rules.hours_of(BERLIN, rules.weekly_hours(weekly), closures, last_join)


# ---------------------------------------------------------------- pure rules


def test_a_shop_without_hours_is_always_open():
    hours = berlin(None)
    moment = utc("2026-12-25T03:00:00+00:00")
    assert hours.is_open(moment) and hours.joins_open(moment)
    assert hours.next_opening(moment) is None
    assert hours.state(moment) == {
        "hours_set": False,
        "open": True,
        "accepting_joins": True,
        "closes_at": None,
        "last_join_at": None,
        "opens_at": None,
        "closure": None,
    }


@pytest.mark.parametrize(
    ("moment", "open_", "joins", "opens_at"),
    [
        # Wednesday 2026-12-02, CET (+01:00).
        ("2026-12-02T08:59:00+01:00", False, False, "2026-12-02T09:00:00+01:00"),
        ("2026-12-02T09:00:00+01:00", True, True, None),
        ("2026-12-02T12:44:59+01:00", True, True, None),
        # The last 15 minutes before lunch: open, but no new self-service tickets.
        ("2026-12-02T12:45:00+01:00", True, False, "2026-12-02T14:00:00+01:00"),
        ("2026-12-02T13:30:00+01:00", False, False, "2026-12-02T14:00:00+01:00"),
        ("2026-12-02T19:00:00+01:00", False, False, "2026-12-03T09:00:00+01:00"),
        # Saturday evening: Sunday is closed, so Monday.
        ("2026-12-05T20:00:00+01:00", False, False, "2026-12-07T09:00:00+01:00"),
    ],
)
def test_open_joins_and_the_next_opening(moment, open_, joins, opens_at):
    hours = berlin(WEEK)
    at = utc(moment)
    assert hours.is_open(at) is open_
    assert hours.joins_open(at) is joins
    found = hours.next_opening(at)
    if not joins:
        assert hours.iso(found) == opens_at


def test_a_closure_moves_the_next_opening_past_it():
    hours = berlin(WEEK, [{"date": "2026-12-24"}, {"date": "2026-12-25"}, {"date": "2026-12-26"}])
    evening = utc("2026-12-23T20:00:00+01:00")
    assert hours.iso(hours.next_opening(evening)) == "2026-12-28T09:00:00+01:00"
    assert not hours.is_open(utc("2026-12-24T10:00:00+01:00"))


def test_hours_follow_both_clock_changes_in_berlin():
    week = {day: [["01:30", "04:00"]] for day in rules.WEEKDAYS}
    hours = berlin(week)
    # Spring (Sunday 29 March): 02:00 CET jumps to 03:00 CEST. 01:30 is still CET.
    spring = hours.intervals_on(date(2026, 3, 29))
    assert [(hours.iso(a), hours.iso(b)) for a, b in spring] == [
        ("2026-03-29T01:30:00+01:00", "2026-03-29T04:00:00+02:00")
    ]
    assert (spring[0][1] - spring[0][0]).total_seconds() == 1.5 * 3600
    # Autumn (Sunday 25 October): 03:00 CEST goes back to 02:00 CET; the stretch lasts
    # an hour longer than the wall clock says.
    autumn = hours.intervals_on(date(2026, 10, 25))
    assert (autumn[0][1] - autumn[0][0]).total_seconds() == 3.5 * 3600
    # An opening at a time the spring change skips starts just past the gap.
    skipped = berlin({"sun": [["02:30", "06:00"]]})
    first = skipped.first_opening(date(2026, 3, 29))
    assert first.astimezone(UTC) == utc("2026-03-29T01:30:00+00:00")
    assert first.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") == "03:30"


@pytest.mark.parametrize(
    ("weekly", "field"),
    [
        ({"monday": []}, "opening_hours.monday"),
        ({"mon": [["9:00", "13:00"]]}, "opening_hours.mon.start"),
        ({"mon": [["09:00", "24:30"]]}, "opening_hours.mon.end"),
        ({"mon": [["13:00", "09:00"]]}, "opening_hours.mon"),
        ({"mon": [["09:00", "13:00"], ["12:00", "14:00"]]}, "opening_hours.mon"),
        ({"mon": "09:00-13:00"}, "opening_hours.mon"),
        (["09:00"], "opening_hours"),
    ],
)
def test_bad_hours_name_the_field(weekly, field):
    with pytest.raises(InvalidField) as raised:
        rules.weekly_hours(weekly)
    assert raised.value.details["field"] == field


def test_touching_intervals_are_one_stretch_with_one_closing():
    assert rules.weekly_hours({"mon": [["13:00", "19:00"], ["09:00", "13:00"]]})["mon"] == [
        ["09:00", "19:00"]
    ]


def _blocks(*rows: tuple[str, str, str]) -> list[rules.Block]:
    zone = ZoneInfo(BERLIN)
    day = date(2026, 12, 2)
    return rules.blocks_of(zone, day, [{"kind": k, "start": a, "end": b} for k, a, b in rows])


@pytest.mark.parametrize(
    ("moment", "blocks", "away", "waiting", "state", "until"),
    [
        # No schedule that day: the opening hours decide.
        ("10:00", (), False, False, "on", None),
        ("13:30", (), False, False, "off", "14:00"),
        ("20:00", (), False, False, "off", None),
        # Closing time alone never sends anyone home while tickets wait ...
        ("20:00", (), False, True, "on", None),
        ("19:30", (("shift", "09:00", "19:00"),), False, True, "on", None),
        # ... but the day must have begun, a break is a break, time off is time off.
        ("08:00", (), False, True, "off", "09:00"),
        (
            "12:00",
            (("shift", "09:00", "19:00"), ("break", "11:30", "12:15")),
            False,
            True,
            "break",
            "12:15",
        ),
        ("10:00", (("shift", "09:00", "19:00"),), True, True, "off", None),
        # A shift decides over the hours: on at 13:30 in the shop's lunch, off at 10:00.
        ("13:30", (("shift", "13:00", "17:00"),), False, False, "on", None),
        ("10:00", (("shift", "13:00", "17:00"),), False, False, "off", "13:00"),
        # A break with no shift that day: the hours decide the rest of the day.
        ("10:00", (("break", "12:00", "12:30"),), False, False, "on", None),
    ],
)
def test_duty_now(moment, blocks, away, waiting, state, until):
    hours = berlin(WEEK)
    at = utc(f"2026-12-02T{moment}:00+01:00")
    found = rules.duty(hours, _blocks(*blocks), away, at, waiting)
    assert found.state == state
    shown = found.until.astimezone(ZoneInfo(BERLIN)).strftime("%H:%M") if found.until else None
    assert shown == until


# ---------------------------------------------------------------- on a real server


def fake_clock_server(data_dir: Path, start_utc: str) -> Server:
    """A server whose clock starts at `start_utc`. No periodic refresh in the way: what
    moves a screen at an opening must be the opening itself."""
    env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{start_utc}", "TZ": "UTC"}
    return Server(data_dir, extra_args=("--refresh", "3600"), env=env)


def running_fake_clock(data_dir: Path, start_utc: str) -> Iterator[Server]:
    """A fixture's body: a fake-clock server, started, stopped (exit 0 or killed) after."""
    srv = fake_clock_server(data_dir, start_utc).start()
    try:
        yield srv
        srv.stop()
    finally:
        srv.kill()


def berlin_shop(admin: Client, name: str, **fields: Any) -> int:
    shop = admin.post(f"{API}/shops", {"name": name, "timezone": BERLIN})
    assert shop.status == 201, shop.raw
    if fields:
        patched = admin.patch(f"{API}/shops/{shop.body['id']}", fields)
        assert patched.status == 200, patched.raw
    return shop.body["id"]


@needs_faketime
def test_outside_hours_self_service_is_refused_and_staff_still_add_walk_ins(tmp_path):
    # Wednesday 2026-12-02 07:30 UTC = 08:30 in Berlin, half an hour before opening.
    srv = fake_clock_server(tmp_path / "data", "2026-12-02 07:30:00").start()
    try:
        admin, staff = srv.client("admin"), srv.client("staff")
        kiosk, phone = srv.client("kiosk"), Client(srv.port)
        always = berlin_shop(admin, "Always Open")
        sid = berlin_shop(admin, "Split Day", opening_hours=WEEK, closures=[])
        shop = admin.get(f"{API}/shops/{sid}").body
        assert shop["opening_hours"]["wed"] == SPLIT_DAY and shop["opening_hours"]["sun"] == []
        assert (shop["closures"], shop["last_join_minutes"]) == ([], 15)

        for client in (kiosk, phone):
            refused = client.post(f"{API}/shops/{sid}/queue", {"full_name": "Early Ed"})
            assert refused.status == 409, refused.raw
            assert refused.body["error"]["code"] == "closed"
            assert refused.body["error"]["details"] == {"opens_at": "2026-12-02T09:00:00+01:00"}
        walk_in = staff.post(f"{API}/shops/{sid}/queue", {"full_name": "Walk In"})
        assert walk_in.status == 201, walk_in.raw
        assert kiosk.post(f"{API}/shops/{always}/queue", {"full_name": "Any Time"}).status == 201

        view = Client(srv.port).get(f"{API}/shops/{sid}/queue").body
        assert view["hours"]["open"] is False and view["hours"]["accepting_joins"] is False
        assert view["hours"]["opens_at"] == "2026-12-02T09:00:00+01:00"

        # Closed today for a holiday: the next opening is tomorrow's.
        admin.patch(
            f"{API}/shops/{sid}", {"closures": [{"date": "2026-12-02", "reason": "Inventory"}]}
        )
        refused = kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": "Early Ed"})
        assert refused.body["error"]["details"] == {"opens_at": "2026-12-03T09:00:00+01:00"}
        view = Client(srv.port).get(f"{API}/shops/{sid}/queue").body
        assert view["hours"]["closure"] == "Inventory"
        # No hours again: always open, as before.
        assert admin.patch(f"{API}/shops/{sid}", {"opening_hours": None}).status == 200
        assert kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": "Early Ed"}).status == 201

        # The owner writes hours; bad ones are 422 with the field; staff may not.
        bad = admin.patch(f"{API}/shops/{sid}", {"opening_hours": {"wed": [["10:00", "09:00"]]}})
        assert bad.status == 422 and bad.body["error"]["details"]["field"] == "opening_hours.wed"
        bad = admin.patch(f"{API}/shops/{sid}", {"closures": [{"date": "25.12.2026"}]})
        assert bad.status == 422 and bad.body["error"]["details"]["field"] == "closures.date"
        bad = admin.patch(f"{API}/shops/{sid}", {"last_join_minutes": -1})
        assert bad.status == 422 and bad.body["error"]["details"]["field"] == "last_join_minutes"
        assert staff.patch(f"{API}/shops/{sid}", {"opening_hours": WEEK}).status == 403
        assert srv.stop() == 0
    finally:
        srv.kill()


@needs_faketime
def test_the_last_minutes_before_closing_take_no_self_service_joins(tmp_path):
    # 12:50 in Berlin: 10 minutes before the lunch closing, inside the 15-minute cutoff.
    srv = fake_clock_server(tmp_path / "data", "2026-12-02 11:50:00").start()
    try:
        admin, kiosk = srv.client("admin"), srv.client("kiosk")
        sid = berlin_shop(admin, "Lunch Break", opening_hours=WEEK)
        refused = kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": "Late Lou"})
        assert refused.status == 409 and refused.body["error"]["code"] == "closed", refused.raw
        assert refused.body["error"]["details"] == {"opens_at": "2026-12-02T14:00:00+01:00"}
        assert admin.patch(f"{API}/shops/{sid}", {"last_join_minutes": 5}).status == 200
        assert kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": "Late Lou"}).status == 201
        assert srv.stop() == 0
    finally:
        srv.kill()


async def _opening_seen(srv: Server, sid: int) -> list[dict[str, Any]]:
    async with await WS.connect(srv, f"/ws/queue/{sid}") as tv:
        first = await tv.expect("queue_update")
        assert first["hours"]["open"] is False, "set-up ran past the opening"
        opened = await tv.until(lambda m: m["hours"]["open"] is True, timeout=45)
        return [first, *opened]


@needs_faketime
def test_screens_learn_of_the_opening_by_themselves(tmp_path):
    """No write happens at the opening, yet the TV hears the shop open, at once: the
    appliance wakes at the opening itself (09:07, off any quarter hour or minute of
    its own looks), not at its next routine look."""
    srv = fake_clock_server(tmp_path / "data", "2026-12-02 08:06:35").start()
    try:
        late_start = {day: [["09:07", "13:00"]] for day in rules.WEEKDAYS}
        sid = berlin_shop(srv.client("admin"), "Opens Soon", opening_hours=late_start)
        seen = asyncio.run(_opening_seen(srv, sid))
        assert seen[-1]["seq"] == seen[0]["seq"], "nothing was written: the clock opened it"
        assert seen[-1]["hours"]["accepting_joins"] is True
        assert seen[-1]["hours"]["closes_at"] == "2026-12-02T13:00:00+01:00"
        assert "2026-12-02T09:07:00+01:00" <= seen[-1]["timestamp"] < "2026-12-02T09:07:10+01:00"
        joined = srv.client("kiosk").post(f"{API}/shops/{sid}/queue", {"full_name": "On Time"})
        assert joined.status == 201, joined.raw
        assert srv.stop() == 0
    finally:
        srv.kill()
