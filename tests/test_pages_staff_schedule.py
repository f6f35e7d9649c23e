"""/staff and the shop's week (SPEC §11, issue 15), in real Chromium against a real server
whose clock libfaketime starts on Wednesday 2026-12-02 at 10:00 (the shop's zone is UTC).

- Call next for a chair on a break asks first ("Sam Shears is on a break until 2:30 PM.
  Call anyway?"); "Don't call" calls nobody, "Call anyway" calls with force.
- Each provider's duty shows where /staff lists providers, and the top bar says whether
  the shop is open, and changes by itself when the owner closes the day.
- Shifts and breaks are added, changed and deleted from the week view; another staff
  screen sees each change without a reload (the rooms `schedules` and `timeoff`).
- Time off: staff ask, the owner (an admin sign-in) approves, staff withdraw a request.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import shot
from tests.kiosk_harness import Server, wait_until
from tests.test_opening_hours import needs_faketime, running_fake_clock
from tests.test_pages_staff_monitor import Shop, new_shop, open_staff

pytest_plugins = ("tests.browser",)

pytestmark = [pytest.mark.timeout(300), needs_faketime]

TODAY = "2026-12-02"  # a Wednesday
TOMORROW = "2026-12-03"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """This module's appliance, its clock at Wednesday 10:00 UTC (and running on)."""
    yield from running_fake_clock(tmp_path_factory.mktemp("kiosk"), "2026-12-02 10:00:00")


def plan(shop: Shop, provider: dict, kind: str, start: str, end: str, day: str = TODAY) -> dict:
    body = {"provider_id": provider["id"], "date": day, "kind": kind, "start": start, "end": end}
    r = shop.staff.post(f"/api/v1/shops/{shop.id}/schedules", body)
    assert r.status == 201, r.body
    return r.body


def cell(page, provider: dict, day: str = TODAY):
    return page.locator(f'#week-body td[data-provider-id="{provider["id"]}"][data-day="{day}"]')


def chips(page, provider: dict, day: str = TODAY) -> list[str]:
    return (
        cell(page, provider, day)
        .locator(".week-chip")
        .evaluate_all("els => els.map(e => e.textContent)")
    )


def wait_chips(page, provider: dict, expected: list[str], day: str = TODAY) -> None:
    selector = f'#week-body td[data-provider-id="{provider["id"]}"][data-day="{day}"] .week-chip'
    page.wait_for_function(
        "([sel, want]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(e => e.textContent)) === JSON.stringify(want)",
        arg=[selector, expected],
        timeout=8000,
    )


def open_week(pages, shop: Shop, **kw):
    page = open_staff(pages, shop, **kw)
    if kw.get("size") == "phone":
        # Folded on a phone, where the queue comes first: opened like a person would.
        assert page.get_attribute("#week-box", "open") is None
        page.click("#week-box > summary")
    page.wait_for_selector("#week-box[open]", timeout=3000)
    page.wait_for_function(
        "() => window.__staff.week.loaded !== null"
        " && document.querySelectorAll('#week-body tr').length > 0",
        timeout=8000,
    )
    return page


