"""The shop's kind picks the words on every screen (SPEC §9, issue 13): set on /admin,
a clinic's monitor says "Patient" and shows age and gender, a barber's says "Customer"
and shows neither; the staff console and /admin follow the same catalog variants."""

from __future__ import annotations

import pytest

from tests import test_pages_kiosk_display as kiosk_display
from tests.browser import shot
from tests.test_pages_staff_monitor import new_shop

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

HEADER = "document.querySelector('#doctors th:nth-child(2)').textContent"
DETAILS = "document.querySelector('#doctors td.patient small').textContent"


def set_kind(server, shop_id: int, kind: str) -> None:
    r = server.client("admin").patch(f"/api/v1/shops/{shop_id}", {"kind": kind})
    assert r.status == 200 and r.body["kind"] == kind, r.body


def open_monitor(pages, shop_id: int, size: str):
    page = pages.open(f"/monitor?shop={shop_id}", size=size, role="staff")
    page.wait_for_selector("#doctors td.patient", timeout=5000)
    return page


def test_a_barber_and_a_clinic_get_their_own_words(pages, server):
    shop = new_shop(server, ("Dr. Rao",))
    shop.book(shop.providers[0]["id"], "Nora North", "10:00")
    set_kind(server, shop.id, "barber")

    barber = open_monitor(pages, shop.id, "tablet")
    assert barber.evaluate(HEADER) == "Customer"
    details = barber.evaluate(DETAILS)
    assert "555" in details and "40" not in details and "female" not in details, details

    # The owner picks "clinic" on /admin: /admin's own words follow at once.
    admin = pages.open(f"/admin?shop={shop.id}", size="tablet", role="admin")
    admin.wait_for_function("() => document.getElementById('shop-kind').value === 'barber'")
    assert "Barbers or chairs" in admin.text_content("#providers p.muted")
    admin.select_option("#shop-kind", "clinic")
    admin.click("#kind-save")
    admin.wait_for_function(
        "() => document.querySelector('#providers p.muted').textContent.startsWith('Doctors,')",
        timeout=5000,
    )
    assert server.client().get(f"/api/v1/shops/{shop.id}").body["kind"] == "clinic"

    for size in ("tablet", "phone", "tv"):
        clinic = open_monitor(pages, shop.id, size)
        assert clinic.evaluate(HEADER) == "Patient"
        details = clinic.evaluate(DETAILS)
        assert "40" in details and "female" in details, details
        shot(clinic, f"monitor-clinic-{size}")

    # The staff console uses the same catalog variant ("Patient left").
    shop.join("Walk Inman")
    staff = pages.open(f"/staff?shop={shop.id}", size="phone", role="staff")
    staff.wait_for_selector("[data-action='left']", state="attached", timeout=5000)
    assert staff.text_content("[data-action='left']").strip() == "Patient left"
    assert pages.problems(barber, admin, clinic, staff) == {}


def test_the_tv_follows_the_kind_live_in_words_and_voice(pages, server):
    shop, _ = kiosk_display.new_shop(server, ("Dr. Rao",))
    tv = pages.open(f"/display?shop={shop}", size="tv", init_script=kiosk_display.AUDIO_SPY)
    kiosk_display.unlock_sound(tv)
    first = kiosk_display.join(server, shop, "Ada Anyone")
    kiosk_display.set_status(server, first["id"], "CALLED")
    tv.wait_for_selector("#call:not([hidden])", timeout=5000)
    assert tv.text_content("#call .where") == "→ Front desk"
    kiosk_display.set_status(server, first["id"], "IN_SERVICE")

    changed = server.client("admin").patch(f"/api/v1/shops/{shop}", {"kind": "clinic"})
    assert changed.status == 200, changed.body
    kiosk_display.wait_seq(tv, int(changed.headers["x-seq"]))
    second = kiosk_display.join(server, shop, "Bea Patient")
    kiosk_display.set_status(server, second["id"], "CALLED")
    tv.wait_for_function(
        "t => document.querySelector('#call .ticket').textContent === t", arg=second["ticket"]
    )
    assert tv.text_content("#call .where") == "→ Reception"
    tv.wait_for_function(
        "() => (window.__calls || []).some((c) => c.includes('please come to reception'))",
        timeout=10_000,
    )
    shot(tv, "tv-clinic-call")
    assert pages.problems(tv) == {}
