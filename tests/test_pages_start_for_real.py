""" "Start for real" on /admin (SPEC §9) against a real `kiosk serve --demo`: the panel shows
while the demo's rows are there, a confirm dialog asks first, and after it the TV and the
monitor drop the demo's people live while the owner's own rows stay."""

from __future__ import annotations

import pytest

from tests.browser import shot

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

SERVER_ARGS = ("--demo",)

NEXT_NAMES = "[...document.querySelectorAll('#next .name')].map((e) => e.textContent)"


def test_start_for_real_on_admin_clears_the_demo_from_every_screen(pages, server):
    staff = server.client("staff")
    real = staff.post("/api/v1/shops/1/queue", {"full_name": "Rita Real"})
    assert real.status == 201, real.body
    tv = pages.open("/display", size="tv")
    tv.wait_for_function(f"{NEXT_NAMES}.includes('Ada L.')", timeout=5000)
    monitor = pages.open("/monitor", size="tv", role="staff")
    monitor.wait_for_selector("#doctors .doctor", timeout=5000)
    admin = pages.open("/admin", size="tablet", role="admin")
    admin.wait_for_selector("#real:not([hidden])", timeout=5000)

    admin.click("#real-open")
    admin.wait_for_selector("#real-dialog[open]", timeout=2000)
    shot(admin, "admin-start-for-real-dialog-tablet")
    admin.click("#real-cancel")  # "keep them for now" changes nothing
    admin.wait_for_selector("#real-dialog", state="hidden", timeout=2000)
    assert staff.get("/api/v1/demo").status == 403  # (staff may not even ask)
    assert server.client("admin").get("/api/v1/demo").body["present"] is True

    admin.click("#real-open")
    admin.click("#real-confirm")
    admin.wait_for_selector("#real", state="hidden", timeout=5000)
    admin.wait_for_selector("#qk-toasts .qk-toast", timeout=5000)
    # Live, on the TV and the monitor: the demo's people are gone, Rita stays.
    only_rita = f"JSON.stringify({NEXT_NAMES}) === JSON.stringify(['Rita R.'])"
    tv.wait_for_function(only_rita, timeout=5000)
    tv.wait_for_function("document.querySelectorAll('#serving .desk').length === 1", timeout=5000)
    monitor.wait_for_function(
        "document.querySelectorAll('#doctors .doctor').length === 0", timeout=5000
    )
    assert server.client("admin").get("/api/v1/demo").body["present"] is False
    shot(admin, "admin-start-for-real-done-tablet")
    shot(tv, "tv-after-start-for-real")
    assert pages.problems(tv, monitor, admin) == {}
