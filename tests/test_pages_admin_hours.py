"""/admin's opening hours (SPEC §11), in real Chromium against a real server.

- The owner sets several periods a weekday, closed days with a reason, the last-join
  cutoff, or "always open" (opening_hours null); one PATCH of the shop saves them.
- A refused week is told as a sentence of the catalog that names the day, and nothing
  is saved.
- The carry-over switch (an appliance setting) says what happens to yesterday's open
  tickets, and saves at once.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser import shot
from tests.test_pages_staff_monitor import new_shop

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)


def soon(days: int) -> str:
    """A date some days ahead (the time-off list reads a year from today)."""
    return (date.today() + timedelta(days=days)).isoformat()


SPLIT = [["09:00", "13:00"], ["14:00", "19:00"]]


def open_hours(pages, shop_id: int, size: str = "tablet", lang: str | None = None):
    path = f"/admin?shop={shop_id}" + (f"&lang={lang}" if lang else "")
    page = pages.open(path, size=size, role="admin")
    page.wait_for_function(
        "() => window.__hours && window.__hours.draft !== null"
        " && document.querySelectorAll('#hours-week .hours-day').length === 7"
    )
    return page


def day(page, name: str):
    return page.locator(f'#hours-week .hours-day[data-day="{name}"]')


def shop_of(server, shop_id: int) -> dict:
    r = server.client("admin").get(f"/api/v1/shops/{shop_id}")
    assert r.status == 200, r.body
    return r.body


def save_and_wait(page, text: str) -> None:
    page.click("#hours-save")
    page.locator(".qk-toast", has_text=text).first.wait_for(timeout=5000)


def test_the_owner_sets_a_split_week_a_holiday_and_the_last_join_cutoff(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    admin = open_hours(pages, shop.id)
    # A new shop has no hours: always open, and the week is hidden.
    assert admin.is_checked("#hours-always")
    assert not admin.is_visible("#hours-week")
    admin.locator("#hours-always").click()
    assert admin.is_visible("#hours-week")
    # The first week offered: Monday to Saturday 09:00-18:00, Sunday closed.
    assert day(admin, "sun").locator(".hours-closed").text_content() == "Closed"
    assert day(admin, "mon").locator(".hours-dayname").text_content() == "Monday"

    monday = day(admin, "mon")
    monday.locator(".hours-add").click()
    times = monday.locator('input[type="time"]')
    assert times.count() == 4
    for i, value in enumerate(("09:00", "13:00", "14:00", "19:00")):
        times.nth(i).fill(value)
    # Saturday closed: its one period removed.
    day(admin, "sat").locator(".hours-remove").click()
    assert day(admin, "sat").locator(".hours-closed").is_visible()
    admin.fill("#hours-lastjoin", "20")
    admin.click("#hours-add-closure")
    closure = admin.locator("#hours-closures > li").last
    closure.locator('input[type="date"]').fill("2026-12-25")
    closure.locator("input.grow").fill("Christmas <b>party</b>")
    assert admin.text_content("#hours-state") == "Changes not saved yet."
    save_and_wait(admin, "Opening hours saved")

    saved = shop_of(server, shop.id)
    hours = saved["opening_hours"]
    assert hours["mon"] == SPLIT
    assert hours["tue"] == [["09:00", "18:00"]]
    assert hours["sat"] == [] and hours["sun"] == []
    assert saved["closures"] == [{"date": "2026-12-25", "reason": "Christmas <b>party</b>"}]
    assert saved["last_join_minutes"] == 20
    assert admin.text_content("#hours-state") == ""
    admin.locator("#hours").scroll_into_view_if_needed()
    shot(admin, "admin-hours-tablet")

    # Read back after a reload: the editor shows what the shop has (the reason as text).
    again = open_hours(pages, shop.id)
    assert not again.is_checked("#hours-always")
    values = (
        day(again, "mon").locator('input[type="time"]').evaluate_all("els => els.map(e => e.value)")
    )
    assert values == ["09:00", "13:00", "14:00", "19:00"]
    assert again.input_value("#hours-lastjoin") == "20"
    reason = again.locator("#hours-closures input.grow").first
    assert reason.input_value() == "Christmas <b>party</b>"
    assert again.locator("#hours-closures b").count() == 0
    assert pages.problems(admin, again) == {}


def test_a_refused_week_names_the_day_and_saves_nothing(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    week = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    r = server.client("admin").patch(f"/api/v1/shops/{shop.id}", {"opening_hours": week})
    assert r.status == 200, r.body
    admin = open_hours(pages, shop.id)
    tuesday = day(admin, "tue")
    tuesday.locator(".hours-add").click()  # 19:00-21:00 after 18:00: fine so far
    times = tuesday.locator('input[type="time"]')
    times.nth(2).fill("10:00")
    times.nth(3).fill("12:00")  # inside 09:00-18:00
    admin.click("#hours-save")
    error = admin.locator("#hours-error")
    error.wait_for(state="visible", timeout=5000)
    assert error.text_content() == (
        "The opening hours could not be saved. The hours on Tuesday overlap: "
        "each period must end before the next one starts."
    )
    assert shop_of(server, shop.id)["opening_hours"]["tue"] == [["09:00", "18:00"]]
    admin.locator("#hours-error").scroll_into_view_if_needed()
    shot(admin, "admin-hours-error-tablet")

    # A closing before its opening, on Wednesday.
    tuesday.locator(".hours-remove").nth(1).click()
    wednesday = day(admin, "wed").locator('input[type="time"]')
    wednesday.nth(1).fill("08:00")
    admin.click("#hours-save")
    admin.wait_for_function(
        "() => document.getElementById('hours-error').textContent.includes('Wednesday')"
    )
    assert "closing time is not after its opening time" in error.text_content()
    wednesday.nth(1).fill("17:30")
    save_and_wait(admin, "Opening hours saved")
    assert error.is_hidden()
    saved = shop_of(server, shop.id)["opening_hours"]
    assert saved["tue"] == [["09:00", "18:00"]] and saved["wed"] == [["09:00", "17:30"]]

    # Back to "always open": the hours are null again.
    admin.locator("#hours-always").click()
    save_and_wait(admin, "always open")
    assert shop_of(server, shop.id)["opening_hours"] is None
    assert pages.problems(admin) == {}


def test_carry_over_says_what_happens_to_yesterdays_tickets_and_saves(server, pages):
    shop = new_shop(server, ("Sam Shears",))
    admin = open_hours(pages, shop.id)
    text = admin.text_content(".hours-carry")
    assert "Keep yesterday's open tickets" in text
    assert "cancelled" in text and "completed" in text
    assert not admin.is_checked("#set-carryover")
    admin.locator(".hours-carry .switch").click()
    admin.locator(".qk-toast", has_text="stay in the line").first.wait_for(timeout=5000)
    assert server.client("admin").get("/api/v1/settings").body["carry_over"] is True
    admin.locator(".hours-carry .switch").click()
    admin.locator(".qk-toast", has_text="closed at the first opening").first.wait_for(timeout=5000)
    assert server.client("admin").get("/api/v1/settings").body["carry_over"] is False
    assert pages.problems(admin) == {}


@pytest.mark.parametrize("size", ["phone", "tv"])
def test_the_hours_panel_fits_phone_and_desktop(server, pages, size):
    shop = new_shop(server, ("Sam Shears",))
    body = {
        "opening_hours": {"mon": SPLIT, "tue": SPLIT, "wed": SPLIT, "sat": [["10:00", "14:00"]]},
        "closures": [{"date": "2026-12-25", "reason": "Christmas"}],
    }
    assert server.client("admin").patch(f"/api/v1/shops/{shop.id}", body).status == 200
    admin = open_hours(pages, shop.id, size=size)
    admin.locator("#hours").scroll_into_view_if_needed()
    # Nothing in the panel is wider than the page.
    wide = admin.evaluate(
        "() => [...document.querySelectorAll('#hours *')].filter("
        "e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
    )
    assert wide == 0
    shot(admin, f"admin-hours-{size}", full_page=False)
    spanish = open_hours(pages, shop.id, size=size, lang="es")
    spanish.wait_for_function("() => document.documentElement.lang === 'es'")
    assert spanish.text_content("#hours-h") == "Horario de atención"
    assert day(spanish, "mon").locator(".hours-dayname").text_content() == "lunes"
    assert pages.problems(admin, spanish) == {}


def test_the_owner_approves_or_refuses_time_off_asked_for_on_another_screen(server, pages):
    shop = new_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop.providers
    staff = server.client("staff")
    asked = staff.post(
        f"/api/v1/shops/{shop.id}/timeoff",
        {
            "provider_id": alex["id"],
            "start_date": soon(20),
            "end_date": soon(22),
            "reason": "Dentist <i>x</i>",
        },
    )
    assert asked.status == 201, asked.body
    admin = open_hours(pages, shop.id)
    item = admin.locator(f'#timeoff-pending li[data-timeoff-id="{asked.body["id"]}"]')
    item.wait_for(timeout=8000)
    assert admin.is_visible("#hours-timeoff")
    assert "Alex Blade" in item.text_content() and "Dentist <i>x</i>" in item.text_content()
    assert item.locator("i").count() == 0
    # Asked for on another screen while this page is open: it shows up by itself.
    later = staff.post(
        f"/api/v1/shops/{shop.id}/timeoff",
        {"provider_id": sam["id"], "start_date": soon(40)},
    )
    assert later.status == 201, later.body
    admin.wait_for_function(
        "() => document.querySelectorAll('#timeoff-pending li').length === 2", timeout=8000
    )
    admin.locator("#hours-timeoff").scroll_into_view_if_needed()
    shot(admin, "admin-hours-timeoff-tablet")
    item.locator('[data-decide="approved"]').click()
    admin.locator(".qk-toast", has_text="Time off for Alex Blade approved").first.wait_for(
        timeout=5000
    )
    admin.locator(f'#timeoff-pending li[data-timeoff-id="{later.body["id"]}"]').locator(
        '[data-decide="rejected"]'
    ).click()
    admin.wait_for_selector("#hours-timeoff", state="hidden", timeout=5000)
    statuses = {o["id"]: o["status"] for o in staff.get(f"/api/v1/shops/{shop.id}/timeoff").body}
    assert statuses == {asked.body["id"]: "approved", later.body["id"]: "rejected"}
    assert pages.problems(admin) == {}
