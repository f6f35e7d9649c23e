"""The TV's code for customers' own phones (SPEC §9): the QR on /display opens /join at
the address the appliance gives phones, is labelled, leaves while self check-in is off,
and never takes a name's room."""

from __future__ import annotations

import pytest

from tests.browser import shot
from tests.test_pages_kiosk_display import join, new_shop

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

CODE_SHOWN = (
    "() => { const b = document.getElementById('join-code');"
    " return !b.hidden && !!b.querySelector('svg'); }"
)
CODE_HIDDEN = "() => document.getElementById('join-code').hidden"


def test_the_tv_offers_phones_a_labelled_code_to_join_until_self_check_in_is_off(pages, server):
    shop, _ = new_shop(server, ("Chair 1", "Chair 2"))
    join(server, shop, "Katherine Johnson-Whitfield")
    appliance = server.client().get(f"/api/v1/appliance?shop={shop}").body
    tv = pages.open(f"/display?shop={shop}", size="tv")
    tv.wait_for_function(CODE_SHOWN, timeout=10_000)
    assert tv.get_attribute("#join-code svg", "data-qr-text") == appliance["urls"]["join"]
    assert tv.inner_text("#join-code-label") == "Join from your phone"
    assert tv.get_attribute("#join-code svg", "aria-label") == "Join from your phone"
    # Inside the screen and clear of the names.
    box = tv.locator("#join-code").bounding_box()
    assert box["y"] + box["height"] <= 1080 and box["x"] + box["width"] <= 1920, box
    tv.wait_for_selector("#next li", timeout=10_000)
    names = [b for b in (e.bounding_box() for e in tv.locator("#next li").all()) if b]
    assert names, "the waiting customer is listed"
    for other in names:
        overlaps = not (
            other["x"] + other["width"] <= box["x"]
            or box["x"] + box["width"] <= other["x"]
            or other["y"] + other["height"] <= box["y"]
            or box["y"] + box["height"] <= other["y"]
        )
        assert not overlaps, (other, box)
    shot(tv, "display-tv-join-code")

    admin = server.client("admin")
    assert admin.patch("/api/v1/settings", {"self_checkin": False}).status == 200
    tv.wait_for_function(CODE_HIDDEN, timeout=10_000)
    assert admin.patch("/api/v1/settings", {"self_checkin": True}).status == 200
    tv.wait_for_function(CODE_SHOWN, timeout=10_000)
    assert pages.problems(tv) == {}


def test_the_code_can_be_left_off_and_a_phone_sized_tv_page_has_none(pages, server):
    shop, _ = new_shop(server, ("Chair 1",))
    tv = pages.open(f"/display?shop={shop}&qr=off", size="tv")
    tv.wait_for_selector("#serving .desk", timeout=10_000)
    assert tv.evaluate(CODE_HIDDEN)
    phone = pages.open(f"/display?shop={shop}", size="phone")
    phone.wait_for_selector("#serving .desk", timeout=10_000)
    phone.wait_for_function("() => !!document.querySelector('#join-code svg')", timeout=10_000)
    assert not phone.locator("#join-code").is_visible()
    assert pages.problems(tv, phone) == {}
