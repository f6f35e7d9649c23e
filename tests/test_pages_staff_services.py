"""/staff with services and priority (SPEC §10, issue 14), in real Chromium against a real
server and its SQLite file.

- Each ticket shows its service by name, and a rename at /admin reaches the rows live.
- A walk-in takes a service (the choice shows only when the shop has more than one) and
  priority; the ⋯ menu marks and unmarks priority and moves a ticket to another service,
  which keeps its place. Rows show the real calling order after the rule placed a ticket.
- The priority mark is discreet on staff screens and absent from the TV.
- When this chair offers no service the waiting tickets ask for, Call next says so in a
  catalog sentence (and a hint under it says so before a press).
- Waits are a range when the server gives one ("wait 10–20 min"), never false precision.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kiosk.config import DB_FILENAME
from tests.browser import Pages, shot
from tests.kiosk_harness import wait_until
from tests.test_pages_staff_monitor import Shop, new_shop, open_staff, row_ids, wait_rows

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

_history = itertools.count(1)


def new_service(shop: Shop, name: str, minutes: int = 20, **fields: Any) -> dict[str, Any]:
    r = shop.server.client("admin").post(
        f"/api/v1/shops/{shop.id}/services", {"name": name, "minutes": minutes, **fields}
    )
    assert r.status == 201, r.body
    return r.body


def join(shop: Shop, name: str, service: dict | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"full_name": name, **fields}
    if service is not None:
        body["service_id"] = service["id"]
    r = shop.staff.post(f"/api/v1/shops/{shop.id}/queue", body)
    assert r.status == 201, r.body
    return r.body


def row(staff, entry_id: int):
    return staff.locator(f'#waiting > .row[data-id="{entry_id}"]')


def meta_has(staff, entry_id: int, text: str, timeout: int = 5000) -> None:
    row(staff, entry_id).locator(".meta", has_text=text).wait_for(timeout=timeout)


def open_menu(staff, entry_id: int):
    r = row(staff, entry_id)
    r.locator("details.more > summary").click()
    return r.locator(".menu")


def positions_shown(staff) -> dict[int, str]:
    return staff.eval_on_selector_all(
        "#waiting > .row",
        "rs => Object.fromEntries(rs.map(r => [r.dataset.id, "
        "r.querySelector('.pos').textContent]))",
    )


def assert_rows_follow_server(staff, shop: Shop) -> None:
    """The rows are the shop's calling order, numbered as the server numbers them."""
    order = shop.waiting_ids()
    wait_rows(staff, order)
    shown = positions_shown(staff)
    queue = {e["id"]: e for e in shop.queue()["queue_items"]}
    assert {int(k): v for k, v in shown.items()} == {
        i: str(queue[i]["position_in_queue"]) for i in order
    }


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_services_by_name_live_and_a_priority_walk_in_with_a_service(server, pages, size):
    shop = new_shop(server)
    bob, alice = shop.providers
    cut = new_service(shop, "Haircut", 30)
    beard = new_service(shop, "Beard trim", 15, provider_ids=[bob["id"]])
    ada = join(shop, "Ada Early", cut)
    ben = join(shop, "Ben Bristle", beard)
    cy = join(shop, "Cy Plain")
    staff = open_staff(pages, shop, size=size)
    wait_rows(staff, [ada["id"], ben["id"], cy["id"]])
    meta_has(staff, ada["id"], "Haircut")
    meta_has(staff, ben["id"], "Beard trim")
    assert "Haircut" not in row(staff, cy["id"]).locator(".meta").text_content()

    # Renamed at /admin: the rows follow with the next queue update, no reload.
    admin = server.client("admin")
    assert admin.patch(f"/api/v1/services/{cut['id']}", {"name": "Cut & wash"}).status == 200
    meta_has(staff, ada["id"], "Cut & wash")

    # The walk-in form offers the services, and for Beard trim only Bob.
    walkin_service = staff.locator("#walkin-service")
    assert walkin_service.is_visible()
    options = staff.eval_on_selector_all(
        "#walkin-service option", "os => os.map(o => o.textContent)"
    )
    assert options == ["No service chosen", "Cut & wash", "Beard trim"], options
    staff.select_option("#walkin-service", str(beard["id"]))
    providers = staff.eval_on_selector_all("#walkin-provider option", "os => os.map(o => o.value)")
    assert providers == ["", str(bob["id"])], providers
    staff.fill("#walkin-name", "Vera Elder")
    staff.check("#walkin-priority")
    shot(staff, f"staff-services-walkin-form-{size}")
    staff.click("#walkin-add")

    def vera() -> dict | None:
        return next(
            (e for e in shop.queue()["queue_items"] if e["full_name"] == "Vera Elder"), None
        )

    wait_until(lambda: vera() is not None, timeout=5, message="the walk-in")
    added = vera()
    assert added["service_id"] == beard["id"] and added["priority"] is True
    assert added["position_in_queue"] == 1  # the "first" rule: ahead of every normal ticket
    staff.locator(".qk-toast", has_text="number 1 in line").first.wait_for(timeout=5000)
    assert_rows_follow_server(staff, shop)
    assert row_ids(staff)[0] == added["id"]
    assert row(staff, added["id"]).locator(".prio").is_visible()
    assert row(staff, added["id"]).locator(".prio").get_attribute("title") == "Priority ticket"
    for other in (ada, ben, cy):
        assert row(staff, other["id"]).locator(".prio").is_hidden()
    assert not staff.is_checked("#walkin-priority")  # the next walk-in starts normal
    meta_has(staff, added["id"], "Beard trim")
    staff.evaluate("() => document.querySelector('.waiting-panel').scrollIntoView()")
    shot(staff, f"staff-services-rows-{size}")

    # One active service left: no choice to offer, the picker goes away (live).
    assert admin.delete(f"/api/v1/services/{beard['id']}").status == 200
    walkin_service.wait_for(state="hidden", timeout=5000)
    meta_has(staff, ben["id"], "Beard trim")  # a retired service keeps its name on its tickets
    assert pages.problems(staff) == {}


