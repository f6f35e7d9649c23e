"""The customer screens and the shop's hours (SPEC §11, issue 15), in real Chromium against
a real server whose clock libfaketime sets (the shops' zone is UTC).

- /kiosk (tablet), /join (phone) and /display (TV) say "Closed — we open at 9:00 AM" while
  the shop is closed, and switch back by themselves at the opening: no reload, no write,
  the server's own queue body at the edge.
- The kiosk and /join offer only providers on duty now, and follow a break as it starts
  or ends; the TV's tiles say "On a break until 9:30 AM", "Back at 1:00 PM", "Off today".
- Tomorrow's and another weekday's opening, a closure's reason, the last-join cutoff, and
  Arabic (right to left).

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import Pages, shot
from tests.kiosk_harness import Server
from tests.test_opening_hours import needs_faketime, running_fake_clock
from tests.test_pages_kiosk_display import new_shop

pytest_plugins = ("tests.browser",)

pytestmark = [pytest.mark.timeout(300), needs_faketime]

API = "/api/v1"
DAY = [["09:00", "13:00"], ["14:00", "19:00"]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
# The edge the live tests wait for: set-up (a shop, three screens) must be done before it.
OPENING_S = 45


def make_shop(server: Server, providers: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    """A shop of the test's own in UTC, with providers and the given hours."""
    sid, people = new_shop(server, providers)
    patched = server.client("admin").patch(f"{API}/shops/{sid}", {"timezone": "UTC", **fields})
    assert patched.status == 200, patched.body
    return {"id": sid, "providers": people}


def plan(server: Server, sid: int, provider: dict, kind: str, start: str, end: str, day: str):
    body = {"provider_id": provider["id"], "date": day, "kind": kind, "start": start, "end": end}
    made = server.client("staff").post(f"{API}/shops/{sid}/schedules", body)
    assert made.status == 201, made.body


def day_off(server: Server, sid: int, provider: dict, day: str) -> None:
    asked = server.client("staff").post(
        f"{API}/shops/{sid}/timeoff", {"provider_id": provider["id"], "start_date": day}
    )
    assert asked.status == 201, asked.body
    ok = server.client("admin").patch(f"{API}/timeoff/{asked.body['id']}", {"status": "approved"})
    assert ok.status == 200, ok.body


def open_kiosk(pages: Pages, sid: int, screen: str, lang: str = ""):
    extra = f"&lang={lang}" if lang else ""
    page = pages.open(f"/kiosk?shop={sid}{extra}", size="tablet", role="kiosk")
    page.wait_for_selector(f"#s-{screen}:not([hidden])", timeout=10_000)
    return page


def open_join(pages: Pages, sid: int, screen: str, lang: str = ""):
    extra = f"&lang={lang}" if lang else ""
    page = pages.open(f"/join?shop={sid}{extra}", size="phone")
    page.wait_for_selector(f"#s-{screen}:not([hidden])", timeout=10_000)
    return page


def open_tv(pages: Pages, sid: int, lang: str = ""):
    extra = f"&lang={lang}" if lang else ""
    page = pages.open(f"/display?shop={sid}{extra}", size="tv")
    page.wait_for_function("() => Number(document.documentElement.dataset.updates) > 0")
    return page


def texts(page, *selectors: str) -> list[str]:
    return [page.text_content(s) for s in selectors]


def wait_offered(page, names: list[str], timeout: float = 60_000) -> None:
    """The providers the join form offers, in order, become `names`."""
    expect(page.locator("#j-providers .prov")).to_have_text(names, timeout=timeout)


def tiles(page) -> list[tuple[str, str, str]]:
    """(name, state, what the tile says) for every provider tile, in screen order."""
    found = page.eval_on_selector_all(
        "#serving .desk",
        "ds => ds.map(d => [d.querySelector('.desk-name').textContent, d.dataset.state,"
        " d.querySelector('.desk-idle').textContent])",
    )
    return [tuple(tile) for tile in found]


def names_whole(page) -> bool:
    return page.eval_on_selector_all(
        "#serving .desk-name", "ns => ns.every(n => n.scrollWidth <= n.clientWidth)"
    )


# ---------------------------------------------------------------- the opening, live


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    """An appliance of this test's own, its clock a minute before Wednesday's opening
    (09:00 UTC) and running on: each live test waits for that very edge."""
    yield from running_fake_clock(tmp_path / "kiosk", f"2026-12-02 08:59:{60 - OPENING_S:02d}")


