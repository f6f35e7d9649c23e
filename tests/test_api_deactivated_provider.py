"""A deactivated provider keeps their name everywhere a ticket or appointment still names
them (SPEC §9, issue 13): the central monitor (its socket and its polling twin) lists
their day, so it counts the same waiting tickets as the staff screen and the TV."""

from __future__ import annotations

from tests import test_api as api
from tests.test_api import API
from tests.test_api_appointments import book, check_in, today_of


def monitor(server, shop_id: int, day: str) -> dict:
    resp = server.client("staff").get(f"{API}/monitor?date={day}&shop_id={shop_id}")
    assert resp.status == 200, resp.raw
    return resp.body["data"]


def waiting_on_monitor(data: dict) -> set[str]:
    """Tickets the monitor shows as waiting, counted as /monitor's page counts them."""
    entries = list(data["unassigned"])
    for block in data["doctors"]:
        entries += block["walk_ins"]
        entries += [a["queue"] for a in block["appointments"] if a["queue"]]
    return {e["ticket"] for e in entries if e["status"] == "checked_in"}


def test_the_monitor_keeps_tickets_of_a_deactivated_providers_appointments(server):
    shop = api.new_shop(server)
    rao = api.new_provider(server, shop["id"], "Dr. Rao")
    berg = api.new_provider(server, shop["id"], "Dr. Berg")
    day = today_of(server, shop["id"])
    first = book(server, berg, day, name="Ann Appleby")
    second = book(server, rao, day, name="Bo Brown")
    tickets = {check_in(server, a["id"]).body["ticket"] for a in (first, second)}
    walk_in = api.join(server.client("kiosk"), shop["id"], "Cy Walker", provider_id=berg["id"])
    tickets.add(walk_in["ticket"])
    assert waiting_on_monitor(monitor(server, shop["id"], day)) == tickets

    gone = server.client("admin").delete(f"{API}/providers/{berg['id']}")
    assert gone.status == 200, gone.raw

    queue = api.get_queue(server, shop["id"])
    on_tv = {e["ticket"] for e in queue["queue_items"] if e["status"] == "CHECKED_IN"}
    assert on_tv == tickets
    data = monitor(server, shop["id"], day)
    assert waiting_on_monitor(data) == on_tv, data
    # Dr. Berg's appointment is still listed under her name, marked inactive; the count of
    # providers is of the active ones (SPEC §8).
    blocks = {d["doctor"]["name"]: d for d in data["doctors"]}
    assert set(blocks) == {"Dr. Rao", "Dr. Berg"}
    assert blocks["Dr. Berg"]["active"] is False and blocks["Dr. Rao"]["active"] is True
    assert [a["appointment_id"] for a in blocks["Dr. Berg"]["appointments"]] == [first["id"]]
    assert data["total_doctors"] == 1
    assert data["total_appointments"] == 2


def test_the_tv_body_names_a_deactivated_provider_still_serving(server):
    shop = api.new_shop(server)
    mia = api.new_provider(server, shop["id"], "Mia")
    entry = api.join(server.client("kiosk"), shop["id"], "Dee Doe", provider_id=mia["id"])
    started = server.client("staff").patch(f"{API}/queue/{entry['id']}", {"status": "IN_SERVICE"})
    assert started.status == 200, started.raw
    assert server.client("admin").delete(f"{API}/providers/{mia['id']}").status == 200
    body = api.get_queue(server, shop["id"])
    assert [(p["name"], p["active"]) for p in body["providers"]] == [("Mia", False)]
    done = server.client("staff").patch(f"{API}/queue/{entry['id']}", {"status": "COMPLETED"})
    assert done.status == 200, done.raw
    assert api.get_queue(server, shop["id"])["providers"] == []
