"""/staff on a real shop day (SPEC §9, issue 13), in real Chromium against a real server.

- Each staff device says where it serves ("I serve at", kept per device); Call next
  from it calls for that provider, and the TV shows and says that provider's name.
- "Call again" repeats a call on the TV; "Back to line" is the old recall.
- A burst of joins is one notice ("4 new customers") that covers no row's buttons.
- A retired provider keeps their name on /staff; /staff shows the appliance's clock.

The TV is read as a TV nobody touched (tests/test_pages_tv_calls.py's `Untouched`: the
DevTools protocol, never a user gesture); its speech engine is the recording one of
tests/test_pages_kiosk_display.py. Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import Pages, shot
from tests.kiosk_harness import wait_until
from tests.test_pages_kiosk_display import AUDIO_SPY, spoken_ticket
from tests.test_pages_staff_monitor import Shop, new_shop, open_staff
from tests.test_pages_tv_calls import SHOWN, Untouched

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)


def open_tv(pages: Pages, shop: Shop) -> Untouched:
    page = pages.open(f"/display?shop={shop.id}", size="tv", init_script=AUDIO_SPY, wait_live=False)
    tv = Untouched(page)
    tv.wait(SHOWN)
    return tv


def spoken(tv: Untouched) -> list[str]:
    return [c[len("speak:") :] for c in tv.eval("window.__calls") if c.startswith("speak:")]


def wait_spoken(tv: Untouched, count: int, timeout_ms: int = 15_000) -> list[str]:
    tv.wait(
        f"(window.__calls || []).filter((c) => c.startsWith('speak:')).length >= {count}",
        timeout_ms,
    )
    return spoken(tv)


def banner(tv: Untouched) -> dict | None:
    return tv.look()["call"]


def choose_chair(staff, provider: dict) -> None:
    staff.select_option("#chair", str(provider["id"]))
    staff.wait_for_function(
        "name => document.querySelector('#call-next').textContent.includes(name)",
        arg=provider["name"],
        timeout=3000,
    )


def test_each_device_calls_for_its_own_chair_and_the_tv_names_it(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop.providers
    first = shop.join("Ada First")
    second = shop.join("Ben Second")
    tv = open_tv(pages, shop)
    at_sam = open_staff(pages, shop, size="tablet")
    at_alex = open_staff(pages, shop, size="phone")
    # Before a choice, the page asks for one under Call next.
    assert at_sam.is_visible("#chair-hint") and at_sam.is_visible("#chair")
    # The chair list offers the shop's providers.
    options = at_sam.eval_on_selector_all("#chair option", "os => os.map(o => o.textContent)")
    assert options[1:] == ["Sam Shears", "Alex Blade"], options
    choose_chair(at_sam, sam)
    choose_chair(at_alex, alex)
    assert not at_sam.is_visible("#chair-hint")
    shot(at_sam, "staff-day-chair-tablet")
    shot(at_alex, "staff-day-chair-phone")

    at_sam.click("#call-next")
    wait_until(lambda: shop.entry(first["id"])["status"] == "CALLED", timeout=5, message="call")
    assert shop.entry(first["id"])["provider_id"] == sam["id"]
    said = wait_spoken(tv, 1)
    assert said == [f"Ticket {spoken_ticket(first['ticket'])}, Ada F., Sam Shears"], said
    shown = banner(tv)
    assert shown["ticket"] == first["ticket"] and "Sam Shears" in shown["where"], shown

    at_alex.click("#call-next")
    wait_until(lambda: shop.entry(second["id"])["status"] == "CALLED", timeout=5, message="call")
    assert shop.entry(second["id"])["provider_id"] == alex["id"]
    said = wait_spoken(tv, 2)
    assert said[1] == f"Ticket {spoken_ticket(second['ticket'])}, Ben S., Alex Blade", said
    ticket = json.dumps(second["ticket"])
    tv.wait(f"document.querySelector('#call .ticket').textContent === {ticket}")
    assert "Alex Blade" in banner(tv)["where"]
    assert "Front desk" not in " ".join(said)
    tv.shot("staff-day-tv-called-for-alex")
    assert tv.look()["active"] is False  # the TV was never touched

    # Calling one ticket out of order from Sam's device sends that customer to Sam too.
    third = shop.join("Cy Third", alex["id"])
    row = at_sam.locator(f'#waiting > .row[data-id="{third["id"]}"]')
    row.locator('[data-action="call"]').click()
    wait_until(lambda: shop.entry(third["id"])["status"] == "CALLED", timeout=5, message="call")
    assert shop.entry(third["id"])["provider_id"] == sam["id"]
    said = wait_spoken(tv, 3)
    assert said[2] == f"Ticket {spoken_ticket(third['ticket'])}, Cy T., Sam Shears", said

    # The choice belongs to the device: it is still there after a reload.
    at_sam.reload()
    at_sam.wait_for_function("() => window.__staff && window.__staff.queue !== null")
    at_sam.wait_for_function(
        "id => document.querySelector('#chair').value === String(id)", arg=sam["id"], timeout=3000
    )
    assert "Sam Shears" in at_sam.text_content("#call-next")
    assert pages.problems(at_sam, at_alex, tv.page) == {}


def test_call_again_repeats_the_call_on_the_tv_and_back_to_line_is_its_own_button(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    (sam,) = shop.providers
    entry = shop.join("Cleo Cole")
    tv = open_tv(pages, shop)
    staff = open_staff(pages, shop)
    choose_chair(staff, sam)
    staff.click("#call-next")
    said = wait_spoken(tv, 1)
    card = staff.locator(f'#serving > .card[data-id="{entry["id"]}"]')
    again = card.locator('[data-action="announce"]')
    back = card.locator('[data-action="recall"]')
    again.wait_for(timeout=3000)
    assert again.text_content() == "Call again" and back.text_content() == "Back to line"
    shot(staff, "staff-day-call-again-tablet")

    again.click()
    said = wait_spoken(tv, 2)
    assert said[0] == said[1] == f"Ticket {spoken_ticket(entry['ticket'])}, Cleo C., Sam Shears"
    assert banner(tv)["ticket"] == entry["ticket"]
    staff.locator(".qk-toast", has_text="again").first.wait_for(timeout=3000)
    assert shop.entry(entry["id"])["status"] == "CALLED"  # still called, nothing moved

    back.click()
    wait_until(lambda: shop.entry(entry["id"])["status"] == "CHECKED_IN", timeout=5, message="back")
    tv.wait("document.getElementById('call').hidden")  # the call is over on the TV too
    assert len(spoken(tv)) == 2
    assert tv.look()["active"] is False
    assert pages.problems(staff, tv.page) == {}


class DroppingTv:
    """A TV whose queue socket goes through the test (Playwright's WebSocket routing):
    what the server sends can be dropped, as a Wi-Fi drop loses it, and the socket then
    cut so the page reconnects and catches up from a fresh queue body."""

    def __init__(self, pages: Pages, shop: Shop, *, refuse: bool) -> None:
        self.dropping = False
        self.dropped: list[str] = []
        self.routes: list = []
        ctx = pages.context("tv")
        ctx.route_web_socket(re.compile(r"/ws/queue/"), self._route)
        self.refuse = refuse  # every socket refused: the page falls back to polling
        page = pages.open(
            f"/display?shop={shop.id}", context=ctx, init_script=AUDIO_SPY, wait_live=False
        )
        self.tv = Untouched(page)
        # Polling begins after a few refused sockets (SPEC §8); a customer screen says so
        # only in `data-quiet-polling` (web/lib/live.js).
        self.tv.wait(
            "Number(document.documentElement.dataset.updates) > 0"
            + (" && document.documentElement.dataset.quietPolling === 'yes'" if refuse else ""),
            30_000,
        )

    def until(self, predicate, what: str, timeout_s: float = 10) -> None:
        """Wait for a condition on what the route saw. Playwright hands the test the
        routed socket's messages only while the test is inside a Playwright call, so
        the wait is one, in short steps, until the condition holds."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
            self.tv.page.wait_for_timeout(25)

    def _route(self, ws) -> None:
        if self.refuse:
            ws.close(code=1011)
            return
        server = ws.connect_to_server()
        server.on_message(self._from_server(ws))
        ws.on_message(lambda message: server.send(message))
        self.routes.append(ws)

    def _from_server(self, ws):
        def forward(message) -> None:
            if self.dropping:
                self.dropped.append(message if isinstance(message, str) else message.decode())
            else:
                ws.send(message)

        return forward


@pytest.mark.parametrize("missed_by", ["polling", "a_wifi_drop"])
def test_a_tv_that_missed_the_moment_still_calls_again(server, pages, missed_by):
    """Call again is kept on the ticket (`announced_at`), so a TV that only polls, or
    whose socket lost the moment, repeats the call from the next queue body it gets."""
    shop = new_shop(server, ("Sam Shears",))
    (sam,) = shop.providers
    entry = shop.join("Cleo Cole")
    tv = DroppingTv(pages, shop, refuse=missed_by == "polling")
    called = shop.staff.post(f"/api/v1/shops/{shop.id}/queue/call-next", {"provider_id": sam["id"]})
    assert called.status == 200, called.body
    first = wait_spoken(tv.tv, 1)
    if missed_by == "a_wifi_drop":
        tv.dropping = True
    again = shop.staff.post(f"/api/v1/queue/{entry['id']}/announce")
    assert again.status == 200, again.body
    if missed_by == "a_wifi_drop":
        # The update that said so is lost; then the socket goes, and the page reconnects.
        tv.until(lambda: any('"announced_at":"' in m for m in tv.dropped), "the lost update")
        assert len(spoken(tv.tv)) == 1
        tv.dropping = False
        tv.routes[-1].close(code=1011)
    said = wait_spoken(tv.tv, 2)
    assert said == first * 2
    assert first == [f"Ticket {spoken_ticket(entry['ticket'])}, Cleo C., Sam Shears"]
    assert banner(tv.tv)["ticket"] == entry["ticket"]
    # Later bodies (the next poll, or a change) carry the same time: no third call.
    later = shop.join("Dan Later")
    tv.tv.wait(f"Number(document.documentElement.dataset.seq) >= {later['seq']}")
    assert len(spoken(tv.tv)) == 2


# Each row's ⋯ button in the viewport: is it the topmost element at its centre (nothing
# covers it)? null for a button scrolled out of view.
ROW_BUTTONS_UNCOVERED = """
() => [...document.querySelectorAll('#waiting > .row details.more > summary')].map((s) => {
  const r = s.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (y < 0 || y > innerHeight || x < 0 || x > innerWidth) return null;
  const hit = document.elementFromPoint(x, y);
  return !!hit && s.contains(hit);
})
"""


def uncovered(staff) -> bool:
    seen = [ok for ok in staff.evaluate(ROW_BUTTONS_UNCOVERED) if ok is not None]
    return bool(seen) and all(seen)


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_a_burst_of_joins_is_one_notice_that_covers_no_button(server, pages, size):
    shop = new_shop(server)
    shop.join("Early Bird")
    staff = open_staff(pages, shop, size=size)
    for name in ("Dan One", "Eve Two", "Fay Three", "Gus Four"):
        shop.join(name)
    staff.wait_for_function(
        "() => document.querySelectorAll('#waiting > .row').length === 5", timeout=5000
    )
    notice = staff.locator("#join-notice")
    staff.wait_for_function(
        "() => document.querySelector('#join-notice').textContent === '4 new customers'",
        timeout=5000,
    )
    assert notice.is_visible()
    assert staff.locator(".qk-toast").count() == 0  # no pile of toasts
    for ticket in ("A002", "A005"):
        assert ticket in (notice.get_attribute("title") or "")
    # Scrolled to the bottom, where the toasts used to pile up: every ⋯ is reachable.
    staff.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    assert uncovered(staff)
    staff.evaluate("() => document.querySelector('.waiting-panel').scrollIntoView()")
    assert uncovered(staff)
    shot(staff, f"staff-day-join-burst-{size}")
    assert pages.problems(staff) == {}


def test_one_join_is_told_by_name_in_the_notice(server, pages):
    shop = new_shop(server)
    staff = open_staff(pages, shop)
    entry = shop.join("Hal Single")
    staff.wait_for_function(
        "t => document.querySelector('#join-notice').textContent.startsWith(t)",
        arg=f"{entry['ticket']} Hal Single joined",
        timeout=5000,
    )
    assert not staff.is_visible("#drag-hint")  # the notice takes the hint's place
    assert pages.problems(staff) == {}


def test_a_retired_provider_keeps_their_name_on_staff(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    entry = shop.join("Ivy Served", bob["id"])
    shop.staff.patch(f"/api/v1/queue/{entry['id']}", {"status": "IN_SERVICE"})
    booked = shop.book(bob["id"], "Jon Booked", "23:30")
    admin = server.client("admin")
    assert admin.delete(f"/api/v1/providers/{bob['id']}").status == 200
    staff = open_staff(pages, shop, size="tablet")
    card = staff.locator(f'#serving > .card[data-id="{entry["id"]}"] .meta')
    card.filter(has_text="Bob Barber").wait_for(timeout=5000)
    appt = staff.locator(f'#appts > [data-appointment-id="{booked["id"]}"] .meta')
    appt.filter(has_text="Bob Barber").wait_for(timeout=5000)
    assert f"#{bob['id']}" not in staff.text_content("#app")
    # Nobody is sent to a retired provider: the pickers offer only Alice.
    for select in ("#chair", "#view", "#walkin-provider"):
        names = staff.eval_on_selector_all(f"{select} option", "os => os.map(o => o.value)")
        assert names == ["", str(alice["id"])], (select, names)
    assert pages.problems(staff) == {}


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_staff_shows_the_appliances_clock_not_the_devices(server, pages, size):
    shop = new_shop(server)
    admin = server.client("admin")
    assert admin.patch(f"/api/v1/shops/{shop.id}", {"timezone": "Asia/Tokyo"}).status == 200
    # The device thinks it is in New York: its own clock reads 13 or 14 hours earlier.
    ctx = pages.context(size, timezone_id="America/New_York")
    staff = open_staff(pages, shop, context=ctx)
    staff.wait_for_function("() => !!document.querySelector('#clock').dataset.serverTime")

    def shown() -> datetime:
        wall = staff.get_attribute("#clock", "data-server-time")
        return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo("Asia/Tokyo"))

    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    assert abs((shown() - now).total_seconds()) < 90, (shown(), now)
    text = staff.text_content("#clock")
    assert text and text == staff.evaluate("() => document.querySelector('#clock').textContent")
    expected = {now.strftime("%-I:%M"), shown().strftime("%-I:%M")}
    assert any(e in text for e in expected), (text, expected)
    assert staff.is_visible("#clock")
    shot(staff, f"staff-day-clock-{size}")
    assert pages.problems(staff) == {}


# ---------------------------------------------------------------- appointments of any day


def appointments_on(shop: Shop, day: str) -> list[dict]:
    r = shop.staff.get(f"/api/v1/appointments?date={day}&shop_id={shop.id}")
    assert r.status == 200, r.body
    return r.body


def appt_row(staff, name: str):
    return staff.locator("#appts > .appt", has_text=name)


def book_on_page(staff, provider: dict, day: str, hhmm: str, name: str, phone: str = "") -> None:
    staff.click("#book-open")
    staff.locator("#book-form").wait_for(timeout=3000)
    staff.select_option("#book-provider", str(provider["id"]))
    staff.fill("#book-date", day)
    staff.fill("#book-time", hhmm)
    if name:
        staff.fill("#book-name", name)
    if phone:
        staff.fill("#book-phone", phone)
    staff.click("#book-save")


def in_menu(staff, name: str, action: str) -> None:
    row = appt_row(staff, name)
    row.locator("details.more > summary").click()
    row.locator(f'[data-action="{action}"]').click()


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_staff_book_move_and_cancel_appointments_of_any_day(server, pages, size):
    shop = new_shop(server)
    bob, alice = shop.providers
    staff = open_staff(pages, shop, size=size)
    today = shop.today()
    later = (datetime.fromisoformat(today) + timedelta(days=3)).date().isoformat()

    # Today, with Bob.
    book_on_page(staff, bob, today, "23:40", "Nora Booker", "+1 555 0101")
    appt_row(staff, "Nora Booker").wait_for(timeout=5000)
    assert staff.is_hidden("#book-form")
    (nora,) = appointments_on(shop, today)
    assert nora["provider_id"] == bob["id"] and nora["starts_at"].startswith(f"{today}T23:40")
    assert nora["customer"]["phone"] == "+1 555 0101"
    assert "11:40" in appt_row(staff, "Nora Booker").locator(".appt-time").text_content()

    # Another day: the panel goes to that day and shows it there.
    book_on_page(staff, bob, later, "09:15", "Otto Later")
    appt_row(staff, "Otto Later").wait_for(timeout=5000)
    assert staff.input_value("#appts-date") == later
    assert staff.text_content("#appts-title").startswith("Appointments · ")
    assert staff.is_hidden('#appts [data-action="checkin"]')  # not today: no check-in
    (otto,) = appointments_on(shop, later)
    # A booking made on another screen for that day shows at once (its own socket).
    shop.staff.post(
        "/api/v1/appointments",
        {
            "provider_id": alice["id"],
            "date": later,
            "time": "08:00",
            "patient": {"name": "Pia Phone"},
        },
    )
    appt_row(staff, "Pia Phone").wait_for(timeout=5000)
    shot(staff, f"staff-day-appointments-later-{size}")

    # Move Otto to Alice at 10:45, then to today.
    in_menu(staff, "Otto Later", "appt-move")
    assert staff.input_value("#book-time") == "09:15" and staff.is_hidden("#book-name")
    staff.select_option("#book-provider", str(alice["id"]))
    staff.fill("#book-time", "10:45")
    shot(staff, f"staff-day-appointment-move-{size}")
    staff.click("#book-save")
    appt_row(staff, "Otto Later").filter(has_text="Alice Cutter").wait_for(timeout=5000)
    moved = next(a for a in appointments_on(shop, later) if a["id"] == otto["id"])
    assert moved["provider_id"] == alice["id"] and moved["starts_at"][11:16] == "10:45"
    in_menu(staff, "Otto Later", "appt-move")
    staff.fill("#book-date", today)
    staff.click("#book-save")
    staff.wait_for_function(
        "day => document.querySelector('#appts-date').value === day", arg=today, timeout=5000
    )
    appt_row(staff, "Otto Later").wait_for(timeout=5000)
    assert [a["id"] for a in appointments_on(shop, later)] != [otto["id"]]

    # Cancel Nora: a second press confirms.
    in_menu(staff, "Nora Booker", "appt-cancel")
    sure = appt_row(staff, "Nora Booker").locator('[data-action="appt-cancel"]')
    assert sure.text_content() == "Yes, cancel it"
    assert appointments_on(shop, today)[0]["status"] == "scheduled"  # not yet
    sure.click()
    appt_row(staff, "Nora Booker").wait_for(state="detached", timeout=5000)
    assert next(a for a in appointments_on(shop, today) if a["id"] == nora["id"])["status"] == (
        "cancelled"
    )
    shot(staff, f"staff-day-appointments-today-{size}")
    assert pages.problems(staff) == {}


def test_booking_errors_are_catalog_sentences(server, pages):
    shop = new_shop(server)
    bob, _ = shop.providers
    staff = open_staff(pages, shop, size="phone")
    book_on_page(staff, bob, shop.today(), "10:00", "")
    error = staff.locator("#book-error")
    error.wait_for(timeout=3000)
    assert error.text_content() == (
        "The appointment could not be booked. Enter the customer’s name."
    )
    staff.fill("#book-name", "Quinn Late")
    # The provider retires while the form is open: the server refuses, the form says why.
    assert server.client("admin").delete(f"/api/v1/providers/{bob['id']}").status == 200
    staff.click("#book-save")
    staff.wait_for_function(
        "() => document.querySelector('#book-error').textContent.includes('no longer')",
        timeout=5000,
    )
    assert error.text_content() == (
        "The appointment could not be booked. That provider no longer takes appointments."
    )
    assert not staff.is_hidden("#book-form")
    shot(staff, "staff-day-booking-error-phone")
    assert appointments_on(shop, shop.today()) == []
    assert pages.problems(staff) == {}
