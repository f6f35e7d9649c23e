"""/admin tells the owner how to let a TV speak without a tap (SPEC §9): the Chromium
kiosk flags with this appliance's own display address, and the Android TV and Fire TV
set-ups, in the page's language."""

from __future__ import annotations

import pytest

from tests.browser import shot

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("size", ["tv", "tablet", "phone"])
def test_admin_gives_the_tv_sound_set_up(pages, server, size):
    admin = pages.open("/admin", size=size, role="admin")
    admin.wait_for_function(
        "() => document.getElementById('sound-url').textContent.endsWith('/display')"
    )
    command = admin.text_content("#sound-cmd")
    assert "--autoplay-policy=no-user-gesture-required" in command
    assert "--kiosk" in command and "--user-data-dir=" in command
    display = admin.text_content("#sound-url")
    assert display == admin.text_content("#qr-display .url"), display
    steps = admin.eval_on_selector_all(".sound-steps > li", "els => els.map(e => e.innerText)")
    assert len(steps) == 3
    assert "Android TV" in steps[1] and "Start on Boot" in steps[1]
    assert "Fire TV" in steps[2]
    admin.locator("#sound").scroll_into_view_if_needed()
    shot(admin, f"admin-sound-{size}")
    # The same in another language: the steps are translated, the command is not.
    spanish = pages.open("/admin?lang=es", size=size, role="admin")
    spanish.wait_for_function("() => document.documentElement.lang === 'es'")
    assert "Que la TV hable sin tocarla" in spanish.text_content("#sound-h")
    assert "--autoplay-policy" in spanish.text_content("#sound-cmd")
    assert pages.problems(admin, spanish) == {}
