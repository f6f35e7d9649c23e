"""The customer-facing pages in a real browser against the real appliance.

/kiosk (desk tablet), /display (waiting-room TV), /t/{claim} (the customer's phone)
and /test (integrators), each driven by headless Chromium (Debian's /usr/bin/chromium)
against `kiosk serve` in a subprocess. Several pages are open at once; every wait is a
Playwright wait on a condition, with a timeout. Each test works in a shop of its own.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.browser import ROOT, XSS, Pages, shot, wait_live_status
from tests.kiosk_harness import Server, wait_until

# The fixtures `chromium` (one browser for the session) and `pages`.
pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

XSS_REDACTED = "<img o."  # first word + initial of the last (SPEC §8)

# Headless Chromium has no voices and no speakers: record what the display asks for,
# and offer one local English voice (with none for its language the display only chimes,
# SPEC §14; tests/test_pages_i18n_customer.py tests that choice).
AUDIO_SPY = """
(() => {
  window.__calls = [];
  const record = (what) => window.__calls.push(what);
  HTMLMediaElement.prototype.play = function () {
    record('play:' + (this.currentSrc || this.src || ''));
    return Promise.resolve();
  };
  if (window.speechSynthesis) {
    const english = { name: 'Test English', lang: 'en-US', localService: true, default: true,
                      voiceURI: 'test-en' };
    window.speechSynthesis.getVoices = () => [english];
    window.speechSynthesis.speak = function (u) {
      record('speak:' + u.text);
      setTimeout(() => { if (u.onend) u.onend(new Event('end')); }, 5);
    };
  }
  navigator.vibrate = function (pattern) {
    record('vibrate:' + JSON.stringify(pattern));
    return true;
  };
})();
"""


_shop_names = iter(range(1, 10_000))


def new_shop(server: Server, providers=("Chair 1", "Chair 2")) -> tuple[int, list[dict]]:
    """A shop of the test's own (isolated queue), with providers."""
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": f"Test Barbers {next(_shop_names)}"})
    assert shop.status == 201, shop.body
    made = []
    for name in providers:
        r = admin.post(f"/api/v1/shops/{shop.body['id']}/providers", {"name": name})
        assert r.status == 201, r.body
        made.append(r.body)
    return shop.body["id"], made


def join(server: Server, shop: int, name: str, provider_id: int | None = None) -> dict:
    r = server.client("kiosk").post(
        f"/api/v1/shops/{shop}/queue", {"full_name": name, "provider_id": provider_id}
    )
    assert r.status == 201, r.body
    return r.body


def set_status(server: Server, entry_id: int, status: str) -> int:
    r = server.client("staff").patch(f"/api/v1/queue/{entry_id}", {"status": status})
    assert r.status == 200, r.body
    return int(r.headers["x-seq"])


def spoken_ticket(code: str) -> str:
    m = re.fullmatch(r"([A-Z]*)0*(\d+)", code)
    assert m, code
    return f"{m.group(1)} {int(m.group(2))}"


def body_text(page) -> str:
    return page.evaluate("document.body.innerText")


def wait_text(page, text: str, timeout_ms: int = 5000, selector: str = "body") -> None:
    page.wait_for_function(
        "([sel, t]) => { const el = document.querySelector(sel); "
        "return !!el && el.innerText.includes(t); }",
        arg=[selector, text],
        timeout=timeout_ms,
    )


def wait_seq(page, seq: int, timeout_ms: int = 10_000) -> None:
    page.wait_for_function(
        "s => Number(document.documentElement.dataset.seq || -1) >= s",
        arg=seq,
        timeout=timeout_ms,
    )


def calls(page) -> list[str]:
    return page.evaluate("window.__calls || []")


def wait_call(page, prefix: str, timeout_ms: int = 5000) -> None:
    """Wait until the page has asked for `prefix` ('play:', 'speak:', 'vibrate:')."""
    page.wait_for_function(
        "p => (window.__calls || []).some(c => c.startsWith(p))", arg=prefix, timeout=timeout_ms
    )


def spoken(page) -> list[str]:
    return [c[len("speak:") :] for c in calls(page) if c.startswith("speak:")]


