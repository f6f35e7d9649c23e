"""The next day (SPEC §11; issue "Correctness at the edges", bug 3): every screen moves to
a shop's new local day by itself, tickets carried over keep the front of the line on
today's monitor, their codes are not issued twice, call order survives the autumn
clock change, and appointment times carry their offset.

The day turn is tested for real: the server runs under libfaketime a few seconds
before a Berlin midnight (or before the clocks go back) and the test waits, with a
timeout, for the message that shows the new day. The rules underneath (the next local
midnight, code skipping, ordering by instant) are fast pure tests.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain import clock
from kiosk.services.line import first_free_number
from kiosk.services.rows import serving_order
from tests.browser import Pages
from tests.kiosk_harness import Server, wait_until
from tests.ws_client import WS

pytest_plugins = ("tests.browser",)

API = "/api/v1"
BERLIN = "Europe/Berlin"
EVE, NEXT_DAY = "2026-10-24", "2026-10-25"
# 23:59:25 in Berlin (CEST, UTC+2) on the eve of the autumn change: time to set up.
BEFORE_MIDNIGHT_UTC = "2026-10-24 21:59:25"
# 02:59:40 CEST: the clocks go back to 02:00 CET at 01:00 UTC, 20 s later.
BEFORE_FALL_BACK_UTC = "2026-10-25 00:59:40"
TURN_TIMEOUT_S = 60.0

LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
needs_faketime = pytest.mark.skipif(LIBFAKETIME is None, reason="no libfaketime")


def test_libfaketime_is_installed():
    """The tests that need it skip without it; this one says so loudly, so a machine
    without Debian's faketime (the README's test command installs it) never passes
    by quietly leaving out every day-turn test."""
    assert LIBFAKETIME is not None, "apt-get install faketime (see the README's test command)"


def fake_clock_server(data_dir: Path, start: str, *args: str, tz: str = "UTC") -> Server:
    """A server whose clock starts at `start` (read in `tz`) and runs at real speed.
    libfaketime is preloaded into the server itself rather than run through the
    `faketime` command, which forks: stopping it would leave the server running."""
    env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{start}", "TZ": tz}
    return Server(data_dir, extra_args=args, env=env)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        # The last seconds of the eve: midnight CEST.
        (BERLIN, "2026-10-24T21:59:25+00:00", "2026-10-24T22:00:00+00:00"),
        # The autumn day lasts 25 hours: its end is midnight CET, not 24 h later.
        (BERLIN, "2026-10-24T22:00:00+00:00", "2026-10-25T23:00:00+00:00"),
        (BERLIN, "2026-10-25T00:30:00+00:00", "2026-10-25T23:00:00+00:00"),
        # The spring day lasts 23 hours.
        (BERLIN, "2026-03-28T23:00:00+00:00", "2026-03-29T22:00:00+00:00"),
        ("UTC", "2026-12-01T05:00:00+00:00", "2026-12-02T00:00:00+00:00"),
        ("Asia/Kolkata", "2026-12-01T18:29:59+00:00", "2026-12-01T18:30:00+00:00"),
    ],
)
def test_next_midnight_is_the_first_instant_of_the_next_local_day(zone, moment, expected):
    assert clock.next_midnight(zone, at(moment)) == at(expected)


@pytest.mark.parametrize("zone", [BERLIN, "America/Santiago", "America/Havana", "Asia/Beirut"])
def test_next_midnight_starts_the_next_date_in_zones_that_skip_or_repeat_midnight(zone):
    """Whatever the zone does at midnight (some skip 00:00 when their clocks change),
    the instant found starts the next local date, and the moment before it does not."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(400):
        midnight = clock.next_midnight(zone, moment)
        assert midnight > moment
        today = clock.day_in(zone, moment)
        assert clock.day_in(zone, midnight - timedelta(microseconds=1)) == today
        assert clock.day_in(zone, midnight) > today
        moment = midnight + timedelta(hours=7)