def test_closed_screens_open_by_themselves_at_the_opening(server, pages):
    shop = make_shop(server, ("Sam Shears",), opening_hours={d: DAY for d in WEEKDAYS})
    kiosk = open_kiosk(pages, shop["id"], "closed")
    phone = open_join(pages, shop["id"], "closed")
    tv = open_tv(pages, shop["id"])
    tv.wait_for_selector("#closed-note:not([hidden])", timeout=5000)
    for page in (kiosk, phone):
        assert texts(page, "#closed-heading", "#closed-reason") == [
            "We're closed",
            "Closed — we open at 9:00 AM.",
        ]
    assert texts(tv, "#closed-heading", "#closed-reason") == [
        "We're closed",
        "Closed — we open at 9:00 AM.",
    ]
    assert kiosk.locator("#go-join").is_hidden() and phone.locator("#join-form").is_hidden()
    # Nothing invites anyone in: no "No wait right now", and no join code on the TV.
    assert texts(kiosk, "#line-info") == texts(phone, "#line-info") == [""]
    assert texts(tv, "#wait-line") == [""] and tv.locator("#join-code").is_hidden()
    clock = tv.get_attribute("#clock", "data-server-time")
    assert clock < "2026-12-02T09:00:00", f"set-up ran past the opening ({clock})"
    shot(kiosk, "hours-closed-kiosk-tablet")
    shot(phone, "hours-closed-join-phone")
    shot(tv, "hours-closed-tv")

    # 09:00: nobody writes anything; each screen hears the opening and switches.
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=OPENING_S * 1000 + 20_000)
    phone.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
    tv.wait_for_selector("#closed-note", state="hidden", timeout=10_000)
    assert kiosk.get_attribute("#clock", "data-server-time") >= "2026-12-02T09:00:00"
    assert texts(kiosk, "#line-info") == texts(phone, "#line-info") == ["No wait right now"]
    assert texts(tv, "#wait-line") == ["No wait right now"]
    tv.wait_for_selector("#join-code svg", timeout=10_000)
    # And the kiosk takes a ticket again.
    kiosk.click("#go-join")
    kiosk.fill("#j-name", "Early Eve")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    shot(kiosk, "hours-opened-kiosk-tablet")
    shot(phone, "hours-opened-join-phone")
    assert pages.problems(kiosk, phone, tv) == {}


def test_only_providers_on_duty_are_offered_and_the_tv_says_who_is_away(server, pages):
    today = "2026-12-02"
    shop = make_shop(server, ("Sam Shears", "Alex Blade", "Kim Comb", "Lee Long-Named-Stylist"))
    sid = shop["id"]
    sam, alex, kim, lee = shop["providers"]
    for p in (sam, alex):
        plan(server, sid, p, "shift", "08:00", "18:00", today)
    plan(server, sid, sam, "break", "08:30", "09:00", today)  # back at the edge
    plan(server, sid, alex, "break", "09:00", "09:30", today)  # away at the edge
    day_off(server, sid, kim, today)
    plan(server, sid, lee, "shift", "13:00", "18:00", today)

    kiosk = open_kiosk(pages, sid, "start")
    kiosk.click("#go-join")
    phone = open_join(pages, sid, "join")
    tv = open_tv(pages, sid)
    for page in (kiosk, phone):
        wait_offered(page, ["Anyone", "Alex Blade"], timeout=5000)
    tv.wait_for_function(
        "() => document.querySelectorAll('#serving .desk[data-state]').length === 4"
    )
    assert tiles(tv) == [
        ("Sam Shears", "break", "On a break until 9:00 AM"),
        ("Alex Blade", "available", "Available"),
        ("Lee Long-Named-Stylist", "off", "Back at 1:00 PM"),
        ("Kim Comb", "off", "Off today"),  # off all day: last, and dimmed
    ]
    assert tv.locator("#serving .desk.off").count() == 1
    assert names_whole(tv)
    assert tv.get_attribute("#clock", "data-server-time") < "2026-12-02T09:00:00"
    # The customer picks Alex, whose break starts at 9:00.
    kiosk.locator("#j-providers .prov", has_text="Alex Blade").click()
    kiosk.fill("#j-name", "Pat Picky")
    shot(kiosk, "duty-kiosk-tablet")
    shot(phone, "duty-join-phone")
    shot(tv, "duty-tv")

    # 09:00: Sam is back, Alex goes on a break; every screen follows by itself.
    wait_offered(kiosk, ["Anyone", "Sam Shears"], timeout=OPENING_S * 1000 + 20_000)
    wait_offered(phone, ["Anyone", "Sam Shears"], timeout=10_000)
    # Alex's break took the pick back to "anyone".
    assert kiosk.get_attribute("#j-providers .prov >> nth=0", "aria-pressed") == "true"
    tv.wait_for_function(
        "() => [...document.querySelectorAll('#serving .desk')]"
        ".some(d => d.dataset.state === 'break' && d.textContent.includes('Alex Blade'))",
        timeout=10_000,
    )
    assert tiles(tv)[:2] == [
        ("Sam Shears", "available", "Available"),
        ("Alex Blade", "break", "On a break until 9:30 AM"),
    ]
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    shot(tv, "duty-tv-after-break")
    assert pages.problems(kiosk, phone, tv) == {}