def vibrations(page) -> list[str]:
    return [c for c in calls(page) if c.startswith("vibrate:")]


def unlock_sound(page) -> None:
    """The one tap a shop owner gives the TV when the browser blocks audio."""
    if page.is_visible("#sound-on"):
        page.click("#sound-on-btn")
        page.wait_for_selector("#sound-on", state="hidden", timeout=2000)
    page.evaluate("window.__calls && (window.__calls.length = 0)")


def team_pages() -> list[str]:
    """The staff-side pages another team builds; tested here once they exist."""
    return [p for p in ("staff", "monitor") if (ROOT / "web" / f"{p}.html").is_file()]


# ---------------------------------------------------------------------------------------


def test_join_on_kiosk_appears_on_every_screen_within_a_second(pages, server):
    shop, providers = new_shop(server)
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    others = [
        pages.open(f"/{name}?shop={shop}", size="tablet", role="staff", wait_live=False)
        for name in team_pages()
    ]
    kiosk_context = pages.context("tablet")
    kiosk_context.clock.install()  # time flows as usual; lets the test skip ahead later
    kiosk = pages.open(f"/kiosk?shop={shop}", role="kiosk", context=kiosk_context)

    kiosk.click("#go-join")
    kiosk.fill("#j-name", "Quentin Quasar")
    kiosk.fill("#j-phone", "+44 7700 900123")
    kiosk.click(f".prov >> text={providers[1]['name']}")
    started = time.monotonic()
    kiosk.click("#j-submit")
    display.wait_for_function(
        "() => [...document.querySelectorAll('#next li')]"
        ".some(li => li.innerText.includes('Quentin Q.'))",
        timeout=1000,
    )
    elapsed = time.monotonic() - started
    for page in others:
        left_ms = int((1.0 - (time.monotonic() - started)) * 1000)
        wait_text(page, "Quentin", timeout_ms=max(100, left_ms))
    assert elapsed < 1.0, elapsed

    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
    code = kiosk.inner_text("#t-code")
    assert re.fullmatch(r"A\d{3}", code)
    row = display.locator("#next li", has_text="Quentin Q.")
    assert row.locator(".ticket").inner_text() == code
    assert "Chair 2" in row.inner_text()
    # The display never shows the phone; the kiosk shows position, wait and a QR code.
    assert "7700" not in body_text(display)
    assert kiosk.inner_text("#t-pos") == "1st"
    qr = kiosk.locator("#t-qr svg")
    assert qr.get_attribute("data-qr-text").startswith(f"{server.base_url}/t/")
    claim = qr.get_attribute("data-qr-text").rsplit("/", 1)[1]
    assert server.client().get(f"/api/v1/tickets/{claim}").body["ticket"] == code

    # The ticket screen goes back to the start by itself after ~20 s.
    kiosk.clock.run_for(21_000)
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=3000)
    assert pages.problems(display, kiosk, *others) == {}


def test_self_check_in_on_a_phone_lands_on_the_ticket_page(pages, server):
    shop, _ = new_shop(server)
    phone = pages.open(f"/join?shop={shop}", size="phone")  # a customer's own phone
    phone.wait_for_selector("#s-join:not([hidden])", timeout=5000)
    phone.fill("#j-name", "Pia Phone")
    phone.click("#j-submit")
    phone.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{10,}$"), timeout=5000)
    phone.wait_for_selector("#card:not([hidden])", timeout=5000)
    assert phone.inner_text("#name") == "Pia P."
    queue = server.client("staff").get(f"/api/v1/shops/{shop}/queue").body
    assert [(e["full_name"], e["source"]) for e in queue["queue_items"]] == [("Pia Phone", "phone")]
    assert pages.problems(phone) == {}