# The open menu's box against the viewport: all of it on screen, sideways.
MENU_ON_SCREEN = """
() => {
  const r = document.querySelector('details.more[open] .menu').getBoundingClientRect();
  return r.left >= 0 && r.right <= innerWidth;
}
"""


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_priority_from_the_menu_and_a_transfer_that_keeps_its_place(server, pages, size):
    shop = new_shop(server)
    cut = new_service(shop, "Haircut", 30)
    beard = new_service(shop, "Beard trim", 15)
    ann, bea, cal = (join(shop, name, cut) for name in ("Ann One", "Bea Two", "Cal Three"))
    staff = open_staff(pages, shop, size=size)
    wait_rows(staff, [ann["id"], bea["id"], cal["id"]])

    menu = open_menu(staff, cal["id"])
    give = menu.locator('[data-action="priority"]')
    assert give.text_content() == "Give priority"
    assert staff.evaluate(MENU_ON_SCREEN)
    menu.scroll_into_view_if_needed()
    shot(staff, f"staff-services-menu-{size}")
    give.click()
    wait_until(lambda: shop.waiting_ids()[0] == cal["id"], timeout=5, message="placed first")
    staff.locator(".qk-toast", has_text="has priority: now number 1 in line").first.wait_for(
        timeout=5000
    )
    assert_rows_follow_server(staff, shop)
    assert row(staff, cal["id"]).locator(".prio").is_visible()

    # Unmarked, it keeps its place: the rule places tickets, it never moves them back.
    menu = open_menu(staff, cal["id"])
    remove = menu.locator('[data-action="priority"]')
    assert remove.text_content() == "Remove priority"
    remove.click()
    wait_until(lambda: shop.entry(cal["id"])["priority"] is False, timeout=5, message="unmarked")
    row(staff, cal["id"]).locator(".prio").wait_for(state="hidden", timeout=5000)
    assert shop.waiting_ids() == [cal["id"], ann["id"], bea["id"]]
    assert_rows_follow_server(staff, shop)

    # Transfer Ann (2nd) to Beard trim: same place, same check-in time.
    before = shop.entry(ann["id"])
    open_menu(staff, ann["id"])
    row(staff, ann["id"]).locator("select.transfer").select_option(str(beard["id"]))
    wait_until(
        lambda: shop.entry(ann["id"])["service_id"] == beard["id"], timeout=5, message="transfer"
    )
    after = shop.entry(ann["id"])
    assert after["position_in_queue"] == before["position_in_queue"] == 2
    assert after["checked_in_at"] == before["checked_in_at"]
    meta_has(staff, ann["id"], "Beard trim")
    staff.locator(".qk-toast", has_text="keeps number 2 in line").first.wait_for(timeout=5000)
    assert_rows_follow_server(staff, shop)
    shot(staff, f"staff-services-transferred-{size}")

    # The TV never learns who has priority, in words or marks.
    assert shop.staff.patch(f"/api/v1/queue/{bea['id']}", {"priority": True}).status == 200
    row(staff, bea["id"]).locator(".prio").wait_for(timeout=5000)
    tv = pages.open(f"/display?shop={shop.id}", size="tv")
    tv.wait_for_function(
        "t => document.body.innerText.includes(t)", arg=bea["ticket"], timeout=10_000
    )
    seen = tv.evaluate("() => document.body.innerText")
    assert "★" not in seen and not re.search("priorit", seen, re.I), seen
    assert pages.problems(staff, tv) == {}


