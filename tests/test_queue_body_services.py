"""Every queue body names the shop's services (SPEC §10), as it names its providers: a
service added, renamed or retired at /admin reaches the staff console and the TV with
the next `queue_update`, and a retired service keeps its name while a ticket on screen
still asks for it. The real server, its sockets and its SQLite file; no mocks."""

from __future__ import annotations

import asyncio

from tests.ws_client import API, WS, join, new_shop, ok

SERVER_ARGS = ("--refresh", "3600")


def names(body: dict) -> dict[int, tuple[str, bool]]:
    return {s["id"]: (s["name"], s["active"]) for s in body["services"]}


async def test_a_service_renamed_or_retired_reaches_staff_and_display_sockets(server):
    shop = await new_shop(server)
    path = f"{API}/shops/{shop['id']}/services"
    cut = await ok(server, "POST", path, {"name": "Haircut", "minutes": 30}, role="admin")
    beard = await ok(server, "POST", path, {"name": "Beard", "minutes": 15}, role="admin")
    staff = await WS.connect(server, f"/ws/queue/{shop['id']}/", server.token("staff"))
    display = await WS.connect(server, f"/ws/queue/{shop['id']}")
    try:
        for sock in (staff, display):
            first = await sock.wait_for("queue_update")
            assert names(first) == {cut["id"]: ("Haircut", True), beard["id"]: ("Beard", True)}
        # The owner's order, whatever the ids.
        await ok(server, "PATCH", f"{API}/services/{cut['id']}", {"position": 2}, role="admin")
        renamed = await ok(
            server, "PATCH", f"{API}/services/{cut['id']}", {"name": "Cut & wash"}, role="admin"
        )
        for sock in (staff, display):
            update = (
                await sock.until(
                    lambda m: m.get("type") == "queue_update" and m["seq"] >= renamed["seq"],
                    what="the rename",
                )
            )[-1]
            assert [s["name"] for s in update["services"]] == ["Beard", "Cut & wash"]

        # Retired while a ticket asks for it: still named (inactive) while that ticket is open.
        entry = await join(server, shop["id"], "Walt Waiting", role="staff", service_id=cut["id"])
        gone = await ok(server, "DELETE", f"{API}/services/{cut['id']}", role="admin")
        assert gone["active"] is False
        update = (
            await staff.until(
                lambda m: m.get("type") == "queue_update" and m["seq"] >= gone["seq"],
                what="the retirement",
            )
        )[-1]
        assert names(update)[cut["id"]] == ("Cut & wash", False)
        left = await ok(server, "PATCH", f"{API}/queue/{entry['id']}", {"status": "LEFT"})
        update = (
            await staff.until(
                lambda m: m.get("type") == "queue_update" and m["seq"] >= left["seq"],
                what="the ticket leaving",
            )
        )[-1]
        assert names(update) == {beard["id"]: ("Beard", True)}
    finally:
        await asyncio.gather(staff.close(), display.close())


async def test_a_shop_without_services_has_an_empty_list(server):
    shop = await new_shop(server)
    body = await ok(server, "GET", f"{API}/shops/{shop['id']}/queue", role=None)
    assert body["services"] == []
