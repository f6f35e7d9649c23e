"""The waiting-room TV (/display) during a call, as a TV nobody touches sees it.

Playwright's `evaluate`, locators and `page.screenshot` count as a user gesture, and a
gesture unlocks sound: a test of an untouched TV reads the page only through the
DevTools protocol (`Runtime.evaluate` with `userGesture: false`, `Page.captureScreenshot`)
and asserts that `navigator.userActivation.hasBeenActive` stays false (SPEC §9, issue 13).
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.browser import SCREENSHOTS
from tests.test_pages_kiosk_display import AUDIO_SPY, join, new_shop, set_status, unlock_sound

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

# Records each chime the page attempts, then lets the browser's own autoplay policy decide
# (an untouched headless Chromium blocks it, as a TV's browser does).
PLAY_SPY = """
(() => {
  window.__calls = [];
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.__calls.push('play:' + (this.currentSrc || this.src || ''));
    return play.call(this);
  };
})();
"""

# What an untouched TV shows, measured in the page: is the call banner the topmost element
# at its own centre (nothing covers it), and at the centres of the now-serving tiles and
# the next-up list (nothing dims them)?
LOOK = """
(() => {
  const topAt = (el) => {
    if (!el || el.hidden) return null;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return null;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && el.contains(hit);
  };
  const strip = document.getElementById('sound-on');
  const box = strip && !strip.hidden ? strip.getBoundingClientRect() : null;
  return {
    active: navigator.userActivation.hasBeenActive,
    seq: Number(document.documentElement.dataset.seq || -1),
    live: document.documentElement.dataset.live,
    call: document.getElementById('call').hidden ? null : {
      ticket: document.querySelector('#call .ticket').textContent,
      where: document.querySelector('#call .where').textContent,
      onTop: topAt(document.getElementById('call')),
    },
    tiles: [...document.querySelectorAll('#serving .desk')].map(topAt),
    next: topAt(document.getElementById('next-panel')),
    strip: box && { height: box.height, width: box.width, top: box.top, bottom: box.bottom },
    viewport: { width: innerWidth, height: innerHeight },
    plays: (window.__calls || []).filter((c) => c.startsWith('play:')).length,
    blocked: (() => {
      const ctx = new AudioContext();
      const suspended = ctx.state === 'suspended';
      ctx.close();
      return suspended;
    })(),
  };
})()
"""


# The page is live and has drawn the shop's queue.
SHOWN = (
    "document.documentElement.dataset.live === 'connected'"
    " && Number(document.documentElement.dataset.seq) >= 0"
    " && !!document.querySelector('#serving .desk')"
)

# A browser that blocks sound, whatever an earlier test in this browser did.
BLOCKED = """
window.AudioContext = class { constructor() { this.state = 'suspended'; } close() {} };
"""


class Untouched:
    """A page read only through the DevTools protocol, never with a user gesture."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def eval(self, expression: str):
        r = self.cdp.send(
            "Runtime.evaluate",
            {"expression": expression, "userGesture": False, "returnByValue": True},
        )
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def wait(self, condition: str, timeout_ms: int = 10_000) -> None:
        """Wait, in the page, until `condition` (an expression) is true."""
        expression = f"""new Promise((resolve) => {{
          const until = Date.now() + {timeout_ms};
          const check = () => {{
            let ok = false;
            try {{ ok = !!({condition}); }} catch (e) {{ ok = false; }}
            if (ok || Date.now() > until) resolve(ok); else setTimeout(check, 25);
          }};
          check();
        }})"""
        r = self.cdp.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "userGesture": False,
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        assert r["result"].get("value") is True, (condition, self.look())

    def look(self) -> dict:
        return self.eval(LOOK)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        data = self.cdp.send("Page.captureScreenshot", {"format": "png"})["data"]
        (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(data))

    def reload(self) -> None:
        self.eval("window.__beforeReload = 1")
        self.cdp.send("Page.reload", {})
        self.wait(f"!window.__beforeReload && {SHOWN}")


def open_untouched(pages, shop: int, size: str) -> Untouched:
    page = pages.open(f"/display?shop={shop}", size=size, init_script=PLAY_SPY, wait_live=False)
    tv = Untouched(page)
    tv.wait(SHOWN)
    return tv


def assert_nothing_covers_the_call(seen: dict, ticket: str) -> None:
    assert seen["active"] is False, seen  # still an untouched TV
    assert seen["call"] is not None and seen["call"]["ticket"] == ticket, seen
    assert seen["call"]["onTop"] is True, seen  # nothing covers the banner
    assert seen["tiles"] and all(seen["tiles"]), seen  # nothing dims the tiles
    assert seen["next"] is True, seen  # nor the next-up list
    if seen["strip"]:  # the sound prompt is a small strip, never an overlay
        assert seen["strip"]["height"] <= 0.08 * seen["viewport"]["height"], seen


