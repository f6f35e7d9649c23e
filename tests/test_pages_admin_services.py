"""/admin: the shop's services and the order of the line (SPEC §10, issue 14), in real
Chromium against a real server and its SQLite file.

- The owner adds a service, renames it, sets its minutes, ticks who offers it, moves it up,
  deactivates and offers it again; a refusal is a sentence of the catalog, and every
  change reaches the desk tablet live.
- The owner sets the priority rule (first / ratio:N), priority at the desk tablet and the
  appointment grace; a value out of range is refused in the page's words.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import Pages, shot
from tests.kiosk_harness import wait_until
from tests.test_pages_kiosk_services import open_kiosk, provider_buttons, service_buttons
from tests.test_pages_staff_monitor import Shop, new_shop

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(300)


# Everything inside the box is on the screen, sideways.
FITS = """
(sel) => [document.querySelector(sel), ...document.querySelectorAll(`${sel} *`)]
  .every((e) => {
    const r = e.getBoundingClientRect();
    return r.right <= innerWidth + 1 && r.left >= -1;
  })
"""


# The toasts were read already: out of the way of the screenshot.
NO_TOASTS = "() => document.querySelectorAll('.qk-toast').forEach((t) => t.remove())"


def open_admin(pages: Pages, shop: Shop, size: str = "tablet"):
    page = pages.open(f"/admin?shop={shop.id}", role="admin", size=size)
    page.locator("#admin-view").wait_for(state="visible", timeout=10_000)
    page.locator("#services").wait_for(timeout=5000)
    return page


def services(shop: Shop, everyone: bool = False) -> list[dict[str, Any]]:
    query = "?include_inactive=1" if everyone else ""
    r = shop.server.client("admin").get(f"/api/v1/shops/{shop.id}/services{query}")
    assert r.status == 200, r.body
    return sorted(r.body, key=lambda s: (s["position"], s["id"]))


def service_row(admin, name: str):
    return admin.locator("#svc-list .srow").filter(
        has=admin.locator(f'input[name="name"][value="{name}"]')
    )


def row_of(admin, service_id: int):
    return admin.locator(f'#svc-list .srow[data-service-id="{service_id}"]')


def toast_says(admin, text: str) -> None:
    admin.locator(".qk-toast .qk-toast-text", has_text=text).first.wait_for(timeout=5000)


def add(admin, name: str, minutes: str) -> None:
    admin.fill("#svc-add-name", name)
    admin.fill("#svc-add-minutes", minutes)
    admin.click("#svc-add")


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_the_owner_manages_services_and_the_kiosk_follows_live(server, pages, size):
    shop = new_shop(server)
    bob, alice = shop.providers
    admin = open_admin(pages, shop, size)
    admin.locator("#svc-empty").wait_for(timeout=5000)
    kiosk = open_kiosk(pages, shop)
    kiosk.click("#go-join")
    assert kiosk.locator("#j-svc-box").is_hidden()

    add(admin, "Haircut", "30")
    toast_says(admin, "Haircut added.")
    wait_until(lambda: len(services(shop)) == 1, timeout=5, message="added")
    admin.locator("#svc-one").wait_for(timeout=5000)  # one service: nobody is asked
    assert kiosk.locator("#j-svc-box").is_hidden()

    # Minutes out of range: refused, in a sentence of the catalog, and nothing is made.
    add(admin, "Beard trim", "0")
    toast_says(
        admin,
        "The service could not be added. Give each service a name (up to 100 characters)"
        " and its minutes, from 1 to 480.",
    )
    assert [s["name"] for s in services(shop)] == ["Haircut"]
    admin.fill("#svc-add-minutes", "15")
    admin.click("#svc-add")
    toast_says(admin, "Beard trim added.")
    wait_until(lambda: len(services(shop)) == 2, timeout=5, message="second service")
    haircut, beard = services(shop)
    assert (beard["name"], beard["minutes"], beard["provider_ids"]) == ("Beard trim", 15, [])

    # Two services: the kiosk asks, live.
    kiosk.locator("#j-svc-box").wait_for(timeout=5000)
    assert service_buttons(kiosk) == ["Haircut", "Beard trim"]

    # Renamed, 20 minutes, only Bob: saved, and the kiosk offers only Bob for it.
    row = row_of(admin, beard["id"])
    row.locator('input[name="name"]').fill("Beard & moustache")
    row.locator('input[name="minutes"]').fill("20")
    row.locator(".who-one", has_text="Bob Barber").locator("input").check()
    assert row.locator(".who-one").all_inner_texts() == ["Bob Barber", "Alice Cutter"]
    shot(admin, f"admin-services-editing-{size}")
    row.locator('[data-action="save"]').click()
    toast_says(admin, "Beard & moustache saved.")
    changed = next(s for s in services(shop) if s["id"] == beard["id"])
    assert (changed["name"], changed["minutes"], changed["provider_ids"]) == (
        "Beard & moustache",
        20,
        [bob["id"]],
    )
    kiosk.locator("#j-services .svc", has_text="Beard & moustache").click()
    assert provider_buttons(kiosk) == ["Anyone", "Bob Barber"]

    # A bad minutes value on a saved row: the same sentence, and the row keeps its value.
    row.locator('input[name="minutes"]').fill("481")
    row.locator('[data-action="save"]').click()
    toast_says(admin, "The service could not be saved. Give each service a name")
    assert next(s for s in services(shop) if s["id"] == beard["id"])["minutes"] == 20

    # Moved up: first in the owner's order, first on the kiosk.
    assert row.locator('[data-action="up"]').is_enabled()
    assert row_of(admin, haircut["id"]).locator('[data-action="up"]').is_disabled()
    row.locator('[data-action="up"]').click()
    wait_until(
        lambda: [s["id"] for s in services(shop)] == [beard["id"], haircut["id"]],
        timeout=5,
        message="moved up",
    )
    kiosk.wait_for_function(
        "() => document.querySelector('#j-services .svc').textContent === 'Beard & moustache'",
        timeout=5000,
    )
    admin.wait_for_function(
        "id => document.querySelector('#svc-list .srow').dataset.serviceId === String(id)",
        arg=beard["id"],
        timeout=5000,
    )

    # Deactivated (two taps): a ticket asked for it, so it is kept, retired. The kiosk no
    # longer asks; offered again, it asks again.
    r = shop.staff.post(
        f"/api/v1/shops/{shop.id}/queue", {"full_name": "Hu Cut", "service_id": haircut["id"]}
    )
    assert r.status == 201, r.body
    deactivate = row_of(admin, haircut["id"]).locator('[data-action="deactivate"]')
    deactivate.click()
    assert deactivate.inner_text() == "Tap to confirm"
    deactivate.click()
    toast_says(admin, "Haircut is deactivated")
    kiosk.locator("#j-svc-box").wait_for(state="hidden", timeout=5000)
    retired = admin.locator(f'#svc-off li[data-retired-id="{haircut["id"]}"]')
    retired.wait_for(timeout=5000)
    assert retired.locator(".meta").inner_text() == "30 min"
    admin.evaluate("() => document.getElementById('services').scrollIntoView()")
    admin.evaluate(NO_TOASTS)
    shot(admin, f"admin-services-{size}")
    retired.locator('[data-action="reactivate"]').click()
    toast_says(admin, "Haircut is offered again.")
    kiosk.locator("#j-svc-box").wait_for(timeout=5000)
    assert service_buttons(kiosk) == ["Beard & moustache", "Haircut"]
    assert admin.evaluate(FITS, "#services")
    # The activity trail says what the owner did, in words.
    admin.locator("#audit-rows .a-what b", has_text="added a service").first.wait_for(timeout=5000)
    assert admin.locator("#audit-rows .a-what b", has_text="service deleted").count() == 0

    # A service no ticket ever asked for is removed outright, and says so.
    row = row_of(admin, beard["id"])
    row.locator('[data-action="deactivate"]').click()
    row.locator('[data-action="deactivate"]').click()
    toast_says(admin, "Beard & moustache is removed: no ticket ever asked for it.")
    row.wait_for(state="detached", timeout=5000)
    assert [s["id"] for s in services(shop, everyone=True)] == [haircut["id"]]
    assert pages.problems(admin, kiosk) == {}


def test_a_service_made_elsewhere_shows_up_on_the_admin_page_live(server, pages):
    shop = new_shop(server)
    admin = open_admin(pages, shop)
    r = server.client("admin").post(
        f"/api/v1/shops/{shop.id}/services", {"name": "Consultation", "minutes": 10}
    )
    assert r.status == 201, r.body
    row_of(admin, r.body["id"]).wait_for(timeout=5000)
    assert row_of(admin, r.body["id"]).locator('input[name="minutes"]').input_value() == "10"
    assert pages.problems(admin) == {}


def settings(shop: Shop) -> dict[str, Any]:
    r = shop.server.client("admin").get("/api/v1/settings")
    assert r.status == 200, r.body
    return r.body


@pytest.mark.parametrize(("size", "lang"), [("tablet", "en"), ("phone", "de")])
def test_the_owner_sets_the_order_of_the_line(server, pages, size, lang):
    shop = new_shop(server)
    if lang != "en":
        r = server.client("admin").patch(f"/api/v1/shops/{shop.id}", {"language": lang})
        assert r.status == 200, r.body
    admin = open_admin(pages, shop, size)
    box = admin.locator("#line-rules")
    box.wait_for(timeout=5000)
    try:
        assert admin.is_checked('input[name="priority_rule"][value="first"]')
        assert not admin.is_checked("#set-prio-kiosk")
        assert admin.input_value("#set-grace") == "10"
        if lang == "de":
            assert "Vorrang" in box.inner_text() and "Priority" not in box.inner_text()

        # Take turns, 3 normal tickets between two priority ones.
        # Typed, then left with Tab, as a person does: the browser's own change event. (A
        # synthetic one leaves the box "edited", so it would fire again on the next click.)
        admin.fill("#set-ratio", "3")
        admin.press("#set-ratio", "Tab")
        wait_until(lambda: settings(shop)["priority_rule"] == "ratio:3", timeout=5, message="ratio")
        assert admin.is_checked('input[name="priority_rule"][value="ratio"]')
        # Out of range: refused in the page's words, the setting unchanged.
        admin.fill("#set-ratio", "11")
        admin.press("#set-ratio", "Tab")
        if lang == "en":
            toast_says(admin, "Choose from 1 to 10 normal tickets between two priority tickets.")
        else:
            toast_says(admin, "Wählen Sie 1 bis 10 normale Nummern")
        assert settings(shop)["priority_rule"] == "ratio:3"
        # Clicked, not .check(): each switch saves at once, and an earlier save's answer
        # may still redraw the panel just after the click; what counts is what is saved.
        admin.locator('input[name="priority_rule"][value="first"]').click()
        wait_until(lambda: settings(shop)["priority_rule"] == "first", timeout=5, message="first")
        admin.wait_for_function(
            "() => document.querySelector('input[name=priority_rule][value=first]').checked"
        )

        # Priority at the desk tablet: the switch, and the kiosk follows.
        kiosk = open_kiosk(pages, shop)
        kiosk.click("#go-join")
        assert kiosk.locator("#j-prio-box").is_hidden()
        admin.locator("#set-prio-kiosk").click()
        wait_until(lambda: settings(shop)["priority_at_kiosk"] is True, timeout=5, message="on")
        admin.wait_for_function("() => document.getElementById('set-prio-kiosk').checked")
        kiosk.locator("#j-prio-box").wait_for(timeout=5000)

        # Appointment grace.
        admin.fill("#set-grace", "25")
        admin.click("#grace-save")
        wait_until(
            lambda: settings(shop)["appointment_grace_minutes"] == 25, timeout=5, message="grace"
        )
        admin.fill("#set-grace", "999")
        admin.click("#grace-save")
        if lang == "en":
            toast_says(admin, "The grace is a whole number of minutes from 0 to 240.")
        else:
            toast_says(admin, "ganze Zahl von Minuten zwischen 0 und 240")
        assert settings(shop)["appointment_grace_minutes"] == 25
        box.scroll_into_view_if_needed()
        admin.evaluate(NO_TOASTS)
        shot(admin, f"admin-line-rules-{lang}-{size}")
        # (The header's sign-out is the page's own; this box must fit the phone.)
        assert admin.evaluate(FITS, "#line-rules")
        assert pages.problems(admin, kiosk) == {}
    finally:
        r = server.client("admin").patch(
            "/api/v1/settings",
            {"priority_rule": "first", "priority_at_kiosk": False, "appointment_grace_minutes": 10},
        )
        assert r.status == 200, r.body
