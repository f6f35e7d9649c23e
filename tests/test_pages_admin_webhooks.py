"""/admin's webhooks panel (SPEC §15): the owner adds a URL, copies the secret shown
once, and sees each webhook's last outcome — a receiver that is down shows as failed."""

from __future__ import annotations

import pytest

from tests.browser import shot
from tests.test_webhooks import new_shop
from tests.webhook_receiver import Receiver

pytest_plugins = ("tests.browser", "tests.webhook_receiver")

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_the_owner_adds_a_webhook_and_sees_its_outcome(pages, server, receiver: Receiver, size):
    receiver.status = 503  # down: the panel must say so
    shop_id = new_shop(server)
    admin = pages.open(f"/admin?shop={shop_id}", size=size, role="admin")
    admin.wait_for_selector("#webhook-list li")
    admin.fill("#webhook-url", receiver.url)
    admin.click("#webhook-all")  # choose events one by one
    admin.check("#webhook-events input[value='queue_joined']")
    admin.click("#webhook-add")
    admin.wait_for_selector("#webhook-secret-box:not([hidden])")
    secret = admin.text_content("#webhook-secret")
    assert secret.startswith("whsec_")
    row = admin.locator("#webhook-list li.webhook", has_text=receiver.url)
    assert "queue_joined" in row.inner_text()

    joined = server.client("kiosk").post(f"/api/v1/shops/{shop_id}/queue", {"full_name": "Ana B"})
    assert joined.status == 201
    # The panel looks again a moment after a change in its shop (and every 15 s besides):
    # the outcome of the first attempt shows.
    row.locator(".webhook-failed").wait_for(timeout=40_000)
    assert "503" in row.inner_text()
    admin.locator("#webhooks").scroll_into_view_if_needed()
    shot(admin, f"admin-webhooks-{size}")
    # Nothing overflows the panel at this size.
    overflow = admin.evaluate(
        "() => { const s = document.getElementById('webhooks');"
        " return s.scrollWidth - s.clientWidth; }"
    )
    assert overflow <= 1, overflow

    row.locator("[data-action=remove]").click()
    row.locator("[data-action=remove]").click()  # the second tap does it
    admin.wait_for_selector(
        f"#webhook-list li.webhook:has-text('{receiver.url}')", state="detached"
    )
    assert pages.problems(admin) == {}