@pytest.mark.parametrize("size", ["tv", "tablet", "phone"])
def test_an_untouched_tv_shows_a_call_uncovered(pages, server, size):
    shop, providers = new_shop(server, ("Chair 1", "Chair 2"))
    join(server, shop, "Walter Waiting")
    tv = open_untouched(pages, shop, size)
    before = tv.look()
    assert before["active"] is False, before
    # The browser blocks sound on a TV nobody touched: a small strip asks for one tap.
    assert before["blocked"] is False or before["strip"] is not None, before
    assert before["strip"]["height"] <= 0.08 * before["viewport"]["height"], before

    entry = join(server, shop, "Ben Carter", providers[1]["id"])
    seq = set_status(server, entry["id"], "CALLED")
    tv.wait(f"Number(document.documentElement.dataset.seq) >= {seq}")
    tv.wait("!document.getElementById('call').hidden")
    seen = tv.look()
    assert_nothing_covers_the_call(seen, entry["ticket"])
    assert "Chair 2" in seen["call"]["where"], seen
    tv.wait("(window.__calls || []).some((c) => c.startsWith('play:'))")  # the chime was tried
    tv.shot(f"tv-calls-untouched-{size}")
    assert tv.look()["active"] is False

    # The daily reload: the TV comes back undimmed, and the next call is fully visible.
    tv.reload()
    again = tv.look()
    assert again["active"] is False, again
    assert again["tiles"] and all(again["tiles"]) and again["next"] is True, again
    other = join(server, shop, "Cleo Cole", providers[0]["id"])
    seq = set_status(server, other["id"], "CALLED")
    tv.wait(f"Number(document.documentElement.dataset.seq) >= {seq}")
    shown = f"document.querySelector('#call .ticket').textContent === {json.dumps(other['ticket'])}"
    tv.wait(shown)
    assert_nothing_covers_the_call(tv.look(), other["ticket"])
    assert pages.problems(tv.page) == {}


def test_one_tap_or_one_remote_press_turns_sound_on_and_the_strip_goes(pages, server):
    shop, _ = new_shop(server)
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY + BLOCKED)
    display.wait_for_selector("#sound-on:not([hidden])", timeout=5000)
    display.click("#sound-on-btn")
    display.wait_for_selector("#sound-on", state="hidden", timeout=2000)
    # A TV's remote: one press of OK on a fresh page does the same.
    remote = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY + BLOCKED)
    remote.wait_for_selector("#sound-on:not([hidden])", timeout=5000)
    remote.bring_to_front()
    remote.keyboard.press("Enter")
    remote.wait_for_selector("#sound-on", state="hidden", timeout=2000)
    assert pages.problems(display, remote) == {}


@pytest.mark.parametrize("status", ["IN_SERVICE", "CHECKED_IN", "NO_SHOW", "LEFT", "CANCELLED"])
def test_the_call_banner_ends_when_the_ticket_leaves_called(pages, server, status):
    shop, providers = new_shop(server, ("Jonas",))
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    unlock_sound(display)
    entry = join(server, shop, "Ben Carter", providers[0]["id"])
    set_status(server, entry["id"], "CALLED")
    display.wait_for_selector("#call:not([hidden])", timeout=5000)
    assert display.inner_text("#call .ticket") == entry["ticket"]
    assert "Jonas" in display.inner_text("#call .where")

    set_status(server, entry["id"], status)
    # Well before the banner's own 12 s.
    display.wait_for_selector("#call", state="hidden", timeout=2500)
    assert pages.problems(display) == {}


def test_a_later_call_keeps_the_banner_when_an_earlier_one_ends(pages, server):
    shop, providers = new_shop(server, ("Jonas", "Mia"))
    display = pages.open(f"/display?shop={shop}", size="tv", init_script=AUDIO_SPY)
    unlock_sound(display)
    first = join(server, shop, "Ben Carter", providers[0]["id"])
    second = join(server, shop, "Dora Diaz", providers[1]["id"])
    set_status(server, first["id"], "CALLED")
    set_status(server, second["id"], "CALLED")
    display.wait_for_function(
        "t => document.querySelector('#call .ticket').textContent === t",
        arg=second["ticket"],
        timeout=5000,
    )
    seq = set_status(server, first["id"], "IN_SERVICE")
    display.wait_for_function(
        "s => Number(document.documentElement.dataset.seq) >= s", arg=seq, timeout=5000
    )
    assert display.is_visible("#call")
    assert display.inner_text("#call .ticket") == second["ticket"]
    set_status(server, second["id"], "IN_SERVICE")
    display.wait_for_selector("#call", state="hidden", timeout=2500)
