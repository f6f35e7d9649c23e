"""The customer's own ticket page (/t/{claim}) when their turn comes, in a real browser.

Served over plain HTTP on the shop's LAN the page gets no notifications, wake lock or
service worker, so the page itself must say "you're next" (the whole page changes),
vibrate and chime with Web Audio once the browser allows it (SPEC §9). Real headless
Chromium and its real AudioContext; the spy only records what the page starts.
"""

from __future__ import annotations

import pytest

from tests.browser import shot
from tests.kiosk_harness import wait_until

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(180)

# Records the page's vibrations and every tone it starts, then lets the real one play.
TURN_SPY = """
(() => {
  window.__turn = [];
  navigator.vibrate = (pattern) => {
    window.__turn.push('vibrate:' + JSON.stringify(pattern));
    return true;
  };
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__turn.push('tone:' + this.frequency.value);
    return start.apply(this, args);
  };
})();
"""


def recorded(page, prefix: str) -> list[str]:
    return [c for c in page.evaluate("window.__turn") if c.startswith(prefix)]


def wait_recorded(page, prefix: str, count: int) -> None:
    page.wait_for_function(
        "([p, n]) => window.__turn.filter(c => c.startsWith(p)).length >= n",
        arg=[prefix, count],
        timeout=5000,
    )


def test_the_phone_says_youre_next_then_your_turn_and_chimes(pages, server):
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "Turn Barbers"}).body["id"]
    sam = admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Sam"}).body
    kiosk = server.client("kiosk")
    first = kiosk.post(f"/api/v1/shops/{shop}/queue", {"full_name": "Ann First"}).body
    mine = kiosk.post(
        f"/api/v1/shops/{shop}/queue", {"full_name": "Cleo Mine", "provider_id": sam["id"]}
    ).body
    ctx = pages.context("phone", has_touch=True)
    page = pages.open(f"/t/{mine['claim']}", context=ctx, init_script=TURN_SPY, wait_live=False)
    page.wait_for_selector("#card:not([hidden])", timeout=10_000)
    page.wait_for_selector('html[data-live="connected"]', state="attached", timeout=10_000)
    assert page.get_attribute("html", "data-turn") is None
    # The server's clock, as on every customer screen.
    page.wait_for_function(
        "() => !!document.getElementById('clock').dataset.serverTime", timeout=5000
    )
    # One tap lets this page make sound (the browser's rule), and buzzes once to show it.
    page.locator("#sound-on").tap()
    page.wait_for_selector('html[data-sound="on"]', state="attached", timeout=5000)
    assert page.is_hidden("#sound-on")
    shot(page, "ticket-phone-second-in-line")

    staff = server.client("staff")
    assert staff.patch(f"/api/v1/queue/{first['id']}", {"status": "CALLED"}).status == 200
    page.wait_for_selector('html[data-turn="next"]', state="attached", timeout=5000)
    assert "You're next!" in page.inner_text("#alert")
    wait_recorded(page, "tone:", 2)
    # "one ahead" on opening, the tap's own, then "next".
    assert recorded(page, "vibrate:") == ["vibrate:[200]", "vibrate:60", "vibrate:[200,100,200]"]
    next_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    shot(page, "ticket-phone-youre-next")

    assert staff.patch(f"/api/v1/queue/{mine['id']}", {"status": "CALLED"}).status == 200
    page.wait_for_selector('html[data-turn="called"]', state="attached", timeout=5000)
    alert = page.inner_text("#alert")
    assert "It's your turn!" in alert and "Please go to Sam." in alert
    wait_recorded(page, "tone:", 4)
    assert len(recorded(page, "vibrate:")) == 4
    called_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert len({next_bg, called_bg, "rgb(238, 241, 246)"}) == 3, "each state shows on the page"
    # The alert reads from arm's length.
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('alert')).fontSize)")
    assert size >= 30
    shot(page, "ticket-phone-your-turn")

    # Staff call again: the phone buzzes and chimes once more.
    assert staff.post(f"/api/v1/queue/{mine['id']}/announce").status == 200
    wait_recorded(page, "vibrate:", 5)
    wait_recorded(page, "tone:", 6)
    assert page.get_attribute("html", "data-turn") == "called"

    assert staff.patch(f"/api/v1/queue/{mine['id']}", {"status": "IN_SERVICE"}).status == 200
    page.wait_for_function("() => !document.documentElement.dataset.turn", timeout=5000)
    assert pages.problems(page) == {}


def test_a_ticket_page_that_may_not_sound_yet_offers_the_tap(pages, server):
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "Quiet Barbers"}).body["id"]
    mine = server.client("kiosk").post(f"/api/v1/shops/{shop}/queue", {"full_name": "Ida"}).body
    ctx = pages.context("phone")
    page = pages.open(f"/t/{mine['claim']}", context=ctx, init_script=TURN_SPY, wait_live=False)
    # Read through the DevTools protocol only: Playwright's own waits and evaluate count
    # as a user gesture, which is exactly what would let the page make sound.
    cdp = ctx.new_cdp_session(page)

    def read(expression: str):
        answer = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return answer["result"].get("value")

    # First in line at once: "you're next", a vibration asked for, and no tone, because
    # nothing has allowed this page to make sound.
    wait_until(lambda: read("document.documentElement.dataset.turn") == "next", timeout=10)
    wait_until(lambda: read("window.__turn.some(c => c.startsWith('vibrate:'))"), timeout=5)
    assert read("navigator.userActivation.hasBeenActive") is False
    assert read("window.__turn.filter(c => c.startsWith('tone:'))") == []
    assert read("!document.getElementById('sound-on').hidden") is True
    assert "sound" in read("document.getElementById('sound-on').innerText")
    shot(page, "ticket-phone-next-sound-off")  # (a gesture itself: taken last)
    assert pages.problems(page) == {}