def test_every_local_midnight_falls_on_a_quarter_hour_of_utc():
    """So a chore that looks at least every quarter hour sees any new shop's midnight."""
    moment = at("2026-10-24T21:59:25+00:00")
    assert clock.next_quarter_hour(moment) == at("2026-10-24T22:00:00+00:00")
    assert clock.next_quarter_hour(at("2026-10-24T22:00:00+00:00")) == at(
        "2026-10-24T22:15:00+00:00"
    )
    for zone in (BERLIN, "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns"):
        midnight = clock.next_midnight(zone, moment)
        assert midnight.minute % 15 == 0 and midnight.second == 0, zone


def test_a_new_days_codes_skip_those_held_by_open_tickets():
    held = ["A001", "A002", "B001", "A005"]
    assert first_free_number(0, held, "A") == 3
    assert first_free_number(3, held, "A") == 4
    assert first_free_number(4, held, "A") == 6
    assert first_free_number(0, held, "B") == 2
    assert first_free_number(0, [], "A") == 1


def _busy(entry_id: int, ticket: str, status: str, called_at: str | None) -> dict[str, Any]:
    return {"id": entry_id, "ticket": ticket, "status": status, "called_at": called_at}


def test_now_serving_orders_by_the_instant_called_not_the_stamps_text():
    # 02:59:50 CEST is 00:59:50 UTC; 02:00:05 CET, an hour of clock later, 01:00:05 UTC.
    rows = [
        _busy(3, "A003", "CALLED", "2026-10-25T02:00:05+01:00"),
        _busy(2, "A002", "CALLED", "2026-10-25T02:59:50+02:00"),
        _busy(1, "A001", "IN_SERVICE", "2026-10-25T02:30:00+02:00"),
        _busy(4, "A004", "IN_SERVICE", None),
    ]
    assert [r["ticket"] for r in serving_order(rows)] == ["A004", "A001", "A002", "A003"]


def test_a_time_without_its_offset_is_not_a_datetime():
    assert clock.is_datetime("2026-10-25T09:00:00+01:00")
    assert clock.is_datetime("2026-10-25T08:00:00Z")
    assert not clock.is_datetime("2026-10-25T09:00:00")
    assert not clock.is_datetime("2026-10-25")


def test_local_stamp_carries_the_offset_in_force_that_day():
    assert clock.local_stamp(BERLIN, "2026-10-24", 9) == "2026-10-24T09:00:00+02:00"
    assert clock.local_stamp(BERLIN, "2026-10-25", 9) == "2026-10-25T09:00:00+01:00"


# ---------------------------------------------------------------- appointment times


@needs_faketime
def test_appointment_times_carry_their_offset(tmp_path):
    """On the day the clocks go back, Berlin's 09:00 is +01:00, not the eve's +02:00: the
    demo's appointments say so, and a time without an offset is refused."""
    srv = fake_clock_server(tmp_path / "demo", f"{NEXT_DAY} 08:00:00", "--demo", tz=BERLIN)
    srv.start()
    try:
        staff = srv.client("staff")
        listed = staff.get(f"{API}/appointments?shop_id=1").body
        assert [a["starts_at"] for a in sorted(listed, key=lambda a: a["starts_at"])] == [
            f"{NEXT_DAY}T{hour:02d}:00:00+01:00" for hour in range(9, 15)
        ]
        body = {"provider_id": listed[0]["provider_id"], "date": NEXT_DAY}
        body["patient"] = {"name": "Ann Bee"}
        bare = staff.post(f"{API}/appointments", {**body, "starts_at": f"{NEXT_DAY}T09:30:00"})
        assert bare.status == 422, bare.raw
        assert bare.body["error"]["details"]["field"] == "starts_at"
        assert "offset" in bare.body["error"]["message"]
        with_offset = f"{NEXT_DAY}T09:30:00+01:00"
        good = staff.post(f"{API}/appointments", {**body, "starts_at": with_offset})
        assert good.status == 201, good.raw
        assert good.body["starts_at"] == with_offset
        assert srv.stop() == 0
    finally:
        srv.kill()


# ---------------------------------------------------------------- a real midnight