def test_call_next_for_a_chair_on_a_break_asks_before_calling(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop.providers
    plan(shop, sam, "shift", "08:00", "18:00")
    plan(shop, sam, "break", "09:30", "14:30")
    entry = shop.join("Ada First")
    staff = open_staff(pages, shop)
    # The duty of each provider, where the page lists them.
    chip = staff.locator(f'#duty-list .duty-chip[data-provider-id="{sam["id"]}"]')
    chip.wait_for(timeout=5000)
    assert chip.get_attribute("data-state") == "break"
    assert chip.locator(".duty-state").text_content() == "on a break until 2:30 PM"
    away = staff.locator(f'#duty-list .duty-chip[data-provider-id="{alex["id"]}"]')
    assert away.locator(".duty-state").text_content() in ("available", "off today")
    staff.select_option("#chair", str(sam["id"]))
    option = staff.locator(f'#chair option[value="{sam["id"]}"]').text_content()
    assert option == "Sam Shears · on a break until 2:30 PM", option
    walkin = staff.locator(f'#walkin-provider option[value="{sam["id"]}"]').text_content()
    assert walkin == option  # a walk-in is not sent to a chair on a break unawares
    staff.wait_for_selector("#duty-hint:not([hidden])", timeout=3000)
    assert staff.text_content("#duty-hint") == "Sam Shears is on a break until 2:30 PM."

    staff.click("#call-next")
    dialog = staff.locator("#duty-confirm")
    dialog.wait_for(state="visible", timeout=5000)
    assert staff.text_content("#duty-confirm-text") == (
        "Sam Shears is on a break until 2:30 PM. Call anyway?"
    )
    shot(staff, "staff-offduty-confirm-tablet")
    staff.click("#duty-confirm-no")
    dialog.wait_for(state="hidden", timeout=3000)
    assert shop.entry(entry["id"])["status"] == "CHECKED_IN"  # nobody was called

    staff.wait_for_function("() => !document.getElementById('call-next').disabled")
    staff.click("#call-next")
    dialog.wait_for(state="visible", timeout=5000)
    staff.click("#duty-confirm-yes")
    wait_until(lambda: shop.entry(entry["id"])["status"] == "CALLED", timeout=5, message="call")
    assert shop.entry(entry["id"])["provider_id"] == sam["id"]
    staff.locator(".qk-toast", has_text="Ada First").first.wait_for(timeout=5000)
    assert pages.problems(staff) == {}


def test_the_top_bar_says_whether_the_shop_is_open_and_follows_the_owner(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    staff = open_staff(pages, shop, size="phone")
    assert staff.locator("#open-state").is_hidden()  # no hours: always open, as before
    admin = server.client("admin")
    week = {"wed": [["09:00", "13:00"], ["14:00", "19:00"]], "thu": [["09:00", "19:00"]]}
    assert admin.patch(f"/api/v1/shops/{shop.id}", {"opening_hours": week}).status == 200
    staff.wait_for_function(
        "() => document.getElementById('open-state').textContent === 'Open until 1:00 PM'",
        timeout=8000,
    )
    assert staff.get_attribute("#open-state", "data-open") == "yes"
    shot(staff, "staff-open-state-phone")
    closure = {"closures": [{"date": TODAY, "reason": "Staff training"}]}
    assert admin.patch(f"/api/v1/shops/{shop.id}", closure).status == 200
    staff.wait_for_function(
        "() => document.getElementById('open-state').dataset.open === 'no'", timeout=8000
    )
    assert staff.text_content("#open-state") == (
        "Closed today: Staff training · opens Thursday at 9:00 AM"
    )
    assert pages.problems(staff) == {}


def test_shifts_and_breaks_from_the_week_reach_another_screen_live(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop.providers
    one = open_week(pages, shop, size="tv")
    other = open_week(pages, shop, size="phone")
    assert one.eval_on_selector_all("#week-body th", "ths => ths.map(t => t.textContent)") == [
        "Sam Shears",
        "Alex Blade",
    ]
    assert cell(one, sam).get_attribute("data-today") == "yes"

    # Add a shift from one screen.
    cell(one, sam).locator(".week-add").click()
    one.wait_for_selector("#shift-form:not([hidden])")
    assert one.input_value("#shift-date") == TODAY
    assert one.input_value("#shift-provider") == str(sam["id"])
    one.fill("#shift-start", "09:00")
    one.fill("#shift-end", "17:00")
    one.click("#shift-save")
    wait_chips(other, sam, ["9:00 AM–5:00 PM"])
    wait_chips(one, sam, ["9:00 AM–5:00 PM"])
    rows = shop.staff.get(f"/api/v1/shops/{shop.id}/schedules?from={TODAY}&to={TODAY}").body
    assert [(r["provider_id"], r["kind"], r["start"], r["end"]) for r in rows] == [
        (sam["id"], "shift", "09:00", "17:00")
    ]

    # The other screen changes it, and adds a break.
    cell(other, sam).locator(".week-chip").first.click()
    other.wait_for_selector("#shift-form:not([hidden])")
    assert other.is_visible("#shift-delete")
    other.fill("#shift-end", "16:00")
    other.click("#shift-save")
    wait_chips(one, sam, ["9:00 AM–4:00 PM"])
    cell(other, sam).locator(".week-add").click()
    other.select_option("#shift-kind", "break")
    other.fill("#shift-start", "12:00")
    other.fill("#shift-end", "12:30")
    other.click("#shift-save")
    wait_chips(one, sam, ["9:00 AM–4:00 PM", "Break 12:00 PM–12:30 PM"])
    one.locator("#schedule").scroll_into_view_if_needed()
    shot(one, "staff-week-desktop")
    other.locator("#schedule").scroll_into_view_if_needed()
    shot(other, "staff-week-phone")

    # A refused one is told in the form, in the page's words.
    cell(one, alex, TOMORROW).locator(".week-add").click()
    one.fill("#shift-start", "15:00")
    one.fill("#shift-end", "11:00")
    one.click("#shift-save")
    one.wait_for_selector("#shift-error:not([hidden])", timeout=5000)
    assert one.text_content("#shift-error") == (
        "It could not be added. The end must be after the start, on the same day."
    )
    one.click("#shift-close")

    # Deleted on one screen, gone on the other.
    cell(one, sam).locator('.week-chip[data-kind="break"]').click()
    one.click("#shift-delete")
    wait_chips(other, sam, ["9:00 AM–4:00 PM"])

    # Another week and back.
    one.click("#week-next")
    one.wait_for_selector('#week-body td[data-day="2026-12-09"]', timeout=5000)
    assert one.is_visible("#week-now")
    assert one.locator("#week-body .week-chip").count() == 0
    one.click("#week-now")
    wait_chips(one, sam, ["9:00 AM–4:00 PM"])
    assert pages.problems(one, other) == {}


def test_time_off_is_asked_approved_and_withdrawn_live(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop.providers
    staff = open_week(pages, shop)
    owner = pages.open(f"/staff?shop={shop.id}", role="admin", size="tv")
    owner.wait_for_function("() => window.__staff.week.loaded !== null", timeout=8000)

    staff.select_option("#timeoff-provider", str(alex["id"]))
    staff.fill("#timeoff-from", TOMORROW)
    staff.fill("#timeoff-to", "2026-12-04")
    staff.fill("#timeoff-reason", "Dentist <b>x</b>")
    staff.click("#timeoff-request")
    item = owner.locator("#timeoff-list .timeoff-item").first
    item.wait_for(timeout=8000)
    assert item.locator(".timeoff-provider").text_content() == "Alex Blade"
    assert item.locator(".timeoff-reason").text_content() == "Dentist <b>x</b>"
    assert item.locator(".timeoff-status").text_content() == "Asked, waiting for the owner"
    wait_chips(owner, alex, ["Time off (asked)"], TOMORROW)
    # Staff may withdraw; only the owner approves or refuses.
    mine = staff.locator("#timeoff-list .timeoff-item").first
    assert mine.locator('[data-timeoff-status="approved"]').count() == 0
    assert mine.locator('[data-timeoff-status="cancelled"]').is_visible()
    owner.locator("#timeoff-list").scroll_into_view_if_needed()
    shot(owner, "staff-timeoff-owner-desktop")

    item.locator('[data-timeoff-status="approved"]').click()
    staff.wait_for_function(
        "() => document.querySelector('#timeoff-list .timeoff-item .timeoff-status')"
        ".textContent === 'Approved'",
        timeout=8000,
    )
    wait_chips(staff, alex, ["Time off"], TOMORROW)
    wait_chips(staff, alex, ["Time off"], "2026-12-04")
    listed = shop.staff.get(f"/api/v1/shops/{shop.id}/timeoff").body
    assert [(o["provider_id"], o["status"]) for o in listed] == [(alex["id"], "approved")]

    # A second request, withdrawn by staff: it leaves both lists.
    staff.select_option("#timeoff-provider", str(sam["id"]))
    staff.fill("#timeoff-from", "2026-12-10")
    staff.fill("#timeoff-to", "")
    staff.fill("#timeoff-reason", "")
    staff.click("#timeoff-request")
    owner.wait_for_function(
        "() => document.querySelectorAll('#timeoff-list .timeoff-item').length === 2",
        timeout=8000,
    )
    staff.locator("#timeoff-list .timeoff-item").nth(1).locator(
        '[data-timeoff-status="cancelled"]'
    ).click()
    owner.wait_for_function(
        "() => document.querySelectorAll('#timeoff-list .timeoff-item').length === 1",
        timeout=8000,
    )
    statuses = {
        o["id"]: o["status"] for o in shop.staff.get(f"/api/v1/shops/{shop.id}/timeoff").body
    }
    assert sorted(statuses.values()) == ["approved", "cancelled"]
    staff.locator("#timeoff-list").scroll_into_view_if_needed()
    shot(staff, "staff-timeoff-tablet")
    assert pages.problems(staff, owner) == {}


def test_the_week_reads_right_to_left_in_arabic(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, _ = shop.providers
    plan(shop, sam, "shift", "09:00", "17:00")
    plan(shop, sam, "break", "10:00", "14:30")
    page = open_week(pages, shop, size="tablet")
    page.goto(page.url.split("?")[0] + f"?shop={shop.id}&lang=ar")
    page.wait_for_function("() => document.documentElement.dir === 'rtl'", timeout=8000)
    page.wait_for_function(
        "() => window.__staff && window.__staff.week.loaded !== null"
        " && document.querySelectorAll('#week-body .week-chip').length === 2",
        timeout=8000,
    )
    assert page.text_content("#week-title") == "من يعمل ومتى"
    state = page.locator(f'#duty-list .duty-chip[data-provider-id="{sam["id"]}"] .duty-state')
    assert state.text_content().startswith("في استراحة حتى")
    # The names column sits on the right, where an Arabic reader starts.
    who = page.locator(f'#week-body tr[data-provider-id="{sam["id"]}"] th').bounding_box()
    today = cell(page, sam).bounding_box()
    assert who["x"] > today["x"]
    page.locator("#schedule").scroll_into_view_if_needed()
    shot(page, "staff-week-ar-tablet")
    assert pages.problems(page) == {}


def test_a_screen_that_lost_its_link_catches_up_with_the_week(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    (sam,) = shop.providers
    staff = open_week(pages, shop)
    staff.wait_for_function("() => window.__staff.rooms.connected", timeout=5000)
    staff.evaluate("() => window.__staff.rooms.stop()")
    plan(shop, sam, "shift", "11:00", "15:00")
    # The queue socket saw the change (the duty may move), the week did not: no chip yet.
    wait_until(lambda: len(shop.staff.get(f"/api/v1/shops/{shop.id}/schedules").body) == 1)
    assert chips(staff, sam) == []
    staff.evaluate("() => window.__staff.rooms.start()")
    wait_chips(staff, sam, ["11:00 AM–3:00 PM"])
    # And live again afterwards.
    plan(shop, sam, "break", "13:00", "13:30")
    wait_chips(staff, sam, ["11:00 AM–3:00 PM", "Break 1:00 PM–1:30 PM"])
    assert pages.problems(staff) == {}
