"""The owner's and staff's sign-in pages in a real browser: first run at /admin, the PIN
pad at /login (and the gate in front of /staff and /monitor), pairing a tablet, the
settings, the audit trail and the devices list, against the real appliance.

Real headless Chromium (tests/browser.py) and the real server in a subprocess
(tests/kiosk_harness.py, --no-mdns). Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import itertools
import re
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import XSS, Pages, shot
from tests.kiosk_harness import Server, wait_until

# The fixtures `chromium` (one browser for the session) and `pages`.
pytest_plugins = ("tests.browser",)

OWNER_PIN = "482915"
STAFF_PIN = "2468"
_names = itertools.count(1)


# ---------------------------------------------------------------- fixtures and helpers


def claim(server: Server, pin: str = OWNER_PIN, name: str = "Olga") -> None:
    r = server.client().post("/api/v1/auth/setup", {"pin": pin, "name": name})
    assert r.status == 200, r.body


@pytest.fixture(scope="module")
def owner(server) -> Server:
    """The module's appliance, claimed by Olga (admin PIN), with Sam on the staff."""
    claim(server)
    r = server.client("admin").post(
        "/api/v1/staff", {"name": "Sam", "pin": STAFF_PIN, "role": "staff"}
    )
    assert r.status == 201, r.body
    return server


def session_of(server: Server, pin: str) -> str:
    r = server.client().post("/api/v1/auth/login", {"pin": pin})
    assert r.status == 200, r.body
    cookie = SimpleCookie()
    cookie.load(r.headers["set-cookie"])
    return cookie["qk_session"].value


