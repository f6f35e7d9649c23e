"""The desk tablet and the customer's own phone, split (SPEC §9), in a real browser.

/kiosk is the paired desk tablet: unpaired it shows "pair this tablet" (a 6-digit code
typed on big keys, and the way to /join for a customer), never the join form; paired, it
shows a customer's ticket and goes back to its start by itself, never opening the
customer's own page. /join is the customer's phone: join -> /t/{claim}, and when self
check-in is off it says so before any form. Headless Chromium against `kiosk serve`;
every wait is a condition with a timeout.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest

from tests.browser import Pages, shot, wait_live_status
from tests.kiosk_harness import Server

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(300)

OWNER_PIN = "731592"
SIZES = ("tablet", "phone", "tv")
_shops = iter(range(1, 10_000))

# Mutes a page's live socket on demand (window.__mute()), so a test can change the
# server behind the page's back and see what the page does with a refusal.
SOCKET_MUTE = """
(() => {
  const Real = window.WebSocket;
  let muted = false;
  window.__mute = () => { muted = true; };
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => { if (muted) e.stopImmediatePropagation(); });
    }
  };
})();
"""


@pytest.fixture(scope="module")
def owner(server) -> Server:
    r = server.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN, "name": "Olga"})
    assert r.status == 200, r.body
    return server


def new_shop(server: Server, providers=("Sam",)) -> int:
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": f"Pairing Barbers {next(_shops)}"})
    assert shop.status == 201, shop.body
    for name in providers:
        assert (
            admin.post(f"/api/v1/shops/{shop.body['id']}/providers", {"name": name}).status == 201
        )
    return shop.body["id"]


def admin_context(pages: Pages, size: str = "tablet"):
    """A browser holding the owner's PIN session, as /login leaves it."""
    r = pages.server.client().post("/api/v1/auth/login", {"pin": OWNER_PIN})
    assert r.status == 200, r.body
    jar = SimpleCookie(r.headers["set-cookie"])
    ctx = pages.context(size)
    ctx.add_cookies(
        [
            {
                "name": "qk_session",
                "value": jar["qk_session"].value,
                "url": pages.server.base_url,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return ctx


def set_self_checkin(server: Server, on: bool) -> None:
    r = server.client("admin").patch("/api/v1/settings", {"self_checkin": on})
    assert r.status == 200, r.body


def visible(page, selector: str) -> bool:
    return page.locator(selector).is_visible()


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def join_on(page, name: str) -> None:
    page.click("#go-join")
    page.fill("#j-name", name)
    page.click("#j-submit")


# ---------------------------------------------------------------- unpaired /kiosk


@pytest.mark.parametrize("size", SIZES)
def test_an_unpaired_kiosk_shows_pairing_and_the_way_to_join_never_the_form(owner, pages, size):
    shop = new_shop(owner)
    page = pages.open(f"/kiosk?shop={shop}", size=size)
    page.wait_for_selector("#s-pair:not([hidden])", timeout=10_000)
    assert page.evaluate("document.documentElement.dataset.paired") == "no"
    for selector in ("#go-join", "#go-appt", "#join-form", "#s-start"):
        assert not visible(page, selector), selector
    assert "Pair this tablet" in page.inner_text("#s-pair")
    assert page.locator("#pair-digits span").count() == 6
    # The customer who came with their phone from an old poster: a labelled link and QR.
    join_url = f"{owner.base_url}/join?shop={shop}"
    assert page.get_attribute("#pair-join-link", "href") == join_url
    assert page.get_attribute("#pair-join-qr svg", "data-qr-text") == join_url
    assert "join the queue" in page.get_attribute("#pair-join-qr svg", "aria-label")
    assert "Opens the page to join the queue" in page.inner_text("#pair-join")
    # Every key fits on the screen, and is big enough for a finger.
    view = page.viewport_size
    for key in page.locator("#pair-keypad button").all():
        box = key.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48, box
        assert box["y"] + box["height"] <= view["height"] or size == "phone", box
    # The server's clock, not this device's.
    page.wait_for_function(
        "() => document.getElementById('clock').textContent.length > 0", timeout=5000
    )
    shot(page, f"kiosk-{size}-unpaired")
    assert pages.problems(page) == {}


def test_a_wrong_code_is_refused_in_the_pages_own_words(owner, pages):
    page = pages.open("/kiosk", size="tablet")
    page.wait_for_selector("#s-pair:not([hidden])", timeout=10_000)
    started = owner.client("admin").post("/api/v1/pairing", {"role": "kiosk", "name": "X"}).body
    wrong = next(c for c in ("000000", "111111", "222222") if c != started["short_code"])
    page.keyboard.type(wrong)  # a tablet with a keyboard types too
    page.locator("#pair-error", has_text="not right").wait_for(timeout=5000)
    assert page.locator("#pair-digits span.filled").count() == 0
    assert visible(page, "#s-pair") and not visible(page, "#join-form")
    # Never the API's words (the page's own URLs carry a port, which may hold "404").
    error = page.inner_text("#pair-error")
    assert "404" not in error and "not_found" not in error, error


def test_the_owner_pairs_a_tablet_by_typing_the_code_in_under_30_seconds(owner, pages):
    shop = new_shop(owner)
    began = time.monotonic()
    tablet_ctx = pages.context("tablet", has_touch=True)
    tablet = pages.open(f"/kiosk?shop={shop}", context=tablet_ctx)
    tablet.wait_for_selector("#s-pair:not([hidden])", timeout=10_000)
    # The owner at the PC: /admin, "Pair a tablet or TV", and the code shows big.
    admin = pages.open("/admin", context=admin_context(pages, "tv"), wait_live=False)
    admin.fill("#pair-name", "Front desk")
    admin.click("#pair-start")
    code_box = admin.locator("#pair-short-code")
    code_box.wait_for(timeout=5000)
    shown = code_box.inner_text()
    assert re.fullmatch(r"\d{3} \d{3}", shown), shown
    assert float(code_box.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 40
    assert "/kiosk" in admin.inner_text("#pair-code-how")
    assert "pairing link" in admin.inner_text("#pair-qr-caption")
    shot(admin, "admin-tv-pairing-code")
    # The tablet: the owner taps the six digits.
    assert not visible(tablet, "#j-name")
    for digit in shown.replace(" ", ""):
        tablet.locator(f'#pair-keypad [data-digit="{digit}"]').tap()
    tablet.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    assert urlsplit(tablet.url).path == "/kiosk", "no reload, no navigation"
    assert tablet.evaluate("document.documentElement.dataset.paired") == "yes"
    # It is a desk tablet now: a join is the kiosk's own (source kiosk), and stays here.
    join_on(tablet, "Tina Tablet")
    tablet.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    assert time.monotonic() - began < 30
    queue = owner.client("staff").get(f"/api/v1/shops/{shop}/queue").body
    assert [e["source"] for e in queue["queue_items"] if e["full_name"] == "Tina Tablet"] == [
        "kiosk"
    ]
    admin.locator('#pair-out[data-state="paired"]').wait_for(timeout=15_000)
    shot(tablet, "kiosk-tablet-paired-ticket")
    assert pages.problems(tablet, admin) == {}


# ---------------------------------------------------------------- paired /kiosk


def test_a_paired_kiosk_shows_the_ticket_then_goes_back_by_itself(owner, pages):
    shop = new_shop(owner)
    kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    back_s = int(kiosk.evaluate("document.documentElement.dataset.ticketBackS"))
    assert 0 < back_s <= 20
    join_on(kiosk, "Carla Customer")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    code = kiosk.inner_text("#t-code")
    assert re.fullmatch(r"[A-Z]\d{3}", code)
    assert kiosk.inner_text("#t-pos") and kiosk.inner_text("#t-wait")
    qr = kiosk.locator("#t-qr svg")
    assert re.fullmatch(
        rf"{owner.base_url}/t/[A-Za-z0-9_-]{{10,}}", qr.get_attribute("data-qr-text")
    )
    assert "ticket page" in qr.get_attribute("aria-label")
    assert "Scan with your phone" in kiosk.inner_text("#s-ticket")
    # Nothing on the tablet opens the customer's own page.
    assert kiosk.locator('a[href*="/t/"]').count() == 0
    shot(kiosk, "kiosk-tablet-ticket")
    began = time.monotonic()
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=25_000)
    assert time.monotonic() - began <= 21
    assert urlsplit(kiosk.url).path == "/kiosk"
    # "Done" is sooner.
    join_on(kiosk, "Dan Done")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    kiosk.click("#t-done")
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=2000)
    assert kiosk.input_value("#j-name") == ""
    assert pages.problems(kiosk) == {}


# ---------------------------------------------------------------- /join on a phone


def test_a_phone_joins_at_slash_join_and_lands_on_its_ticket(owner, pages):
    shop = new_shop(owner)
    phone = pages.open(f"/join?shop={shop}", size="phone")
    phone.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
    phone.click('#languages [data-lang="es"]')
    phone.locator("#j-submit", has_text="Tomar mi turno").wait_for(timeout=5000)
    shot(phone, "join-phone-form-es")
    phone.fill("#j-name", "Pia Phone")
    phone.click("#j-submit")
    phone.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{10,}\?lang=es$"), timeout=10_000)
    queue = owner.client("staff").get(f"/api/v1/shops/{shop}/queue").body
    assert [e["source"] for e in queue["queue_items"]] == ["phone"]
    assert pages.problems(phone) == {}


@pytest.mark.parametrize("size", SIZES)
def test_join_says_self_check_in_is_off_before_any_form(owner, pages, size):
    shop = new_shop(owner)
    set_self_checkin(owner, False)
    try:
        page = pages.open(f"/join?shop={shop}", size=size)
        page.wait_for_selector("#s-closed:not([hidden])", timeout=10_000)
        assert not visible(page, "#join-form")
        text = page.inner_text("#s-closed")
        assert "switched off" in text and "at the desk" in text
        shot(page, f"join-{size}-self-check-in-off")
        # The owner switches it back on: the form comes, live.
        set_self_checkin(owner, True)
        page.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
        assert not visible(page, "#s-closed")
        assert pages.problems(page) == {}
    finally:
        set_self_checkin(owner, True)


def test_a_refused_join_is_said_in_the_pages_words_not_the_apis(owner, pages):
    shop = new_shop(owner)
    phone = pages.open(f"/join?shop={shop}", size="phone", init_script=SOCKET_MUTE)
    phone.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
    phone.evaluate("window.__mute()")  # the page misses the switch below
    set_self_checkin(owner, False)
    try:
        phone.fill("#j-name", "Rita Refused")
        phone.click("#j-submit")
        phone.wait_for_selector("#s-closed:not([hidden])", timeout=10_000)
        body = phone.inner_text("body")
        assert "switched off" in body
        assert "please ask at the desk" not in body, "the API's own English never shows"
        assert urlsplit(phone.url).path == "/join"
    finally:
        set_self_checkin(owner, True)


# ---------------------------------------------------------------- every customer screen


def test_customer_screens_show_the_servers_clock_not_the_devices(owner, pages):
    shop = new_shop(owner)
    for path, role in ((f"/kiosk?shop={shop}", "kiosk"), (f"/join?shop={shop}", None)):
        ctx = pages.context("tablet")
        ctx.clock.set_fixed_time(datetime(2001, 2, 3, 4, 5, 6))  # a tablet with a wrong clock
        page = pages.open(path, context=ctx, role=role)
        page.wait_for_function(
            "() => document.getElementById('clock').dataset.serverTime.length > 0", timeout=10_000
        )
        shown = page.get_attribute("#clock", "data-server-time")
        stamp = owner.client().get(f"/api/v1/shops/{shop}/queue").body["timestamp"]
        assert shown[:10] == stamp[:10] != "2001-02-03", (shown, stamp)
        assert page.inner_text("#clock") and "5:05" not in page.inner_text("#clock")


def test_customer_screens_say_only_reconnecting_clear_of_the_header(chromium, fresh_server):
    server = fresh_server.start()
    pages = Pages(chromium, server)
    try:
        kiosk = pages.open("/kiosk", size="tablet", role="kiosk")
        kiosk.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
        phone = pages.open("/join", size="phone")
        claim = server.client("kiosk").post("/api/v1/shops/1/queue", {"full_name": "Tia"}).body
        ticket = pages.open(f"/t/{claim['claim']}", size="phone")
        assert server.stop() == 0
        for page, header in ((kiosk, ".top"), (phone, ".top"), (ticket, ".head")):
            page.wait_for_selector(
                'html[data-quiet-polling="yes"]', state="attached", timeout=20_000
            )
            pill = page.locator("#qk-status")
            pill.wait_for(state="visible", timeout=5000)
            assert pill.inner_text().strip() == "Reconnecting…"
            assert not page.locator("#qk-banner").is_visible()
            assert "every 5 seconds" not in page.inner_text("body")
            assert not overlaps(pill.bounding_box(), page.locator(header).bounding_box())
        shot(kiosk, "kiosk-tablet-reconnecting")
        shot(phone, "join-phone-reconnecting")
        shot(ticket, "ticket-phone-reconnecting")
        server.start(port=server.port)
        wait_live_status(kiosk, "connected", timeout_ms=20_000)
        kiosk.wait_for_selector("#qk-status", state="hidden", timeout=5000)
    finally:
        pages.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_landing_page_leads_tablets_to_pairing_and_phones_to_join(owner, pages, size):
    page = pages.open("/", size=size, wait_live=False)
    tablets = page.locator("#for-tablets", has_text="Desk tablets and TVs")
    tablets.wait_for(timeout=5000)
    assert tablets.get_attribute("href") == "/admin#pair"
    phones = page.locator("#for-phones")
    assert phones.get_attribute("href") == "/join"
    assert "Customers' phones" in phones.inner_text()
    qr = page.locator("#phones-qr svg")
    qr.wait_for(timeout=5000)
    appliance = owner.client().get("/api/v1/appliance").body
    assert qr.get_attribute("data-qr-text") == appliance["urls"]["join"]
    assert "join the queue" in qr.get_attribute("aria-label")
    assert appliance["urls"]["join"] in page.inner_text("#phones-qr-box")
    shot(page, f"landing-{size}")
    assert pages.problems(page) == {}


# ---------------------------------------------------------------- kiosk polish


def book(server: Server, shop: int, name: str, at: str | None = None) -> dict:
    staff = server.client("staff")
    today = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    provider = server.client().get(f"/api/v1/shops/{shop}/providers").body[0]
    body = {"provider_id": provider["id"], "date": today, "patient": {"name": name}}
    if at:
        body["starts_at"] = f"{today}T{at}:00+00:00"
    made = staff.post("/api/v1/appointments", body)
    assert made.status == 201, made.body
    return made.body


def test_the_appointment_button_shows_only_while_someone_is_left_to_check_in(owner, pages):
    shop = new_shop(owner)
    kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    kiosk.wait_for_selector("html[data-seq]", state="attached", timeout=5000)
    assert kiosk.is_hidden("#go-appt"), "nobody to check in: no button leading to 'none left'"
    booked = book(owner, shop, "Bea Booked", "10:00")
    kiosk.locator("#go-appt").wait_for(state="visible", timeout=5000)  # live, no reload
    shot(kiosk, "kiosk-tablet-start-with-appointment")
    checked = owner.client("kiosk").post("/api/v1/checkins", {"appointment_id": booked["id"]})
    assert checked.status == 201, checked.body
    kiosk.locator("#go-appt").wait_for(state="hidden", timeout=5000)
    assert pages.problems(kiosk) == {}


def test_appointments_are_in_time_order_in_shop_time_and_back_stays_on_screen(owner, pages):
    shop = new_shop(owner)
    times = ["14:30", "09:00", "11:15", "16:45", "10:05", "12:00", "15:20", "13:40", "17:10"]
    for i, at in enumerate(times):
        book(owner, shop, f"Person{i} Test", at)
    # A tablet whose own clock and zone are not the shop's (UTC here).
    ctx = pages.context("tablet", timezone_id="America/Los_Angeles")
    kiosk = pages.open(f"/kiosk?shop={shop}", context=ctx, role="kiosk")
    kiosk.locator("#go-appt").wait_for(state="visible", timeout=10_000)
    kiosk.click("#go-appt")
    kiosk.wait_for_function(
        "n => document.querySelectorAll('#appt-list li').length === n", arg=len(times)
    )
    shown = kiosk.locator("#appt-list .time").all_inner_texts()
    expected = [
        f"{int(t[:2]) % 12 or 12}:{t[3:]} {'AM' if int(t[:2]) < 12 else 'PM'}"
        for t in sorted(times)
    ]
    assert shown == expected
    # One time format on the screen: the clock in the header reads the same way.
    clock = kiosk.inner_text("#clock")
    assert re.fullmatch(r"\d{1,2}:\d{2} [AP]M", clock), clock
    back = kiosk.locator("#s-appt .actions button").bounding_box()
    assert back["y"] >= 0 and back["y"] + back["height"] <= 768, back
    shot(kiosk, "kiosk-tablet-appointments-sorted")
    assert pages.problems(kiosk) == {}


def test_guessing_codes_on_the_tablet_is_slowed_down_in_the_pages_words(chromium, fresh_server):
    server = fresh_server.start()
    limits = {"limits": {"login_attempts": 2, "login_lockout_s": 60}}
    assert server.client("admin").patch("/api/v1/settings", limits).status == 200
    pages = Pages(chromium, server)
    try:
        code = server.client("admin").post("/api/v1/pairing", {"role": "kiosk"}).body["short_code"]
        wrong = next(c for c in ("000000", "111111", "222222") if c != code)
        tablet = pages.open("/kiosk", size="tablet")
        tablet.wait_for_selector("#s-pair:not([hidden])", timeout=10_000)
        for _ in range(2):
            tablet.keyboard.type(wrong)
            tablet.locator("#pair-error", has_text="not right").wait_for(timeout=5000)
            tablet.evaluate("document.getElementById('pair-error').textContent = ''")
        tablet.keyboard.type(code)  # even the right code waits now
        tablet.locator("#pair-error", has_text="Too many wrong codes").wait_for(timeout=5000)
        assert re.search(r"wait \d+ seconds", tablet.inner_text("#pair-error"))
        assert tablet.evaluate("document.documentElement.dataset.paired") == "no"
        shot(tablet, "kiosk-tablet-pairing-too-many")
    finally:
        pages.close()
