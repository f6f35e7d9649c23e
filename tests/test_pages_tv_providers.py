"""The waiting-room TV follows the shop's providers live (SPEC §9, issue 13): one added,
renamed or deactivated at /admin (here: through the API) changes the TV's tiles at once,
not at its next periodic re-read."""

from __future__ import annotations

import pytest

from tests.browser import shot
from tests.test_pages_kiosk_display import join, new_shop, set_status, wait_seq

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

TILE_NAMES = "[...document.querySelectorAll('#serving .desk-name')].map((e) => e.textContent)"


def tile_names(page) -> list[str]:
    return page.evaluate(TILE_NAMES)


def wait_tiles(page, want: list[str], timeout_ms: int = 5000) -> None:
    page.wait_for_function(
        f"w => JSON.stringify({TILE_NAMES}) === JSON.stringify(w)", arg=want, timeout=timeout_ms
    )


def test_added_renamed_and_deactivated_providers_reach_the_tv_live(pages, server):
    shop, providers = new_shop(server, ("Chair 1", "Chair 2"))
    tv = pages.open(f"/display?shop={shop}", size="tv")
    wait_tiles(tv, ["Chair 1", "Chair 2"])
    admin = server.client("admin")

    added = admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Dr. Rao"})
    assert added.status == 201, added.body
    wait_tiles(tv, ["Chair 1", "Chair 2", "Dr. Rao"])

    renamed = admin.patch(f"/api/v1/providers/{providers[0]['id']}", {"name": "Maria"})
    assert renamed.status == 200, renamed.body
    wait_tiles(tv, ["Maria", "Chair 2", "Dr. Rao"])

    gone = admin.delete(f"/api/v1/providers/{providers[1]['id']}")
    assert gone.status == 200, gone.body
    wait_tiles(tv, ["Maria", "Dr. Rao"])

    # PATCH active=false is a deactivation too, and a reactivation brings the tile back.
    off = admin.patch(f"/api/v1/providers/{added.body['id']}", {"active": False})
    assert off.status == 200, off.body
    wait_tiles(tv, ["Maria"])
    on = admin.patch(f"/api/v1/providers/{added.body['id']}", {"active": True})
    assert on.status == 200, on.body
    wait_tiles(tv, ["Maria", "Dr. Rao"])
    assert pages.problems(tv) == {}


def test_a_deactivated_provider_serving_a_ticket_keeps_their_name_on_the_tv(pages, server):
    shop, providers = new_shop(server, ("Jonas", "Mia"))
    tv = pages.open(f"/display?shop={shop}", size="tv")
    entry = join(server, shop, "Ben Carter", providers[1]["id"])
    set_status(server, entry["id"], "IN_SERVICE")
    gone = server.client("admin").delete(f"/api/v1/providers/{providers[1]['id']}")
    assert gone.status == 200, gone.body
    wait_seq(tv, int(gone.headers["x-seq"]))
    # Mia's chair is still busy with A-ticket: her name stays on its tile until done.
    wait_tiles(tv, ["Jonas", "Mia"])
    done = set_status(server, entry["id"], "COMPLETED")
    wait_seq(tv, done)
    wait_tiles(tv, ["Jonas"])
    assert pages.problems(tv) == {}


def test_monitor_counts_the_same_waiting_as_the_tv_after_a_deactivation(pages, server):
    """Issue 13: /monitor showed 7 waiting where the TV showed 8, after the provider of a
    checked-in appointment was deactivated. Both count the same, and the monitor keeps the
    provider's day under their name."""
    shop, providers = new_shop(server, ("Dr. Rao", "Dr. Berg"))
    staff = server.client("staff")
    day = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    booked = staff.post(
        "/api/v1/appointments",
        {"provider_id": providers[1]["id"], "date": day, "patient": {"name": "Ann Appleby"}},
    )
    assert booked.status == 201, booked.body
    checked = server.client("kiosk").post("/api/v1/checkins", {"appointment_id": booked.body["id"]})
    assert checked.status == 201, checked.body
    for name in ("Bo Brown", "Cy Cole"):
        join(server, shop, name, providers[0]["id"])
    gone = server.client("admin").delete(f"/api/v1/providers/{providers[1]['id']}")
    assert gone.status == 200, gone.body

    tv = pages.open(f"/display?shop={shop}", size="tv")
    monitor = pages.open(f"/monitor?shop={shop}", size="tablet", role="staff")
    wait_seq(tv, int(gone.headers["x-seq"]))
    tv.wait_for_function("() => document.getElementById('waiting-count')?.textContent === '3'")
    monitor.wait_for_function("() => document.getElementById('st-waiting').textContent === '3'")
    card = f"#doctors .doctor[data-provider-id='{providers[1]['id']}']"
    assert monitor.text_content(f"{card} .doc-name") == "Dr. Berg"
    assert monitor.is_visible(f"{card} .doc-inactive")
    assert monitor.text_content("#st-doctors") == "1"  # active providers (SPEC §8)
    shot(monitor, "monitor-deactivated-provider-tablet")
    assert pages.problems(tv, monitor) == {}