def test_appointment_check_in_on_the_kiosk(pages, server):
    shop, providers = new_shop(server, ("Dr. Ada",))
    staff = server.client("staff")
    today = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    booked = staff.post(
        "/api/v1/appointments",
        {
            "provider_id": providers[0]["id"],
            "date": today,
            "starts_at": f"{today}T10:30:00+00:00",
            "patient": {"name": "Peter Benjamin Parker", "phone": "555-0100", "age": 30},
        },
    )
    assert booked.status == 201, booked.body
    kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
    kiosk.click("#go-appt")
    row = kiosk.locator("#appt-list button", has_text="Peter P.")
    row.wait_for(timeout=5000)
    assert "10:30" in row.inner_text() and "Dr. Ada" in row.inner_text()
    assert "Benjamin" not in body_text(kiosk) and "555" not in body_text(kiosk)
    row.click()
    kiosk.click("#c-yes")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
    assert re.fullmatch(r"B\d{3}", kiosk.inner_text("#t-code"))
    appointments = staff.get(f"/api/v1/appointments?shop_id={shop}&date={today}").body
    assert [a["status"] for a in appointments] == ["checked_in"]
    assert pages.problems(kiosk) == {}


def test_server_restart_reconnects_polls_and_sends_the_offline_join_once(chromium, fresh_server):
    server = fresh_server.start()
    pages = Pages(chromium, server)
    try:
        shop, providers = new_shop(server)
        before = join(server, shop, "Walter Waiting")
        display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
        kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
        unlock_sound(display)
        wait_text(display, "Walter W.")

        assert server.stop() == 0
        # Reconnecting pill at once, then (3 failed connects) polling. Customer screens,
        # the TV too, poll quietly: "Reconnecting…", never the technical banner.
        display.wait_for_selector(
            '#qk-status[data-status="reconnecting"]:not([hidden])', timeout=5000
        )
        for page in (display, kiosk):
            page.wait_for_selector(
                'html[data-quiet-polling="yes"]', state="attached", timeout=15_000
            )
            assert page.locator("#qk-banner").is_hidden()
            assert "Reconnecting" in page.inner_text("#qk-status")
        shot(display, "display-tv-polling")

        # A customer joins while the appliance is down: saved in the outbox.
        kiosk.click("#go-join")
        kiosk.fill("#j-name", "Olga Offline")
        kiosk.click("#j-submit")
        kiosk.wait_for_selector("#s-pending:not([hidden])", timeout=5000)
        outbox = kiosk.evaluate("JSON.parse(localStorage.getItem('qk.outbox') || '[]')")
        assert len(outbox) == 1 and outbox[0]["body"]["full_name"] == "Olga Offline"
        shot(kiosk, "kiosk-tablet-offline-saved")

        server.start(port=server.port)
        # Changes made the moment it is back, before the pages have reconnected.
        called_seq = set_status(server, before["id"], "CALLED")
        wait_live_status(display, "connected", timeout_ms=20_000)
        wait_live_status(kiosk, "connected", timeout_ms=20_000)
        display.wait_for_selector("#qk-status", state="hidden", timeout=5000)
        assert display.evaluate("document.documentElement.dataset.polling") == "no"
        assert display.evaluate("document.documentElement.dataset.quietPolling") != "yes"

        # The offline join went through once, and the kiosk shows its ticket.
        kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
        wait_until(lambda: kiosk.evaluate("localStorage.getItem('qk.outbox')") == "[]", timeout=5)
        olga_code = kiosk.inner_text("#t-code")
        wait_text(display, "Olga O.")
        assert kiosk.evaluate("JSON.parse(localStorage.getItem('qk.outbox'))") == []
        # Even a second send of the same saved action (same Idempotency-Key) changes nothing.
        kiosk.evaluate("items => localStorage.setItem('qk.outbox', JSON.stringify(items))", outbox)
        kiosk.evaluate(
            "async () => { const m = await import('/lib/api.js'); await m.flushOutbox(); }"
        )
        queue = server.client("staff").get(f"/api/v1/shops/{shop}/queue").body
        olgas = [e for e in queue["queue_items"] if e["full_name"] == "Olga Offline"]
        assert len(olgas) == 1, olgas
        assert olgas[0]["ticket"] == olga_code

        # Nothing missed: the display caught up to the newest change, including the call.
        wait_seq(display, max(called_seq, queue["seq"]))
        serving = display.locator("#serving .serve", has_text=before["ticket"])
        assert serving.get_attribute("data-status") == "CALLED"
        assert pages.problems(display, kiosk) == {}
    finally:
        pages.close()


