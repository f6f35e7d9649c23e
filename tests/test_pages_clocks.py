"""Every screen shows the appliance's time, never the device's (SPEC §9, issue 13): a TV,
tablet or phone whose own clock and time zone are wrong still shows the shop's time on
/display, /monitor and /admin."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser import VIEWPORTS, shot

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

SHOP_ZONE = "America/New_York"
DEVICE_ZONE = "Asia/Tokyo"  # 13 or 14 hours off the shop's: a device set up abroad


def readings(zone: str) -> set[str]:
    """The shop's clock as an English screen writes it, this minute and the last."""
    now = datetime.now(ZoneInfo(zone))
    return {
        f"{t.hour % 12 or 12}:{t.minute:02d}\u202f{'AM' if t.hour < 12 else 'PM'}"
        for t in (now, now - timedelta(minutes=1))
    }


def same(text: str, wanted: set[str]) -> bool:
    return text.replace(" ", "\u202f") in wanted


SCREENS = [("/display", None), ("/monitor", "staff"), ("/admin", "admin")]


@pytest.mark.parametrize("size", ["tv", "tablet", "phone"])
@pytest.mark.parametrize("path, role", SCREENS)
def test_the_clock_is_the_appliances_not_the_devices(pages, server, size, path, role):
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "Clock Shop", "timezone": SHOP_ZONE})
    assert shop.status == 201, shop.body
    # The device is 3 hours fast as well as in the wrong zone.
    fast = "Date.now = ((now) => () => now() + 3 * 3600 * 1000)(Date.now);"
    context = pages.browser.new_context(viewport=VIEWPORTS[size], timezone_id=DEVICE_ZONE)
    pages.contexts.append(context)
    address = f"{path}?shop={shop.body['id']}"
    page = pages.open(address, role=role, context=context, init_script=fast)
    page.wait_for_function("() => !!document.getElementById('clock').dataset.serverTime")
    text = page.text_content("#clock")
    assert same(text, readings(SHOP_ZONE)), (text, readings(SHOP_ZONE))
    assert not same(text, readings(DEVICE_ZONE))
    shot(page, f"clock{path.replace('/', '-')}-{size}")
    assert pages.problems(page) == {}