def _in_thread(coro_fn, *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Sockets live in their own event loop, beside Playwright's synchronous page."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = asyncio.run(coro_fn(*args))
        except BaseException as exc:  # handed to the test thread, which re-raises it
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _tickets(blocks: list[dict[str, Any]]) -> list[str]:
    return [w["ticket"] for w in blocks]


async def _sockets_across_midnight(srv: Server, sid: int, ready: threading.Event) -> None:
    staff = srv.token("staff")
    async with (
        await WS.connect(srv, f"/ws/appointments/{sid}/", staff) as appointments,
        await WS.connect(srv, f"/ws/queue/{sid}", staff) as queue,
        await WS.connect(srv, f"{API}/ws/queue", staff) as central,
    ):
        first = await appointments.expect("appointment_update")
        assert first["date"] == EVE, "set-up ran past midnight"
        assert [a["customer"]["name"] for a in first["appointments"]] == ["Eve Late"]
        view = await queue.expect("queue_update")
        assert view["appointments_today"]["date"] == EVE
        await central.send({"action": "subscribe", "date": EVE, "shop_id": sid})
        snapshot = await central.wait_for("snapshot")
        assert snapshot["today"] == EVE
        assert _tickets(snapshot["data"]["unassigned"]) == ["A001", "A002", "A003"]
        seq = view["seq"]
        ready.set()

        # Midnight passes with no write at all: each screen hears of it by itself.
        moved = await appointments.wait_for("appointment_update", TURN_TIMEOUT_S, date=NEXT_DAY)
        assert [a["customer"]["name"] for a in moved["appointments"]] == ["Morgen Frueh"]
        turned = await queue.until(
            lambda m: m["appointments_today"]["date"] == NEXT_DAY, TURN_TIMEOUT_S
        )
        assert turned[-1]["seq"] == seq  # nothing was written: a quiet midnight
        assert turned[-1]["appointments_today"]["total"] == 1
        told = await central.until(
            lambda m: m.get("type") == "update" and m["today"] == NEXT_DAY, TURN_TIMEOUT_S
        )
        assert told[-1]["data"]["date"] == EVE  # its own date, but it learns the new today

        # A screen connecting now is not served the view cached before midnight.
        async with (
            await WS.connect(srv, f"/ws/appointments/{sid}", staff) as late_appointments,
            await WS.connect(srv, f"/ws/queue/{sid}", staff) as late_queue,
        ):
            assert (await late_appointments.expect("appointment_update"))["date"] == NEXT_DAY
            late_view = await late_queue.expect("queue_update")
            assert late_view["appointments_today"]["date"] == NEXT_DAY
            assert [e["ticket"] for e in late_view["queue_items"]] == ["A001", "A002", "A003"]
        await central.send({"action": "subscribe", "date": NEXT_DAY, "shop_id": sid})
        today = await central.wait_for("snapshot")
        # The tickets still waiting from the eve hold positions 1-3 of the real line.
        assert [(w["ticket"], w["position"]) for w in today["data"]["unassigned"]] == [
            ("A001", 1),
            ("A002", 2),
            ("A003", 3),
        ]


@needs_faketime
def test_every_screen_moves_to_the_new_day_at_a_quiet_midnight(tmp_path, chromium):
    # No 30 s refresh in the way: what moves the screens at midnight is the day turn.
    srv = fake_clock_server(tmp_path / "data", BEFORE_MIDNIGHT_UTC, "--refresh", "3600").start()
    pages = Pages(chromium, srv)
    try:
        admin, staff, kiosk = srv.client("admin"), srv.client("staff"), srv.client("kiosk")
        shop = admin.post(f"{API}/shops", {"name": "Berlin Cuts", "timezone": BERLIN}).body
        sid = shop["id"]
        provider = admin.post(
            f"{API}/shops/{sid}/providers", {"name": "Uta Schere", "code": "US"}
        ).body
        for day, name, starts_at in (
            (EVE, "Eve Late", f"{EVE}T23:30:00+02:00"),
            (NEXT_DAY, "Morgen Frueh", f"{NEXT_DAY}T09:00:00+01:00"),
        ):
            booked = staff.post(
                f"{API}/appointments",
                {
                    "provider_id": provider["id"],
                    "date": day,
                    "starts_at": starts_at,
                    "patient": {"name": name},
                },
            )
            assert booked.status == 201, booked.raw
        carried = [
            kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": f"Night Owl {n}"}).body
            for n in (1, 2, 3)
        ]
        assert [c["ticket"] for c in carried] == ["A001", "A002", "A003"]

        page = pages.open(f"/monitor?shop={sid}", role="staff")
        page.wait_for_function("() => window.__monitor && window.__monitor.data !== null")
        assert page.evaluate("window.__monitor.date") == EVE, "set-up ran past midnight"

        ready = threading.Event()
        thread, out = _in_thread(_sockets_across_midnight, srv, sid, ready)
        assert ready.wait(30) or "error" in out, "the sockets never connected"
        assert "error" not in out, out.get("error")

        # /monitor on "today" moves to the new date, and shows the tickets carried over.
        page.wait_for_function(
            f"""() => window.__monitor.date === "{NEXT_DAY}"
                && window.__monitor.data && window.__monitor.data.date === "{NEXT_DAY}"
                && window.__monitor.data.unassigned.length === 3""",
            timeout=TURN_TIMEOUT_S * 1000,
        )
        assert "date=" not in page.url  # still "today", not pinned to a date

        thread.join(TURN_TIMEOUT_S + 30)
        assert not thread.is_alive(), "the socket checks did not finish"
        if "error" in out:
            raise out["error"]

        # The polling twin agrees, and the new day's first code is not one still held.
        polled = staff.get(f"{API}/monitor?date={NEXT_DAY}&shop_id={sid}").body["data"]
        assert _tickets(polled["unassigned"]) == ["A001", "A002", "A003"]
        fresh = kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": "Early Bird"}).body
        assert fresh["ticket"] == "A004"
        line = staff.get(f"{API}/shops/{sid}/queue").body["queue_items"]
        assert len({e["ticket"] for e in line}) == len(line) == 4
        assert pages.problems(page) == {}
        pages.close()
        assert srv.stop() == 0  # the day chore is cancelled with the rest at shutdown
    finally:
        pages.close()
        srv.kill()


# ---------------------------------------------------------------- the clocks go back


@needs_faketime
def test_now_serving_keeps_call_order_across_the_autumn_change(tmp_path):
    srv = fake_clock_server(tmp_path / "data", BEFORE_FALL_BACK_UTC).start()
    try:
        admin, staff, kiosk = srv.client("admin"), srv.client("staff"), srv.client("kiosk")
        sid = admin.post(f"{API}/shops", {"name": "Uhr Shop", "timezone": BERLIN}).body["id"]
        joined = [
            kiosk.post(f"{API}/shops/{sid}/queue", {"full_name": f"Kunde {n}"}).body
            for n in (1, 2, 3)
        ]
        a002 = staff.patch(f"{API}/queue/{joined[1]['id']}", {"status": "CALLED"}).body
        assert a002["called_at"].endswith("+02:00"), "set-up ran past the change"

        wait_until(
            lambda: staff.get(f"{API}/shops/{sid}/queue").body["timestamp"].endswith("+01:00"),
            timeout=TURN_TIMEOUT_S,
            interval=0.25,
            message="the clocks never went back",
        )
        a003 = staff.patch(f"{API}/queue/{joined[2]['id']}", {"status": "CALLED"}).body
        assert a003["called_at"].endswith("+01:00")
        assert a003["called_at"] < a002["called_at"]  # as text: the trap

        queue = staff.get(f"{API}/shops/{sid}/queue").body
        assert [e["ticket"] for e in queue["now_serving"]] == ["A002", "A003"]

        async def first_view() -> dict[str, Any]:
            async with await WS.connect(srv, f"/ws/queue/{sid}") as socket:
                return await socket.expect("queue_update")

        thread, out = _in_thread(first_view)
        thread.join(30)
        assert "value" in out, out
        assert [e["ticket"] for e in out["value"]["now_serving"]] == ["A002", "A003"]
        assert srv.stop() == 0
    finally:
        srv.kill()