# Wraps the browser's WebSocket so a test can make a live socket go silent (a dead
# link that never reports a close) and see what the page sends.
SOCKET_SPY = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__sent = [];
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.__muted = false;
      window.__sockets.push(this);
      this.addEventListener('message', (e) => { if (this.__muted) e.stopImmediatePropagation(); });
    }
    send(data) { window.__sent.push(String(data)); return super.send(data); }
  };
})();
"""


def test_heartbeat_pings_and_a_silent_link_is_replaced(pages, server):
    shop, _ = new_shop(server)
    context = pages.context("tv")
    context.clock.install()
    display = pages.open(
        f"/display?shop={shop}", context=context, init_script=AUDIO_SPY + SOCKET_SPY
    )
    context.clock.run_for(21_000)
    display.wait_for_function(
        "() => window.__sent.some(s => JSON.parse(s).type === 'ping')", timeout=3000
    )
    assert display.evaluate("window.__sockets.length") == 1
    # The link goes silent without a close: after 45 s of silence it is replaced.
    display.evaluate("window.__sockets[0].__muted = true")
    context.clock.run_for(50_000)
    display.wait_for_function("() => window.__sockets.length === 2", timeout=5000)
    wait_live_status(display, "connected")
    entry = join(server, shop, "Harriet Heartbeat")
    display.locator("#next li", has_text=entry["ticket"]).wait_for(timeout=5000)
    assert pages.problems(display) == {}


RESUME_CLIENT = """
async () => {
  const { LiveSocket } = await import('/lib/live.js');
  window.__events = [];
  window.__live = new LiveSocket({
    url: '/ws/connect',
    onOpen: (live) => live.send({ command: 'join_room', room: 'orders' }),
    onMessage: (m) => {
      if (m && m.type === 'order_created') window.__events.push(m.data.n);
      if (m && m.type === 'room_joined') window.__joined = (window.__joined || 0) + 1;
    },
  }).start();
}
"""


def test_event_socket_resumes_with_since_and_misses_nothing(pages, server):
    page = pages.open("/test", size="tablet", init_script=SOCKET_SPY)
    page.evaluate(RESUME_CLIENT)
    page.wait_for_function("() => window.__live.connected")
    staff = server.client("staff")

    def emit(n: int) -> None:
        r = staff.post(
            "/api/v1/events", {"type": "order_created", "room": "orders", "data": {"n": n}}
        )
        assert r.status == 201, r.body

    page.wait_for_function("() => window.__joined === 1", timeout=3000)
    emit(1)
    page.wait_for_function("() => window.__events.length === 1", timeout=3000)
    # The link drops (held down by a long backoff); three events happen meanwhile.
    page.evaluate("window.__live.opts.baseDelayMs = 60000; window.__live.ws.close()")
    page.wait_for_function("() => window.__live.status === 'reconnecting'", timeout=3000)
    for n in (2, 3, 4):
        emit(n)
    page.evaluate("window.__live.reconnectNow()")
    page.wait_for_function("() => window.__joined === 2", timeout=10_000)
    emit(5)
    page.wait_for_function("() => window.__events.length >= 5", timeout=5000)
    assert page.evaluate("window.__events") == [1, 2, 3, 4, 5]  # once each, in order
    urls = page.evaluate("window.__sockets.map(s => s.url)")
    rooms = [u for u in urls if "/ws/connect" in u]
    assert len(rooms) == 2 and "since=" not in rooms[0] and "since=" in rooms[1], rooms
    page.evaluate("window.__live.stop()")


def test_a_call_chimes_and_speaks_on_the_display(pages, server):
    shop, providers = new_shop(server, ("Chair 1", "Chair 2"))
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    quiet = pages.open(f"/display?shop={shop}&voice=off", size="tv", init_script=AUDIO_SPY)
    anonymous = pages.open(f"/display?shop={shop}&names=off", size="tv", init_script=AUDIO_SPY)
    for page in (display, quiet, anonymous):
        unlock_sound(page)
    waiting = join(server, shop, "Zoe Zimmer")
    entry = join(server, shop, "John Michael Doe", providers[1]["id"])
    seq = set_status(server, entry["id"], "CALLED")
    said = spoken_ticket(entry["ticket"])

    wait_call(display, "speak:")
    log = calls(display)
    assert spoken(display) == [f"Ticket {said}, John D., Chair 2"], log
    assert log[0].startswith("play:") and log[0].endswith("/assets/chime.wav"), log  # chime first
    assert display.inner_text("#call .ticket") == entry["ticket"]
    assert "Chair 2" in display.inner_text("#call .where")
    desk = display.locator("#serving .desk", has_text="Chair 2")
    assert entry["ticket"] in desk.inner_text() and "John D." in desk.inner_text()
    shot(display, "display-tv-calling")

    wait_call(anonymous, "speak:")
    assert spoken(anonymous) == [f"Ticket {said}, Chair 2"]
    assert "John" not in body_text(anonymous) and "Zoe" not in body_text(anonymous)

    wait_seq(quiet, seq)
    wait_call(quiet, "play:")
    quiet.wait_for_selector("#call:not([hidden])", timeout=2000)
    assert spoken(quiet) == []

    # Moving on (start, complete) and an ordinary update never chime again.
    set_status(server, entry["id"], "IN_SERVICE")
    last = set_status(server, waiting["id"], "LEFT")
    wait_seq(display, last)
    assert len([c for c in calls(display) if c.startswith("play:")]) == 1
    assert pages.problems(display, quiet, anonymous) == {}


def test_the_owners_display_settings_reach_the_tv_live(pages, server):
    """Ticket-only and a silent call-out, set once at /admin, reach an open TV at once."""
    shop, providers = new_shop(server)
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    unlock_sound(display)
    admin = server.client("admin")
    try:
        changed = admin.patch(
            "/api/v1/settings", {"display_names": "ticket", "display_voice": False}
        )
        assert changed.status == 200, changed.body
        entry = join(server, shop, "Greta Garbo", providers[0]["id"])
        seq = set_status(server, entry["id"], "CALLED")
        wait_seq(display, seq)
        wait_call(display, "play:")  # the chime still sounds
        display.wait_for_selector("#call:not([hidden])", timeout=2000)
        assert entry["ticket"] in display.inner_text("#call .ticket")
        assert spoken(display) == []
        assert "Greta" not in body_text(display)
        # The desk tablet gets no name back either, and greets without one.
        kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
        kiosk.click("#go-join")
        kiosk.fill("#j-name", "Hedy Lamarr")
        kiosk.locator(".prov").first.click()
        kiosk.click("#j-submit")
        kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
        assert kiosk.inner_text("#t-hello") == "You're in!"
        assert "Hedy" not in body_text(kiosk)
    finally:
        admin.patch("/api/v1/settings", {"display_names": "initial", "display_voice": True})
    assert pages.problems(display, kiosk) == {}


def test_sound_overlay_appears_when_the_browser_blocks_audio(pages, server):
    shop, _ = new_shop(server)
    blocked = (
        AUDIO_SPY
        + """
      HTMLMediaElement.prototype.play = function () {
        window.__calls.push('play-blocked');
        return Promise.reject(new DOMException('needs a tap', 'NotAllowedError'));
      };
    """
    )
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=blocked)
    if display.is_visible("#sound-on"):
        display.evaluate("document.getElementById('sound-on').hidden = true")
    entry = join(server, shop, "Amy Adams")
    set_status(server, entry["id"], "CALLED")
    display.wait_for_selector("#sound-on:not([hidden])", timeout=5000)
    shot(display, "display-tv-sound-overlay")
    display.click("#sound-on-btn")
    display.wait_for_selector("#sound-on", state="hidden", timeout=2000)


def test_display_heap_stays_flat_over_thousands_of_updates(pages, server):
    shop, providers = new_shop(server, ("Chair 1", "Chair 2", "Chair 3"))
    for i in range(12):
        join(server, shop, f"Base Customer{i} Long", providers[i % 3]["id"] if i % 2 else None)
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    unlock_sound(display)
    cdp = display.context.new_cdp_session(display)
    cdp.send("Performance.enable")
    staff = server.client("staff")
    kiosk = server.client("kiosk")

    def cycle(i: int) -> int:
        """join -> call -> start -> complete: four queue updates."""
        r = kiosk.post(
            f"/api/v1/shops/{shop}/queue",
            {"full_name": f"Churn Person{i}", "provider_id": providers[i % 3]["id"]},
        )
        assert r.status == 201, r.body
        seq = 0
        for status in ("CALLED", "IN_SERVICE", "COMPLETED"):
            p = staff.patch(f"/api/v1/queue/{r.body['id']}", {"status": status})
            assert p.status == 200, p.body
            seq = int(p.headers["x-seq"])
        return seq

    def churn(cycles: int) -> int:
        return max(cycle(i) for i in range(cycles))

    def measure() -> dict[str, float]:
        cdp.send("HeapProfiler.collectGarbage")
        cdp.send("HeapProfiler.collectGarbage")
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    wait_seq(display, churn(50), timeout_ms=30_000)  # warm-up: every code path has run
    before = measure()
    rendered_before = int(display.evaluate("document.documentElement.dataset.updates"))
    last = churn(700)  # 2800 changes
    wait_seq(display, last, timeout_ms=60_000)
    after = measure()
    rendered = int(display.evaluate("document.documentElement.dataset.updates")) - rendered_before
    # Bursts may be coalesced into one snapshot; most still arrive one by one.
    assert rendered >= 2000, rendered

    growth = after["JSHeapUsedSize"] - before["JSHeapUsedSize"]
    # Keeping every snapshot would cost ~3 KB each (> 6 MB here); a flat page grows by
    # little more than V8's own bookkeeping.
    assert growth < 1.5 * 1024 * 1024, (before["JSHeapUsedSize"], after["JSHeapUsedSize"])
    assert after["Nodes"] - before["Nodes"] < 300, (before["Nodes"], after["Nodes"])
    assert after["JSEventListeners"] - before["JSEventListeners"] < 30
    # The screen is still right after all that.
    assert display.locator("#next li").count() > 0
    assert display.inner_text("#waiting-count") == "12"
    assert pages.problems(display) == {}


def test_customer_text_is_rendered_as_text_everywhere(pages, server):
    shop, providers = new_shop(server, ("<b>Chair</b> 1",))
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    test_page = pages.open(f"/test?shop={shop}", size="tablet")
    others = [
        pages.open(f"/{name}?shop={shop}", size="tablet", role="staff", wait_live=False)
        for name in team_pages()
    ]
    kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
    kiosk.click("#go-join")
    kiosk.fill("#j-name", XSS)
    provider_button = kiosk.locator(".prov").nth(1)
    assert provider_button.inner_text() == "<b>Chair</b> 1"
    provider_button.click()
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
    assert XSS_REDACTED in kiosk.inner_text("#t-hello")
    claim = kiosk.locator("#t-qr svg").get_attribute("data-qr-text").rsplit("/", 1)[1]
    queue = server.client("staff").get(f"/api/v1/shops/{shop}/queue").body
    entry_id = queue["queue_items"][0]["id"]
    set_status(server, entry_id, "CALLED")

    ticket = pages.open(f"/t/{claim}", size="phone", init_script=AUDIO_SPY)
    ticket.wait_for_selector("#card:not([hidden])", timeout=5000)
    assert ticket.inner_text("#name") == XSS_REDACTED
    assert "<b>Chair</b> 1" in ticket.inner_text("#alert")
    wait_call(display, "speak:")
    assert XSS_REDACTED in display.inner_text("#call .who")
    assert "<b>Chair</b> 1" in display.inner_text("#serving")
    wait_text(test_page, XSS_REDACTED, selector="#c-log")
    for page in others:
        wait_text(page, XSS, timeout_ms=5000)
    for page in (display, test_page, kiosk, ticket, *others):
        assert page.locator('img[src="x"]').count() == 0, page.url
        assert page.locator("b", has_text="Chair").count() == 0, page.url
    assert pages.problems(display, test_page, kiosk, ticket, *others) == {}


def test_phone_ticket_follows_the_queue_and_can_leave(pages, server):
    shop, providers = new_shop(server)
    first = join(server, shop, "Anna First")
    second = join(server, shop, "Ben Second")
    mine = join(server, shop, "Cleo Mine", providers[0]["id"])
    ticket = pages.open(f"/t/{mine['claim']}", size="phone", init_script=AUDIO_SPY)
    ticket.wait_for_selector("#card:not([hidden])", timeout=5000)
    assert ticket.inner_text("#code") == mine["ticket"]
    assert ticket.inner_text("#name") == "Cleo M."
    assert ticket.inner_text("#pos") == "3rd"
    assert "2 people are ahead" in ticket.inner_text("#ahead")
    shot(ticket, "ticket-phone-waiting")

    assert ticket.is_hidden("#alert")
    assert not [c for c in calls(ticket) if c.startswith("vibrate:")]

    set_status(server, first["id"], "CALLED")  # one ahead now: get ready
    ticket.wait_for_selector('#alert[data-kind="soon"]:not([hidden])', timeout=3000)
    assert ticket.inner_text("#pos") == "2nd"
    assert "one person" in ticket.inner_text("#alert")
    wait_call(ticket, "vibrate:")
    shot(ticket, "ticket-phone-one-ahead")

    set_status(server, second["id"], "LEFT")  # next
    ticket.wait_for_selector('#alert[data-kind="next"]:not([hidden])', timeout=3000)
    assert len(vibrations(ticket)) == 2
    shot(ticket, "ticket-phone-next")

    set_status(server, mine["id"], "CALLED")
    ticket.wait_for_selector('#alert[data-kind="called"]', timeout=3000)
    assert "Chair 1" in ticket.inner_text("#alert")
    assert len(vibrations(ticket)) == 3
    # A periodic refresh or an unrelated change does not buzz again.
    last = join(server, shop, "Dora Later")
    ticket.wait_for_function(
        "s => Number(document.documentElement.dataset.seq) >= s",
        arg=int(server.client().get(f"/api/v1/shops/{shop}/queue").body["seq"]),
    )
    assert len(vibrations(ticket)) == 3 and last["ticket"]
    shot(ticket, "ticket-phone-called")

    # Recall (back in line at the front), then leave with a confirmation.
    set_status(server, mine["id"], "CHECKED_IN")
    ticket.wait_for_selector('#alert[data-kind="next"]', timeout=3000)
    ticket.click("#leave")
    ticket.wait_for_selector("#confirm:not([hidden])")
    shot(ticket, "ticket-phone-confirm-leave")
    ticket.click("#confirm-no")
    assert server.client().get(f"/api/v1/tickets/{mine['claim']}").body["status"] == "CHECKED_IN"
    ticket.click("#leave")
    ticket.click("#confirm-yes")
    ticket.wait_for_selector('#alert[data-kind="closed"]', timeout=3000)
    assert server.client().get(f"/api/v1/tickets/{mine['claim']}").body["status"] == "LEFT"
    assert ticket.is_hidden("#leave")
    assert pages.problems(ticket) == {}


def test_test_page_subscribes_and_has_a_raw_console(pages, server):
    shop, _ = new_shop(server)
    page = pages.open(f"/test?shop={shop}", size="tablet")
    page.wait_for_selector("#c-log li .kind:text-is('snapshot')", timeout=5000)
    entry = join(server, shop, "Tess Tester")
    page.wait_for_function(
        "() => document.querySelector('#c-log li .kind').innerText === 'update'", timeout=3000
    )
    newest = json.loads(page.inner_text("#c-log li pre"))
    assert newest["type"] == "update" and newest["data"]["date"]
    assert "Tess T." in page.inner_text("#c-log li pre")

    page.fill("#r-path", "/ws/connect")
    page.click("#r-connect")
    page.wait_for_selector('#r-state[data-on="yes"]', timeout=5000)
    page.fill("#r-text", '{"command": "ping"}')
    page.click("#r-send")
    page.wait_for_selector("#r-log li.in .kind:text-is('pong')", timeout=3000)
    page.fill("#r-text", "not json")
    page.click("#r-send")
    page.wait_for_selector("#r-log li.in .kind:text-is('error')", timeout=3000)
    # Bounded: the central log keeps the newest 50.
    for _ in range(60):
        page.click("#c-ping")
    page.wait_for_function("() => document.querySelector('#c-log li .kind').innerText === 'pong'")
    assert page.locator("#c-log li").count() <= 50
    assert entry["ticket"]
    assert pages.problems(page) == {}


SCREENS = [
    # (name, path template, size, role, prepare)
    ("kiosk-tablet-start", "/kiosk?shop={shop}", "tablet", "kiosk", None),
    ("kiosk-tablet-join", "/kiosk?shop={shop}", "tablet", "kiosk", "join-form"),
    ("kiosk-tablet-ticket", "/kiosk?shop={shop}", "tablet", "kiosk", "join"),
    ("kiosk-tablet-appointments", "/kiosk?shop={shop}", "tablet", "kiosk", "appointments"),
    ("kiosk-phone-unpaired", "/kiosk?shop={shop}", "phone", None, None),
    ("join-phone", "/join?shop={shop}", "phone", None, None),
    ("kiosk-phone-ticket", "/kiosk?shop={shop}", "phone", "kiosk", "join"),
    ("kiosk-tv-start", "/kiosk?shop={shop}", "tv", "kiosk", None),
    ("display-tv", "/display?shop={shop}", "tv", None, None),
    ("display-tablet", "/display?shop={shop}", "tablet", None, None),
    ("display-phone", "/display?shop={shop}", "phone", None, None),
    ("ticket-phone", "/t/{claim}", "phone", None, None),
    ("ticket-tablet", "/t/{claim}", "tablet", None, None),
    ("ticket-tv", "/t/{claim}", "tv", None, None),
    ("test-tablet", "/test?shop={shop}", "tablet", None, None),
    ("test-phone", "/test?shop={shop}", "phone", None, None),
    ("test-tv", "/test?shop={shop}", "tv", None, None),
]


def test_screenshots_at_tablet_phone_and_tv_sizes(pages, server):
    shop, providers = new_shop(server, ("Chair 1", "Maria", "Chair 3"))
    staff = server.client("staff")
    today = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    for i, name in enumerate(["Peter Parker", "Mary Jane Watson", "Harry Osborn"]):
        staff.post(
            "/api/v1/appointments",
            {
                "provider_id": providers[i]["id"],
                "date": today,
                "starts_at": f"{today}T{10 + i}:30:00+00:00",
                "patient": {"name": name},
            },
        )
    names = [
        "John Doe",
        "Alice Smith",
        "Bob Stone",
        "Carla Jiménez-Rodríguez",
        "Dan Brown",
        "Eve Long-Surname-That-Goes-On",
        "Frank Ocean",
        "Gina Torres",
        "Hal Jordan",
    ]
    entries = [
        join(server, shop, n, providers[i % 3]["id"] if i % 3 else None)
        for i, n in enumerate(names)
    ]
    set_status(server, entries[0]["id"], "CALLED")
    staff.patch(f"/api/v1/queue/{entries[1]['id']}", {"status": "IN_SERVICE"})
    claim = entries[5]["claim"]

    for name, template, size, role, prepare in SCREENS:
        path = template.format(shop=shop, claim=claim)
        page = pages.open(
            path, size=size, role=role, init_script=AUDIO_SPY, wait_live=not path.startswith("/t/")
        )
        if path.startswith("/display"):
            unlock_sound(page)
            page.wait_for_selector("#next li", timeout=5000)
        if path.startswith("/t/"):
            page.wait_for_selector("#card:not([hidden])", timeout=5000)
        if path.startswith("/test"):
            page.wait_for_selector("#c-log li pre", timeout=5000)
        if prepare == "join-form":
            page.click("#go-join")
            page.wait_for_selector(".prov", timeout=5000) if role else None
            page.fill("#j-name", "Sam Sample")
        elif prepare == "join":
            page.click("#go-join")
            page.fill("#j-name", "Sam Sample")
            page.click("#j-submit")
            page.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
        elif prepare == "appointments":
            page.click("#go-appt")
            page.wait_for_selector("#appt-list li", timeout=5000)
        path_png = shot(page, name)
        assert path_png.stat().st_size > 5000
        # Nothing spills sideways (a phone must never scroll horizontally).
        overflow = page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
        assert overflow <= 0, (name, overflow)
        assert pages.problems(page) == {}
        page.close()
    assert len(list(Path(ROOT / "test-artifacts" / "screenshots").glob("*.png"))) >= len(SCREENS)