def signed_in(pages: Pages, pin: str, size: str = "tablet"):
    """A fresh browser context holding the PIN session of `pin` (as /login would leave it)."""
    ctx = pages.context(size)
    ctx.add_cookies(
        [
            {
                "name": "qk_session",
                "value": session_of(pages.server, pin),
                "url": pages.server.base_url,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return ctx


def as_cookie(server: Server, pin: str) -> dict[str, str]:
    """Headers of a browser page using the PIN session (cookie + this server's Origin)."""
    return {"Cookie": f"qk_session={session_of(server, pin)}", "Origin": server.base_url}


def open_admin(pages: Pages, ctx, path: str = "/admin"):
    page = pages.open(path, context=ctx)
    page.wait_for_function(
        "() => document.querySelectorAll('#audit-rows tr').length > 0"
        " && !!document.querySelector('#qr-join svg')"
        " && !!document.querySelector('#staff-list li')"
    )
    return page


def new_shop(server: Server, providers: tuple[str, ...] = ("Bob Barber",)) -> int:
    admin = server.client("admin")
    r = admin.post("/api/v1/shops", {"name": f"Secure Shop {next(_names)}"})
    assert r.status == 201, r.body
    for name in providers:
        assert admin.post(f"/api/v1/shops/{r.body['id']}/providers", {"name": name}).status == 201
    return r.body["id"]


def queue_items(server: Server, shop: int) -> list[dict[str, Any]]:
    return server.client("staff").get(f"/api/v1/shops/{shop}/queue").body["queue_items"]


def entry_named(server: Server, shop: int, name: str) -> dict[str, Any] | None:
    return next((e for e in queue_items(server, shop) if e["full_name"] == name), None)


def patch_settings(server: Server, changes: dict[str, Any]) -> dict[str, Any]:
    r = server.client("admin").patch("/api/v1/settings", changes)
    assert r.status == 200, r.body
    return r.body


def type_pin_on_pad(page, pin: str) -> None:
    for digit in pin:
        page.click(f'#pad [data-digit="{digit}"]')


def submit_pin(page, pin: str, *, keyboard: bool = False) -> dict[str, Any]:
    """Enter a PIN (keypad taps or the keyboard) and return the server's answer."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as answer:
        if keyboard:
            page.keyboard.type(pin)
            page.keyboard.press("Enter")
        else:
            type_pin_on_pad(page, pin)
            page.click("#submit")
    return {"status": answer.value.status, "headers": answer.value.headers}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def no_overflow(page, what: str) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} is {overflow}px too wide"


# ---------------------------------------------------------------- first run


def test_first_run_on_the_pc_sets_the_owner_pin_and_drops_the_setup_link(chromium, fresh_server):
    server = fresh_server.start()
    pages = Pages(chromium, server)
    try:
        # The printed link is also kept in the data folder, for the owner only.
        link_file = server.data_dir / "setup-link.txt"
        assert link_file.stat().st_mode & 0o077 == 0
        link = re.search(r"http://\S+/admin\?setup=([\w-]+)", link_file.read_text())
        token = link.group(1)
        # The owner's screens before anything is set, at every size (the screenshots):
        # with the printed link. A browser without it, even on the PC, is told where it is.
        setup_pages = {}
        for size in ("tablet", "phone", "tv"):
            page = pages.open(f"/admin?setup={token}", size=size, wait_live=False)
            page.locator("#setup-view").wait_for(state="visible", timeout=5000)
            no_overflow(page, f"/admin setup at {size}")
            shot(page, f"admin-setup-{size}")
            setup_pages[size] = page
        bare = pages.open("/admin", size="tv", wait_live=False)
        bare.locator("#not-set-up", has_text="setup-link.txt").wait_for(timeout=5000)
        shot(bare, "admin-not-set-up-tv")
        # A wrong link is refused by the server, on the PC too.
        wrong = pages.open("/admin?setup=not-the-printed-one", wait_live=False)
        wrong.fill("#setup-pin", OWNER_PIN)
        wrong.fill("#setup-pin2", OWNER_PIN)
        wrong.click("#setup-save")
        wrong.locator("#setup-error", has_text="one-time link").wait_for(timeout=5000)
        page = setup_pages["tablet"]
        # Typos are caught before anything is sent.
        page.fill("#setup-name", "Olga")
        page.fill("#setup-pin", OWNER_PIN)
        page.fill("#setup-pin2", "482916")
        page.click("#setup-save")
        page.locator("#setup-error", has_text="not the same").wait_for(timeout=2000)
        page.fill("#setup-pin", "12")
        page.fill("#setup-pin2", "12")
        page.click("#setup-save")
        page.locator("#setup-error", has_text="6 to 12 digits").wait_for(timeout=2000)
        # The page sends the link's token, then the address bar loses it.
        page.fill("#setup-pin", OWNER_PIN)
        page.fill("#setup-pin2", OWNER_PIN)
        with page.expect_request(lambda r: r.url.endswith("/api/v1/auth/setup")) as sent:
            page.click("#setup-save")
        assert sent.value.post_data_json == {
            "pin": OWNER_PIN,
            "name": "Olga",
            "setup_token": token,
        }
        page.locator("#admin-view").wait_for(state="visible", timeout=5000)
        page.locator("#welcome").wait_for(state="visible")
        assert "setup" not in page.url and page.url.endswith("/admin")
        assert page.inner_text("#who-name").startswith("Olga")
        page.wait_for_function("() => document.querySelectorAll('#audit-rows tr').length > 0")
        claimed = page.locator('#audit-rows tr[data-type="appliance_claimed"]')
        assert claimed.locator(".a-name").inner_text() == "Olga"  # the audit names the owner
        assert "Olga" in claimed.locator(".a-summary").inner_text()
        # The session is a cookie the page's scripts cannot read.
        assert "qk_session" not in page.evaluate("document.cookie")
        assert page.evaluate("localStorage.getItem('qk.token')") is None

        # A second claim is refused, from the page or the API.
        again = server.client().post("/api/v1/auth/setup", {"pin": "111111"})
        assert again.status == 403 and "already" in again.body["error"]["message"]
        phone = setup_pages["phone"]  # still showing the form it got before the claim
        phone.fill("#setup-pin", "111111")
        phone.fill("#setup-pin2", "111111")
        phone.click("#setup-save")
        phone.locator("#setup-error", has_text="already been set up").wait_for(timeout=5000)

        # Someone else's browser with an old link: no setup form, the owner's PIN pad.
        other = pages.open("/admin?setup=whatever", wait_live=False)
        other.wait_for_url(re.compile(r"/login\?"), timeout=5000)
        assert query_of(other.url) == {"next": ["/admin"], "need": ["admin"]}
        other.locator("#title", has_text="Owner").wait_for()
        assert submit_pin(other, OWNER_PIN)["status"] == 200
        other.wait_for_url(re.compile(r"/admin$"), timeout=5000)
        other.locator("#admin-view").wait_for(state="visible", timeout=5000)

        # The owner's own tab keeps its session after a reload.
        page.reload()
        page.locator("#admin-view").wait_for(state="visible", timeout=5000)
        assert page.locator("#welcome").is_hidden() and page.locator("#claim").is_hidden()
        assert not link_file.exists()  # used: nothing left to find
        assert pages.problems(page, other, bare, *setup_pages.values()) == {}
    finally:
        pages.close()
        server.stop()


def test_an_unclaimed_appliance_sends_login_to_the_pc(server, pages):
    """Before the owner claims it, /login says so instead of offering a useless pad.
    (Runs before `owner` claims this module's server.)"""
    r = server.client().get("/api/v1/auth/me")
    if r.body["claimed"]:
        pytest.skip("this module's appliance is already claimed")
    page = pages.open("/login?next=%2Fstaff", size="phone", wait_live=False)
    page.locator("#unclaimed").wait_for(state="visible", timeout=5000)
    assert page.locator("#login").is_hidden()
    assert page.get_attribute("#unclaimed-admin", "href") == "/admin"
    shot(page, "login-unclaimed-phone")
    assert pages.problems(page) == {}


# ---------------------------------------------------------------- PIN login


def test_staff_page_sends_to_the_pin_pad_and_the_cookie_runs_the_queue(owner, pages):
    shop = new_shop(owner)
    page = pages.open(f"/staff?shop={shop}", wait_live=False)
    page.wait_for_url(re.compile(r"/login\?"), timeout=5000)
    assert query_of(page.url)["next"] == [f"/staff?shop={shop}"]
    page.locator("#login").wait_for(state="visible")
    assert page.inner_text("#lead") == "Sign in to open the staff screen."
    # A wrong PIN typed on the keyboard: a clear message, the field emptied.
    assert submit_pin(page, "9999", keyboard=True)["status"] == 401
    page.locator("#msg", has_text="not right").wait_for(timeout=3000)
    assert page.input_value("#pin") == ""
    # Too short: the button stays off.
    type_pin_on_pad(page, "12")
    assert page.is_disabled("#submit")
    page.click('#pad [data-key="clear"]')
    # The right one on the touch keypad: back to /staff, signed in by cookie.
    assert submit_pin(page, STAFF_PIN)["status"] == 200
    page.wait_for_url(re.compile(rf"/staff\?shop={shop}$"), timeout=5000)
    page.wait_for_selector('html[data-live="connected"]', state="attached", timeout=10_000)
    page.wait_for_function("() => window.__staff && window.__staff.queue !== null")
    assert page.inner_text("#who-name") == "Sam"
    assert page.locator("#signin").is_hidden()
    assert page.evaluate("localStorage.getItem('qk.token')") is None
    # Actions work with the cookie alone.
    page.fill("#walkin-name", "Wendy Walkin")
    page.click("#walkin-add")
    wendy = wait_until(
        lambda: entry_named(owner, shop, "Wendy Walkin"), timeout=5, message="walk-in"
    )
    assert wendy["source"] == "walk_in"
    page.locator("#waiting .row", has_text="Wendy Walkin").wait_for(timeout=3000)
    trail = owner.client("admin").get("/api/v1/audit?limit=20").body
    assert next(e for e in trail if e["type"] == "queue_joined")["actor"]["name"] == "Sam"

    # /monitor takes the same session (no second login) ...
    monitor = pages.open(f"/monitor?shop={shop}", context=page.context)
    monitor.wait_for_function("() => window.__monitor && window.__monitor.data !== null")
    assert "Wendy Walkin" in monitor.inner_text("#unassigned")
    # ... and logging out ends it everywhere.
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login\?"), timeout=5000)
    me = page.evaluate("fetch('/api/v1/auth/me').then(r => r.json())")
    assert me["authenticated"] is False
    # The open /monitor tab hears its socket closed with 4401 and goes to the PIN pad
    # by itself: no further data reaches a session that ended.
    monitor.wait_for_url(re.compile(r"/login\?"), timeout=5000)
    assert query_of(monitor.url)["next"] == [f"/monitor?shop={shop}"]
    assert pages.problems(page, monitor) == {}


def test_pages_opened_with_a_token_work_as_before(owner, pages):
    shop = new_shop(owner)
    page = pages.open(f"/staff?shop={shop}", role="staff")
    page.wait_for_function("() => window.__staff && window.__staff.queue !== null")
    assert "/staff" in page.url and "token=" not in page.url
    assert page.locator("#who").is_hidden()  # a token is no person
    kiosk = pages.open(f"/staff?shop={shop}", role="kiosk")
    kiosk.locator("#signin", has_text="staff role").wait_for(state="visible", timeout=5000)
    admin = pages.open("/admin", role="staff", wait_live=False)
    admin.locator("#need-admin", has_text="not an admin token").wait_for(timeout=5000)
    assert pages.problems(page, kiosk, admin) == {}


def test_login_goes_only_to_pages_of_this_appliance(owner, pages):
    page = pages.open("/login", wait_live=False)
    page.locator("#login").wait_for(state="visible")
    expected = {
        "/staff?shop=2#x": "/staff?shop=2#x",
        "/admin": "/admin",
        "/%2F%2Fevil.example": "/%2F%2Fevil.example",  # a path on this appliance
        "//evil.example/x": None,
        "https://evil.example/": None,
        "/\\evil.example": None,
        "javascript:alert(1)": None,
        "/login?next=/staff": None,
        "": None,
        "/\tx": None,
    }
    got = page.evaluate(
        """async (cases) => {
          const { safeNext } = await import('/lib/auth.js');
          return cases.map((c) => [c, safeNext(c, null)]);
        }""",
        list(expected),
    )
    assert dict(got) == expected
    evil = pages.open("/login?next=%2F%2Fevil.example%2Fsteal", wait_live=False)
    evil.locator("#login").wait_for(state="visible")
    assert submit_pin(evil, STAFF_PIN)["status"] == 200
    evil.wait_for_url(f"{owner.base_url}/staff", timeout=5000)
    # A staff PIN at the admin gate: signed in, told it is not enough, not sent on.
    gate = pages.open("/admin", wait_live=False)
    gate.wait_for_url(re.compile(r"/login\?"), timeout=5000)
    assert submit_pin(gate, STAFF_PIN)["status"] == 200
    gate.locator("#msg", has_text="needs an admin PIN").wait_for(timeout=3000)
    assert "/login" in gate.url
    assert pages.problems(page, evil, gate) == {}


def test_wrong_pins_lock_the_pad_and_show_the_wait(chromium, fresh_server):
    server = fresh_server.start()
    pages = Pages(chromium, server)
    try:
        claim(server)
        patch_settings(server, {"limits": {"login_attempts": 3, "login_lockout_s": 4}})
        page = pages.open("/login", wait_live=False)
        page.locator("#login").wait_for(state="visible")
        for _ in range(3):
            assert submit_pin(page, "0000")["status"] == 401
            page.locator("#msg", has_text="not right").wait_for(timeout=3000)
        answer = submit_pin(page, "0000")
        assert answer["status"] == 429 and int(answer["headers"]["retry-after"]) >= 1
        page.locator(
            "#msg", has_text=re.compile(r"Too many wrong PINs\. Try again in \d+ s")
        ).wait_for(timeout=3000)
        assert page.is_disabled('#pad [data-digit="5"]') and page.is_disabled("#submit")
        shot(page, "login-lockout-tablet")
        # When the wait is over the pad comes back, and the right PIN works.
        page.locator("#msg", has_text="try again now").wait_for(timeout=10_000)
        assert page.is_enabled('#pad [data-digit="5"]')
        assert submit_pin(page, OWNER_PIN)["status"] == 200
        page.wait_for_url(re.compile(r"/admin$"), timeout=5000)
        page.locator("#admin-view").wait_for(state="visible", timeout=5000)
        assert pages.problems(page) == {}
    finally:
        pages.close()
        server.stop()


# ---------------------------------------------------------------- pairing and devices


def test_pair_a_tablet_then_revoke_it(owner, pages):
    admin = open_admin(pages, signed_in(pages, OWNER_PIN))
    tablet_name = f"Desk {XSS}"
    admin.check('#pair-form input[value="kiosk"]', force=True)
    admin.fill("#pair-name", tablet_name)
    admin.click("#pair-start")
    admin.locator("#pair-qr svg").wait_for(timeout=5000)
    link = admin.inner_text("#pair-url")
    assert re.fullmatch(r"http://[^/]+/pair/[A-Za-z0-9_-]+", link), link
    assert admin.get_attribute("#pair-qr svg", "data-qr-text") == link
    assert re.fullmatch(r"10:00|9:[0-5]\d", admin.inner_text("#pair-countdown"))
    assert admin.inner_text("#pair-title") == tablet_name
    assert "check-in tablet" in admin.inner_text("#pair-how")
    try:
        patch_settings(owner, {"self_checkin": False})
        # The tablet: a fresh browser with no cookies opens the link (the server listens
        # on 127.0.0.1 only, so the LAN host in the link is swapped for it).
        tablet_ctx = pages.context("tablet")
        tablet = pages.open(urlsplit(link).path, context=tablet_ctx)
        assert urlsplit(tablet.url).path == "/kiosk"
        tablet.click("#go-join")
        tablet.fill("#j-name", "Tina Tablet")
        tablet.click("#j-submit")
        tina = wait_until(lambda: entry_named(owner, 1, "Tina Tablet"), timeout=5, message="join")
        assert tina["source"] == "kiosk"  # the device's own role, not a phone's self check-in
        # The link works once.
        assert owner.client().get(urlsplit(link).path).status == 404

        # /admin sees the device (name as text), and the pairing box says so.
        admin.locator('#pair-out[data-state="paired"]').wait_for(timeout=10_000)
        row = admin.locator('#device-groups [data-kind="device"] .device', has_text=tablet_name)
        row.wait_for(timeout=5000)
        assert row.locator(".dev-name").inner_text() == tablet_name
        assert row.locator(".chip").inner_text() == "check-in"
        assert row.locator(".dev-seen").inner_text() == "seen just now"
        assert admin.locator("#device-groups img, #pair-out img").count() == 0
        shot(admin, "admin-paired-tablet", full_page=False)

        # Revoke (two taps) -> gone from the list and from the server ...
        token_id = int(row.get_attribute("data-token-id"))
        row.locator('[data-action="revoke"]').click()
        assert any(t["id"] == token_id for t in owner.client("admin").get("/api/v1/tokens").body)
        row.locator('[data-action="revoke"]').click()
        row.wait_for(state="detached", timeout=5000)
        assert all(t["id"] != token_id for t in owner.client("admin").get("/api/v1/tokens").body)
        # ... and the tablet's next join is refused (phone check-in is off too).
        # ... and the tablet is no longer a desk tablet: it asks to be paired again, and
        # never offers the join form (SPEC §9).
        tablet.goto(f"{owner.base_url}/kiosk")
        tablet.wait_for_selector("#s-pair:not([hidden])", timeout=10_000)
        assert not tablet.locator("#join-form").is_visible()
        admin.locator(
            '#audit-rows tr[data-type="token_revoked"] .a-name', has_text="Olga"
        ).wait_for(timeout=20_000)
        assert pages.problems(admin, tablet) == {}
    finally:
        patch_settings(owner, {"self_checkin": True})


def test_a_paired_tablet_is_a_desk_tablet(owner, pages):
    pairing = owner.client("admin").post("/api/v1/pairing", {"role": "kiosk", "name": "Desk 2"})
    assert pairing.status == 201, pairing.body
    tablet = pages.open(urlsplit(pairing.body["url"]).path)
    assert urlsplit(tablet.url).path == "/kiosk"
    tablet.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    tablet.click("#go-join")
    tablet.fill("#j-name", "Dora Desk")
    tablet.click("#j-submit")
    tablet.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)


def test_a_pairing_code_expires_after_ten_minutes(owner, pages):
    ctx = signed_in(pages, OWNER_PIN)
    ctx.clock.install()
    admin = open_admin(pages, ctx)
    admin.check('#pair-form input[value="display"]', force=True)
    admin.click("#pair-start")
    admin.locator("#pair-qr svg").wait_for(timeout=5000)
    assert "waiting-room TV" in admin.inner_text("#pair-how")
    admin.clock.run_for(5 * 60 * 1000)
    assert re.fullmatch(r"[45]:[0-5]\d", admin.inner_text("#pair-countdown"))
    admin.clock.run_for(5 * 60 * 1000 + 2000)
    admin.locator('#pair-out[data-state="expired"]').wait_for(timeout=3000)
    assert "expired" in admin.inner_text("#pair-out")


# ---------------------------------------------------------------- settings, staff, audit


def test_settings_switches_reach_the_server(owner, pages):
    admin = open_admin(pages, signed_in(pages, OWNER_PIN))

    def settings() -> dict[str, Any]:
        return owner.client("admin").get("/api/v1/settings").body

    try:
        assert admin.is_checked("#set-selfcheckin")
        admin.click("#set-selfcheckin")
        wait_until(
            lambda: settings()["self_checkin"] is False, timeout=5, message="self check-in off"
        )
        refused = owner.client().post("/api/v1/shops/1/queue", {"full_name": "Phone Person"})
        assert refused.status == 401 and "switched off" in refused.body["error"]["message"]
        # Clicked, not .check(): the switch above saves at once, and its answer may
        # redraw the panel just after this click; what counts is what is saved.
        admin.click('input[name="display_names"][value="ticket"]')
        wait_until(
            lambda: settings()["display_names"] == "ticket", timeout=5, message="ticket only"
        )
        admin.wait_for_function(
            "() => document.querySelector('input[name=display_names][value=ticket]').checked"
        )
        admin.click("#set-voice")
        wait_until(lambda: settings()["display_voice"] is False, timeout=5, message="voice off")
        admin.fill("#set-origins", "http://192.168.1.30:3000/\n")
        admin.click("#origins-save")
        wait_until(
            lambda: settings()["allowed_origins"] == ["http://192.168.1.30:3000"],
            timeout=5,
            message="origins",
        )
        # A bad origin is refused with a message and the field shows what is stored.
        admin.fill("#set-origins", "javascript:alert(1)")
        admin.click("#origins-save")
        admin.locator(".qk-toast-error", has_text="allowed_origins").wait_for(timeout=5000)
        assert settings()["allowed_origins"] == ["http://192.168.1.30:3000"]
        admin.fill("#set-hosts", "queue.myshop.lan\nlocalhost:8080")
        admin.click("#hosts-save")
        wait_until(
            lambda: settings()["allowed_hosts"] == ["queue.myshop.lan", "localhost:8080"],
            timeout=5,
            message="hosts",
        )
        named = owner.client().get("/api/v1/health", headers={"Host": "queue.myshop.lan"})
        assert named.status == 200
        mine = admin.locator('#audit-rows tr[data-type="settings_updated"]', has_text="Olga")
        mine.first.wait_for(timeout=20_000)  # the page refreshes its trail after a change
        assert mine.last.locator(".a-summary").inner_text() == "phone check-in"
        # Reload: the page shows what the server holds.
        admin.reload()
        admin.locator("#admin-view").wait_for(state="visible")
        admin.wait_for_function("() => window.__admin.settings !== null")
        assert not admin.is_checked("#set-selfcheckin") and not admin.is_checked("#set-voice")
        assert admin.is_checked('input[name="display_names"][value="ticket"]')
        assert admin.input_value("#set-origins") == "http://192.168.1.30:3000"
        admin.click("#set-selfcheckin")
        wait_until(
            lambda: settings()["self_checkin"] is True, timeout=5, message="self check-in on"
        )
        assert pages.problems(admin) == {}
    finally:
        patch_settings(
            owner,
            {
                "self_checkin": True,
                "display_names": "initial",
                "display_voice": True,
                "allowed_origins": [],
                "allowed_hosts": [],
            },
        )


def test_staff_are_added_and_disabled_and_names_stay_text(owner, pages):
    admin = open_admin(pages, signed_in(pages, OWNER_PIN))
    admin.fill("#staff-name", XSS)
    admin.fill("#staff-pin", "13579")
    admin.select_option("#staff-role", "staff")
    admin.click("#staff-add")
    row = admin.locator("#staff-list li", has_text=XSS)
    row.wait_for(timeout=5000)
    assert row.locator(".staff-name").inner_text() == XSS
    # A PIN already taken is refused with the server's reason.
    admin.fill("#staff-name", "Copy Cat")
    admin.fill("#staff-pin", STAFF_PIN)
    admin.click("#staff-add")
    admin.locator(".qk-toast-error", has_text="already has this PIN").wait_for(timeout=5000)
    # The new person works the queue; the audit trail names them, as text.
    shop = new_shop(owner)
    r = owner.client().post(
        f"/api/v1/shops/{shop}/queue", {"full_name": "Xena Text"}, headers=as_cookie(owner, "13579")
    )
    assert r.status == 201, r.body
    admin.reload()
    admin.locator("#admin-view").wait_for(state="visible")
    audit_row = admin.locator(f'#audit-rows tr[data-seq="{r.body["seq"]}"]')
    audit_row.wait_for(timeout=5000)
    assert audit_row.locator(".a-name").inner_text() == XSS
    assert "Xena Text" in audit_row.locator(".a-summary").inner_text()
    # Disable (two taps): the PIN stops working.
    row = admin.locator("#staff-list li", has_text=XSS)
    row.locator('[data-action="disable"]').click()
    row.locator('[data-action="disable"]').click()
    admin.locator('#staff-list li[data-disabled="1"]', has_text=XSS).wait_for(timeout=5000)
    assert owner.client().post("/api/v1/auth/login", {"pin": "13579"}).status == 401
    assert admin.locator("#staff-list img, #audit-rows img, #device-groups img").count() == 0
    assert pages.problems(admin) == {}


def test_audit_trail_names_who_did_what_and_pages_back(owner, pages):
    shop = new_shop(owner)
    staff = owner.client("staff")
    for i in range(30):  # more than one page of activity
        assert staff.post(f"/api/v1/shops/{shop}/queue", {"full_name": f"Filler {i}"}).status == 201
    sam = owner.client().post(
        f"/api/v1/shops/{shop}/queue",
        {"full_name": "Audrey Audit"},
        headers=as_cookie(owner, STAFF_PIN),
    )
    assert sam.status == 201
    admin = open_admin(pages, signed_in(pages, OWNER_PIN))
    newest = admin.locator("#audit-rows tr").first
    # Sam's join (or Olga's later login) is at the top; Sam's row names Sam, what and whom.
    row = admin.locator(f'#audit-rows tr[data-seq="{sam.body["seq"]}"]')
    row.wait_for(timeout=5000)
    assert row.locator(".a-name").inner_text() == "Sam"
    assert row.locator(".a-what b").inner_text() == "joined the queue"
    assert "Audrey Audit" in row.locator(".a-summary").inner_text()
    assert newest.get_attribute("data-type") == "staff_logged_in"  # Olga's session for this page

    def seqs() -> list[int]:
        found = admin.eval_on_selector_all("#audit-rows tr", "rs => rs.map(r => r.dataset.seq)")
        return [int(s) for s in found]

    first = seqs()
    assert len(first) == 25
    admin.click("#audit-older")
    admin.wait_for_function("() => document.querySelectorAll('#audit-rows tr').length > 25")
    more = seqs()
    assert more[:25] == first and more == sorted(set(more), reverse=True)
    assert pages.problems(admin) == {}


def test_inactive_providers_can_be_reactivated(owner, pages):
    shop = new_shop(owner, ("Keep Kay", "Gone Gus"))
    admin_api = owner.client("admin")
    gus = next(
        p for p in admin_api.get(f"/api/v1/shops/{shop}/providers").body if p["name"] == "Gone Gus"
    )
    assert admin_api.delete(f"/api/v1/providers/{gus['id']}").status == 200
    admin = open_admin(pages, signed_in(pages, OWNER_PIN), f"/admin?shop={shop}")
    admin.wait_for_function("() => document.querySelectorAll('#plist .prow').length === 1")
    off = admin.locator(f'#plist-off [data-inactive-id="{gus["id"]}"]')
    off.wait_for(timeout=5000)
    off.locator('[data-action="reactivate"]').click()
    off.wait_for(state="detached", timeout=5000)
    admin.wait_for_function("() => document.querySelectorAll('#plist .prow').length === 2")
    assert admin.locator("#inactive-box").is_hidden()
    assert any(
        p["id"] == gus["id"] for p in owner.client().get(f"/api/v1/shops/{shop}/providers").body
    )
    assert pages.problems(admin) == {}


# ---------------------------------------------------------------- monitor polling fallback


def test_monitor_polls_when_its_socket_is_down(owner, pages):
    shop = new_shop(owner, ("Dr. Poll",))
    ctx = signed_in(pages, STAFF_PIN)
    # Every central-monitor socket is refused at once (as if a proxy dropped them).
    ctx.route_web_socket(re.compile(r"/api/v1/ws/queue"), lambda ws: ws.close(code=1011))
    monitor = pages.open(f"/monitor?shop={shop}", context=ctx, wait_live=False)
    monitor.wait_for_selector('html[data-polling="yes"]', state="attached", timeout=15_000)
    monitor.locator("#qk-banner").wait_for(state="visible")
    monitor.wait_for_function(
        "() => window.__monitor && window.__monitor.data !== null", timeout=10_000
    )
    with monitor.expect_request(lambda r: "/api/v1/monitor?" in r.url, timeout=8000) as polled:
        started = time.monotonic()
        assert (
            owner.client("staff")
            .post(f"/api/v1/shops/{shop}/queue", {"full_name": "Pia Poll"})
            .status
            == 201
        )
    q = query_of(polled.value.url)
    assert q["shop_id"] == [str(shop)] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", q["date"][0])
    monitor.locator("#unassigned", has_text="Pia Poll").wait_for(timeout=8000)
    assert time.monotonic() - started < 8
    assert pages.problems(monitor) == {}


# ---------------------------------------------------------------- screenshots


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_screenshots_of_login_and_admin(owner, pages, size):
    login = pages.open("/login?next=%2Fstaff", size=size, wait_live=False)
    login.locator("#login").wait_for(state="visible")
    type_pin_on_pad(login, "24")
    no_overflow(login, f"/login at {size}")
    # The whole pad fits on the screen without scrolling.
    box = login.locator("#submit").bounding_box()
    assert box["y"] + box["height"] <= login.viewport_size["height"], (
        "the Sign in button is below the fold"
    )
    shot(login, f"login-{size}")

    admin = open_admin(pages, signed_in(pages, OWNER_PIN, size))
    no_overflow(admin, f"/admin at {size}")
    shot(admin, f"admin-{size}", full_page=True)
    admin.fill("#pair-name", "Front desk tablet")
    admin.click("#pair-start")
    admin.locator("#pair-qr svg").wait_for(timeout=5000)
    admin.locator("#pair").scroll_into_view_if_needed()
    no_overflow(admin, f"/admin pairing at {size}")
    shot(admin, f"admin-pairing-{size}")
    assert pages.problems(login, admin) == {}