def test_call_next_says_when_this_chair_offers_none_of_the_services_waiting(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    beard = new_service(shop, "Beard trim", 15, provider_ids=[bob["id"]])
    new_service(shop, "Haircut", 30)
    first = join(shop, "Dee Beard", beard)
    second = join(shop, "Eli Beard", beard)
    staff = open_staff(pages, shop, size="phone")
    staff.select_option("#chair", str(alice["id"]))
    hint = staff.locator("#services-hint")
    hint.wait_for(timeout=3000)
    assert hint.text_content() == (
        "2 customers are waiting, but none for a service Alice Cutter offers."
    )
    staff.click("#call-next")
    said = staff.locator(".qk-toast .qk-toast-text", has_text="Nobody is waiting for a service")
    said.wait_for(timeout=5000)
    assert said.text_content() == (
        "Nobody is waiting for a service Alice Cutter offers: the 2 customers waiting are "
        "for other services."
    )
    shot(staff, "staff-services-nobody-for-chair-phone")
    # Calling one such ticket from this chair: the server refuses, the page says why.
    row(staff, second["id"]).locator('[data-action="call"]').click()
    refused = staff.locator(".qk-toast-error .qk-toast-text")
    refused.wait_for(timeout=5000)
    assert refused.text_content() == (
        f"Call {second['ticket']} failed: That provider does not offer this ticket’s service."
    )
    assert [shop.entry(e["id"])["status"] for e in (first, second)] == ["CHECKED_IN"] * 2

    # Bob's chair offers it: the hint goes away and Call next calls the first.
    staff.select_option("#chair", str(bob["id"]))
    hint.wait_for(state="hidden", timeout=3000)
    staff.click("#call-next")
    wait_until(lambda: shop.entry(first["id"])["status"] == "CALLED", timeout=5, message="call")
    # The card of the called customer names the service too.
    card = staff.locator(f'#serving > .card[data-id="{first["id"]}"] .meta')
    card.filter(has_text="Beard trim").wait_for(timeout=5000)
    assert pages.problems(staff) == {}


def recorded(server, shop_id: int, service_id: int, lengths: list[int]) -> None:
    """Completed services of yesterday, written as the appliance writes them, so the
    estimate has the history a range needs (SPEC §10: 5 sensible services)."""
    began = datetime.now(UTC) - timedelta(days=1)
    con = sqlite3.connect(server.data_dir / DB_FILENAME, timeout=10)
    try:
        with con:
            for minutes in lengths:
                n = next(_history)
                start = began + timedelta(minutes=40 * n)
                con.execute(
                    "INSERT INTO queue_entry (shop_id, customer_id, full_name, ticket, "
                    "ticket_day, status, source, claim_hash, checked_in_at, started_at, "
                    "completed_at, service_id) VALUES (?, (SELECT MIN(id) FROM customer), "
                    "'Old Timer', ?, ?, 'COMPLETED', 'kiosk', ?, ?, ?, ?, ?)",
                    (
                        shop_id,
                        f"H{n:03d}",
                        start.date().isoformat(),
                        f"history-{shop_id}-{n}",
                        start.isoformat(),
                        start.isoformat(),
                        (start + timedelta(minutes=minutes)).isoformat(),
                        service_id,
                    ),
                )
    finally:
        con.close()


# A waiting row's wait, as the page shows it, and the range its queue body gave.
ROW_WAIT = """
(id) => {
  const e = window.__staff.queue.queue_items.find((x) => x.id === id);
  const meta = document.querySelector(`#waiting > .row[data-id="${id}"] .meta`).textContent;
  return { range: e.estimated_wait_range, minutes: e.estimated_wait_minutes,
           meta: meta.replace(/\u00a0/g, " ") };
}
"""


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_waits_are_a_range_when_the_server_gives_one(server, pages, size):
    shop = new_shop(server, ("Solo Chair",))
    cut = new_service(shop, "Haircut", 30)
    busy = join(shop, "Fay Chair", cut)  # makes the customer row the history names
    recorded(server, shop.id, cut["id"], [10, 14, 20, 26, 35, 40])
    assert shop.staff.patch(f"/api/v1/queue/{busy['id']}", {"status": "IN_SERVICE"}).status == 200
    waiting = [join(shop, name, cut) for name in ("Gil Next", "Hal Later")]
    staff = open_staff(pages, shop, size=size)
    wait_rows(staff, [e["id"] for e in waiting])
    for entry in waiting:
        shown = staff.evaluate(ROW_WAIT, entry["id"])
        low, high = shown["range"]
        assert low < high, shown
        expected = (
            f"wait up to {high} min"
            if low <= 0 and high < 60
            else f"wait {low}–{high} min"
            if high < 60
            else None
        )
        if expected is not None:
            assert expected in shown["meta"], shown
        else:
            assert re.search(r"wait (up to )?\d.* to \d|wait up to \d", shown["meta"]), shown
        assert "~" not in shown["meta"], shown  # no single figure beside a range
    staff.evaluate("() => document.querySelector('.waiting-panel').scrollIntoView()")
    shot(staff, f"staff-services-wait-range-{size}")
    assert pages.problems(staff) == {}


def test_a_shop_with_one_service_asks_for_none(server, pages: Pages):
    shop = new_shop(server)
    new_service(shop, "Haircut", 30)
    staff = open_staff(pages, shop, size="tablet")
    assert staff.locator("#walkin-service").is_hidden()
    staff.fill("#walkin-name", "Ida Only")
    staff.click("#walkin-add")
    wait_until(lambda: len(shop.waiting_ids()) == 1, timeout=5, message="the walk-in")
    (entry,) = shop.queue()["queue_items"]
    wait_rows(staff, [entry["id"]])
    # The server files it under the one service; a name every row would repeat is left out.
    assert entry["service_id"] is not None
    assert "Haircut" not in row(staff, entry["id"]).locator(".meta").text_content()
    # A second service: now the rows say which one.
    new_service(shop, "Beard trim", 15)
    meta_has(staff, entry["id"], "Haircut")
    assert staff.locator("#walkin-service").is_visible()
    assert pages.problems(staff) == {}


def test_the_ratio_rule_places_a_priority_walk_in_and_the_rows_say_where(server, pages):
    admin = server.client("admin")
    assert admin.patch("/api/v1/settings", {"priority_rule": "ratio:2"}).status == 200
    try:
        shop = new_shop(server)
        cut = new_service(shop, "Haircut", 30)
        new_service(shop, "Beard trim", 15)
        line = [join(shop, name, cut) for name in ("Jo One", "Kim Two", "Lu Three", "Mo Four")]
        staff = open_staff(pages, shop, size="tablet")
        wait_rows(staff, [e["id"] for e in line])
        staff.fill("#walkin-name", "Nan Elder")
        staff.check("#walkin-priority")
        staff.click("#walkin-add")
        # No priority ticket waits and no normal call yet today: after 2 normal tickets.
        toast = staff.locator(".qk-toast-text", has_text="added with priority")
        toast.wait_for(timeout=5000)
        assert toast.text_content().endswith("number 3 in line"), toast.text_content()
        nan = next(e for e in shop.queue()["queue_items"] if e["full_name"] == "Nan Elder")
        assert nan["position_in_queue"] == 3 and nan["priority"] is True
        assert_rows_follow_server(staff, shop)
        assert row_ids(staff)[2] == nan["id"]
        shot(staff, "staff-services-ratio-tablet")
        assert pages.problems(staff) == {}
    finally:
        assert admin.patch("/api/v1/settings", {"priority_rule": "first"}).status == 200


@pytest.mark.parametrize(
    ("language", "size", "words"),
    [
        ("de", "tablet", ("Ohne Leistung", "Vorrang", "Vorrang geben", "Leistung ändern")),
        ("ar", "tv", ("لم تُختر خدمة", "أولوية", "منح الأولوية", "تغيير الخدمة")),
    ],
)
def test_services_and_priority_in_the_shops_language(server, pages, language, size, words):
    shop = new_shop(server)
    r = server.client("admin").patch(f"/api/v1/shops/{shop.id}", {"language": language})
    assert r.status == 200, r.body
    cut = new_service(shop, "Haircut", 30)
    new_service(shop, "Beard trim", 15)
    plain = join(shop, "Ola Plain", cut)
    marked = join(shop, "Pia Marked", cut, priority=True)
    staff = open_staff(pages, shop, size=size)
    wait_rows(staff, [marked["id"], plain["id"]])
    none_chosen, priority, give, change = words
    assert staff.locator("#walkin-service option").first.text_content() == none_chosen
    assert staff.locator(".walkin-priority").inner_text().strip().endswith(priority)
    menu = open_menu(staff, plain["id"])
    assert menu.locator('[data-action="priority"]').text_content() == give
    assert menu.locator(".menu-service > span").text_content() == change
    mark = row(staff, marked["id"]).locator(".prio")
    assert mark.is_visible() and mark.get_attribute("title") != "Priority ticket"
    # The walk-in's service choice shows its whole text, and nothing sticks out sideways.
    assert staff.evaluate(
        "() => { const s = document.querySelector('#walkin-service');"
        " const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(s).font;"
        " return c.measureText(s.selectedOptions[0].text).width < s.clientWidth - 24; }"
    )
    assert staff.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    shot(staff, f"staff-services-{language}-{size}")
    assert pages.problems(staff) == {}
