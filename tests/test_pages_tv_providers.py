"""The waiting-room TV follows the shop's providers live (SPEC §9, issue 13): one added,
renamed or deactivated at /admin (here: through the API) changes the TV's tiles at once,
not at its next periodic re-read."""

from __future__ import annotations

import pytest

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
