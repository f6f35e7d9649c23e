"""The shop's kind picks the words on every screen (SPEC §9, issue 13): set on /admin,
a clinic's monitor says "Patient" and shows age and gender, a barber's says "Customer"
and shows neither; the staff console and /admin follow the same catalog variants."""

from __future__ import annotations

import pytest

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
