"""Services, priority and the order of the line through the real server (SPEC §10):
the services API, joins for a service, call-next that follows services, transfers,
priority tickets by the owner's rule, and waits that count free chairs.

Every write is checked in the database file too: exactly one event, with its actor
and topics. Each test makes its own shop; tests that depend on the priority rule set
it first (it is appliance-wide).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest

from kiosk.config import DB_FILENAME
from tests.test_api import (
    API,
    anon_from_own_address,
    assert_queue_invariants,
    expect_error,
    expect_field_error,
    get_queue,
    item,
    join,
    new_provider,
    new_shop,
    set_status,
    waiting_ids,
)

SERVICE_KEYS = {"id", "shop_id", "name", "minutes", "provider_ids", "active", "position"}


# ---------------------------------------------------------------- helpers


def last_seq(server) -> int:
    con = sqlite3.connect(server.data_dir / DB_FILENAME)
    try:
        return con.execute("SELECT COALESCE(MAX(seq), 0) FROM event").fetchone()[0]
    finally:
        con.close()


def events_after(server, seq: int) -> list[dict[str, Any]]:
    con = sqlite3.connect(server.data_dir / DB_FILENAME)
    try:
        rows = con.execute(
            "SELECT seq, type, actor, topics, data FROM event WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
    finally:
        con.close()
    return [
        {
            "seq": s,
            "type": t,
            "actor": orjson.loads(a),
            "topics": orjson.loads(tp),
            "data": orjson.loads(d),
        }
        for s, t, a, tp, d in rows
    ]


def one_event(server, before: int, answer: dict[str, Any], type: str) -> dict[str, Any]:
    """The write made exactly one event, of this type, with an actor and topics, and its
    answer names its seq."""
    made = events_after(server, before)
    assert [e["type"] for e in made] == [type], made
    event = made[0]
    assert answer["seq"] == event["seq"]
    assert event["actor"]["role"] in ("admin", "staff", "kiosk", "display")
    assert event["topics"], event
    return event


def new_service(server, shop_id: int, name: str, minutes: int = 20, **fields) -> dict[str, Any]:
    resp = server.client("admin").post(
        f"{API}/shops/{shop_id}/services", {"name": name, "minutes": minutes, **fields}
    )
    assert resp.status == 201, resp.raw
    return resp.body


def set_settings(server, **changes) -> None:
    resp = server.client("admin").patch(f"{API}/settings", changes)
    assert resp.status == 200, resp.raw


def call_next(server, shop_id: int, provider_id: int | None = None):
    body = {"provider_id": provider_id} if provider_id else None
    return server.client("staff").post(f"{API}/shops/{shop_id}/queue/call-next", body)


# ---------------------------------------------------------------- the services API


def test_services_are_made_listed_changed_and_removed_by_the_owner(server):
    shop = new_shop(server)
    barber = new_provider(server, shop["id"])
    before = last_seq(server)
    cut = server.client("admin").post(
        f"{API}/shops/{shop['id']}/services",
        {"name": "Haircut", "minutes": 30, "provider_ids": [barber["id"]]},
    )
    assert cut.status == 201, cut.raw
    assert set(cut.body) == SERVICE_KEYS | {"seq"}
    assert cut.body["provider_ids"] == [barber["id"]] and cut.body["active"] is True
    event = one_event(server, before, cut.body, "service_created")
    assert (
        f"queue:{shop['id']}" in event["topics"] and event["data"]["service"]["name"] == "Haircut"
    )
    beard = new_service(server, shop["id"], "Beard", 15)
    assert beard["position"] > cut.body["position"] and beard["provider_ids"] == []

    # Anyone may read the list (the kiosk and /join ask for a service from it).
    listed = server.client().get(f"{API}/shops/{shop['id']}/services")
    assert listed.status == 200
    assert [s["name"] for s in listed.body] == ["Haircut", "Beard"]

    before = last_seq(server)
    renamed = server.client("admin").patch(
        f"{API}/services/{beard['id']}", {"name": "Beard trim", "minutes": 10}
    )
    assert renamed.status == 200, renamed.raw
    assert (renamed.body["name"], renamed.body["minutes"]) == ("Beard trim", 10)
    one_event(server, before, renamed.body, "service_updated")
    moved = server.client("admin").patch(f"{API}/services/{cut.body['id']}", {"position": 9})
    assert moved.status == 200 and moved.body["position"] == 9
    listed = server.client().get(f"{API}/shops/{shop['id']}/services").body
    assert [s["name"] for s in listed] == ["Beard trim", "Haircut"]

    # Never used: deleted outright. Used by a ticket: kept, inactive, for the history.
    before = last_seq(server)
    gone = server.client("admin").delete(f"{API}/services/{beard['id']}")
    assert gone.status == 200 and gone.body["deleted"] is True
    one_event(server, before, gone.body, "service_deleted")
    expect_error(
        server.client("admin").patch(f"{API}/services/{beard['id']}", {"minutes": 5}),
        404,
        "not_found",
    )
    join(server.client("kiosk"), shop["id"], service_id=cut.body["id"])
    kept = server.client("admin").delete(f"{API}/services/{cut.body['id']}")
    assert kept.status == 200 and kept.body["deleted"] is False and kept.body["active"] is False
    assert server.client().get(f"{API}/shops/{shop['id']}/services").body == []
    everything = server.client("admin").get(f"{API}/shops/{shop['id']}/services?include_inactive=1")
    assert [s["id"] for s in everything.body] == [cut.body["id"]]


@pytest.mark.parametrize("role", [None, "display", "kiosk", "staff"])
def test_only_the_owner_changes_services(server, role):
    shop = new_shop(server)
    service = new_service(server, shop["id"], "Wash")
    client = server.client(role)
    status, code = (401, "unauthorized") if role is None else (403, "forbidden")
    before = last_seq(server)
    expect_error(
        client.post(f"{API}/shops/{shop['id']}/services", {"name": "X", "minutes": 5}),
        status,
        code,
    )
    expect_error(client.patch(f"{API}/services/{service['id']}", {"minutes": 5}), status, code)
    expect_error(client.delete(f"{API}/services/{service['id']}"), status, code)
    expect_error(client.get(f"{API}/shops/{shop['id']}/services?include_inactive=1"), status, code)
    assert events_after(server, before) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 20}, "name"),
        ({"name": "", "minutes": 20}, "name"),
        ({"name": "Cut"}, "minutes"),
        ({"name": "Cut", "minutes": 0}, "minutes"),
        ({"name": "Cut", "minutes": 481}, "minutes"),
        ({"name": "Cut", "minutes": "30"}, "minutes"),
        ({"name": "Cut", "minutes": 30, "provider_ids": "all"}, "provider_ids"),
        ({"name": "Cut", "minutes": 30, "provider_ids": [999_999]}, "provider_ids"),
        ({"name": "Cut", "minutes": 30, "active": "yes"}, "active"),
        ({"name": "Cut", "minutes": 30, "colour": "red"}, "colour"),
    ],
)
def test_bad_service_fields_are_422(server, body, field):
    shop = new_shop(server)
    admin = server.client("admin")
    expect_field_error(admin.post(f"{API}/shops/{shop['id']}/services", body), field)


def test_service_errors_404_409_and_bad_json(server):
    shop, other = new_shop(server), new_shop(server)
    elsewhere = new_provider(server, other["id"])
    admin = server.client("admin")
    service = new_service(server, shop["id"], "Colour", 60)
    expect_error(
        admin.post(f"{API}/shops/999999/services", {"name": "A", "minutes": 5}), 404, "not_found"
    )
    expect_error(admin.get(f"{API}/shops/999999/services"), 404, "not_found")
    expect_error(admin.delete(f"{API}/services/999999"), 404, "not_found")
    details = expect_error(
        admin.post(f"{API}/shops/{shop['id']}/services", {"name": "Colour", "minutes": 5}),
        409,
        "conflict",
    )
    assert details["service_id"] == service["id"]
    # Another shop's provider does not work here.
    expect_field_error(
        admin.patch(f"{API}/services/{service['id']}", {"provider_ids": [elsewhere["id"]]}),
        "provider_ids",
    )
    expect_field_error(admin.patch(f"{API}/services/{service['id']}", {}), "name")
    expect_error(admin.patch(f"{API}/services/{service['id']}", body=b"[1, 2]"), 400, "bad_json")


# ---------------------------------------------------------------- joins and call-next


def test_join_for_a_service_and_call_next_follows_who_offers_it(server):
    shop = new_shop(server)
    cutter, shaver = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    cut = new_service(server, shop["id"], "Cut", 30, provider_ids=[cutter["id"]])
    shave = new_service(server, shop["id"], "Shave", 15, provider_ids=[shaver["id"]])
    anything = new_service(server, shop["id"], "Wash", 10)
    kiosk = server.client("kiosk")
    shave_first = join(kiosk, shop["id"], service_id=shave["id"])
    cut_second = join(kiosk, shop["id"], service_id=cut["id"])
    wash_third = join(kiosk, shop["id"], service_id=anything["id"])
    assert (shave_first["service_id"], cut_second["service_id"]) == (shave["id"], cut["id"])

    # The cutter skips the shave they do not offer; the shaver takes it.
    called = call_next(server, shop["id"], cutter["id"])
    assert called.status == 200 and called.body["id"] == cut_second["id"], called.raw
    called = call_next(server, shop["id"], cutter["id"])
    assert called.body["id"] == wash_third["id"]
    expect_error(call_next(server, shop["id"], cutter["id"]), 404, "not_found")
    assert call_next(server, shop["id"], shaver["id"]).body["id"] == shave_first["id"]


def test_a_join_names_an_active_service_its_provider_offers(server):
    shop, other = new_shop(server), new_shop(server)
    cutter, shaver = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    cut = new_service(server, shop["id"], "Cut", 30, provider_ids=[cutter["id"]])
    new_service(server, shop["id"], "Shave", 15)
    new_service(server, shop["id"], "Wash", 5)
    foreign = new_service(server, other["id"], "Cut", 30)
    kiosk = server.client("kiosk")
    url = f"{API}/shops/{shop['id']}/queue"
    before = last_seq(server)
    expect_field_error(
        kiosk.post(url, {"full_name": "A B", "service_id": foreign["id"]}), "service_id"
    )
    expect_field_error(kiosk.post(url, {"full_name": "A B", "service_id": "cut"}), "service_id")
    expect_field_error(
        kiosk.post(url, {"full_name": "A B", "service_id": cut["id"], "provider_id": shaver["id"]}),
        "provider_id",
    )
    server.client("admin").patch(f"{API}/services/{cut['id']}", {"active": False})
    expect_field_error(kiosk.post(url, {"full_name": "A B", "service_id": cut["id"]}), "service_id")
    assert [e["type"] for e in events_after(server, before)] == ["service_updated"]
    # With several services, a join may still name none (an old client): any provider.
    assert join(kiosk, shop["id"])["service_id"] is None


def test_a_shop_with_one_service_gives_it_to_every_ticket(server):
    shop = new_shop(server)
    only = new_service(server, shop["id"], "Consultation", 10)
    assert join(server.client("kiosk"), shop["id"])["service_id"] == only["id"]


def test_a_transfer_changes_the_service_and_keeps_the_place(server):
    shop = new_shop(server)
    cutter, shaver = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    cut = new_service(server, shop["id"], "Cut", 30, provider_ids=[cutter["id"]])
    shave = new_service(server, shop["id"], "Shave", 15, provider_ids=[shaver["id"]])
    kiosk, staff = server.client("kiosk"), server.client("staff")
    first = join(kiosk, shop["id"], service_id=shave["id"])
    mover = join(kiosk, shop["id"], service_id=shave["id"])
    last = join(kiosk, shop["id"], service_id=shave["id"])
    before = last_seq(server)
    moved = staff.patch(f"{API}/queue/{mover['id']}", {"service_id": cut["id"]})
    assert moved.status == 200, moved.raw
    event = one_event(server, before, moved.body, "queue_transferred")
    assert event["data"]["entries"][0]["service_id"] == cut["id"]
    assert moved.body["service_id"] == cut["id"]
    assert moved.body["position_in_queue"] == 2
    assert moved.body["checked_in_at"] == mover["checked_in_at"]
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [first["id"], mover["id"], last["id"]]
    assert_queue_invariants(queue)
    # The shaver does not cut: it is now the cutter's to call.
    assert call_next(server, shop["id"], cutter["id"]).body["id"] == mover["id"]

    # A provider who does not offer the new service: say so, change nothing.
    own = join(kiosk, shop["id"], service_id=shave["id"], provider_id=shaver["id"])
    expect_field_error(
        staff.patch(f"{API}/queue/{own['id']}", {"service_id": cut["id"]}), "provider_id"
    )
    both = staff.patch(
        f"{API}/queue/{own['id']}", {"service_id": cut["id"], "provider_id": cutter["id"]}
    )
    assert both.status == 200 and both.body["provider_id"] == cutter["id"]
    # Back to no service at all, and closed tickets do not move.
    assert staff.patch(f"{API}/queue/{own['id']}", {"service_id": None}).body["service_id"] is None
    assert set_status(server, first["id"], "CANCELLED").status == 200
    expect_error(
        staff.patch(f"{API}/queue/{first['id']}", {"service_id": cut["id"]}), 409, "conflict"
    )
    expect_error(staff.patch(f"{API}/queue/999999", {"service_id": cut["id"]}), 404, "not_found")
    expect_field_error(
        staff.patch(f"{API}/queue/{own['id']}", {"service_id": 999_999}), "service_id"
    )


# ---------------------------------------------------------------- priority


def test_first_rule_puts_priority_tickets_ahead_of_normal_ones(server):
    set_settings(server, priority_rule="first")
    shop = new_shop(server)
    kiosk, staff = server.client("kiosk"), server.client("staff")
    normal = [join(kiosk, shop["id"]) for _ in range(3)]
    before = last_seq(server)
    elder = join(staff, shop["id"], "Edna Elder", priority=True)
    event = one_event(server, before, elder, "queue_joined")
    # The new ticket first (new_entry), then those it went ahead of, positions moved.
    assert [e["id"] for e in event["data"]["entries"]] == [elder["id"], *(n["id"] for n in normal)]
    assert elder["priority"] is True and elder["position_in_queue"] == 1
    second = join(staff, shop["id"], "Pat Pregnant", priority=True)
    assert second["position_in_queue"] == 2
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [elder["id"], second["id"], *(n["id"] for n in normal)]
    assert_queue_invariants(queue)
    # Positions are the calling order: call-next takes the priority ticket first.
    assert call_next(server, shop["id"]).body["id"] == elder["id"]


def test_ratio_rule_lets_n_normal_tickets_go_between(server):
    set_settings(server, priority_rule="ratio:2")
    try:
        shop = new_shop(server)
        kiosk, staff = server.client("kiosk"), server.client("staff")
        normal = [join(kiosk, shop["id"]) for _ in range(5)]
        first = join(staff, shop["id"], priority=True)
        assert first["position_in_queue"] == 3  # after 2 normal ones (no call yet today)
        second = join(staff, shop["id"], priority=True)
        assert second["position_in_queue"] == 6  # after the first plus 2 normal ones
        order = [call_next(server, shop["id"]).body["id"] for _ in range(7)]
        ids = [n["id"] for n in normal]
        assert order == [ids[0], ids[1], first["id"], ids[2], ids[3], second["id"], ids[4]]
        # One normal call since the last priority call: the next goes after 2 - 1.
        more = [join(kiosk, shop["id"]) for _ in range(3)]
        third = join(staff, shop["id"], priority=True)
        assert third["position_in_queue"] == 2
        order = [call_next(server, shop["id"]).body["id"] for _ in range(3)]
        assert order == [more[0]["id"], third["id"], more[1]["id"]]
    finally:
        set_settings(server, priority_rule="first")


def test_marking_priority_places_it_again_and_a_drag_is_never_undone(server):
    set_settings(server, priority_rule="first")
    shop = new_shop(server)
    kiosk, staff = server.client("kiosk"), server.client("staff")
    a, b, c, d = (join(kiosk, shop["id"]) for _ in range(4))
    before = last_seq(server)
    marked = staff.patch(f"{API}/queue/{c['id']}", {"priority": True})
    assert marked.status == 200, marked.raw
    one_event(server, before, marked.body, "queue_prioritized")
    assert marked.body["priority"] is True and marked.body["position_in_queue"] == 1
    assert waiting_ids(get_queue(server, shop["id"])) == [c["id"], a["id"], b["id"], d["id"]]
    # Staff drag the priority ticket to the back; the next priority ticket goes after it
    # (the last waiting priority one) and nothing is moved back into "rule" order.
    queue = get_queue(server, shop["id"])
    dragged = [a["id"], b["id"], d["id"], c["id"]]
    resp = staff.put(
        f"{API}/shops/{shop['id']}/queue/order", {"entry_ids": dragged, "version": queue["version"]}
    )
    assert resp.status == 200, resp.raw
    late = join(staff, shop["id"], priority=True)
    assert waiting_ids(get_queue(server, shop["id"])) == [*dragged, late["id"]]
    # Unmarking keeps the place; marking a ticket already ahead never sends it back.
    assert staff.patch(f"{API}/queue/{c['id']}", {"priority": False}).body["position_in_queue"] == 4
    assert staff.patch(f"{API}/queue/{a['id']}", {"priority": True}).body["position_in_queue"] == 1
    assert set_status(server, b["id"], "CALLED").status == 200
    expect_error(staff.patch(f"{API}/queue/{b['id']}", {"priority": True}), 409, "conflict")
    expect_field_error(staff.patch(f"{API}/queue/{d['id']}", {"priority": "yes"}), "priority")
    assert_queue_invariants(get_queue(server, shop["id"]))


def test_only_staff_give_priority_unless_the_owner_lets_the_kiosk(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    url = f"{API}/shops/{shop['id']}/queue"
    before = last_seq(server)
    expect_error(kiosk.post(url, {"full_name": "K K", "priority": True}), 403, "forbidden")
    phone = anon_from_own_address(server)
    expect_error(phone.post(url, {"full_name": "P P", "priority": True}), 403, "forbidden")
    assert events_after(server, before) == []
    assert join(kiosk, shop["id"], priority=False)["position_in_queue"] == 1
    set_settings(server, priority_at_kiosk=True)
    try:
        assert server.client().get(f"{API}/settings").body["priority_at_kiosk"] is True
        resp = kiosk.post(url, {"full_name": "K K", "priority": True})
        assert resp.status == 201 and resp.body["position_in_queue"] == 1
        # Still not from an anonymous phone.
        expect_error(phone.post(url, {"full_name": "P P", "priority": True}), 403, "forbidden")
    finally:
        set_settings(server, priority_at_kiosk=False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority_rule": "last"}, "priority_rule"),
        ({"priority_rule": "ratio:11"}, "priority_rule"),
        ({"priority_at_kiosk": 1}, "priority_at_kiosk"),
        ({"appointment_grace_minutes": -1}, "appointment_grace_minutes"),
        ({"appointment_grace_minutes": "10"}, "appointment_grace_minutes"),
    ],
)
def test_bad_line_settings_are_422(server, changes, field):
    expect_field_error(server.client("admin").patch(f"{API}/settings", changes), field)


@pytest.mark.parametrize("role", [None, "display", "kiosk"])
def test_priority_is_never_shown_to_a_display(server, role):
    shop = new_shop(server)
    marked = join(server.client("staff"), shop["id"], "Ida Ill", priority=True)
    shown = item(get_queue(server, shop["id"], role=role), marked["id"])
    assert shown["priority"] is None
    assert item(get_queue(server, shop["id"]), marked["id"])["priority"] is True
    # The customer's own ticket page is a display too (a phone may be shared); it names
    # the service.
    mine = server.client().get(f"{API}/tickets/{marked['claim']}").body
    assert mine["priority"] is None and mine["service_name"] is None
    assert join(server.client("kiosk"), shop["id"])["priority"] is None
    service = new_service(server, shop["id"], "Flu shot", 5)
    shot = join(server.client("kiosk"), shop["id"], service_id=service["id"])
    mine = server.client().get(f"{API}/tickets/{shot['claim']}").body
    assert (mine["service_id"], mine["service_name"]) == (service["id"], "Flu shot")


# ---------------------------------------------------------------- honest waits


def test_free_chairs_serve_the_first_tickets_at_once(server):
    """The newcomer's morning: 3 idle barbers, 4 waiting, and it said "about 25 min"."""
    shop = new_shop(server)
    for _ in range(3):
        new_provider(server, shop["id"])
    server.client("admin").patch(f"{API}/shops/{shop['id']}", {"default_service_minutes": 25})
    kiosk = server.client("kiosk")
    joined = [join(kiosk, shop["id"]) for _ in range(4)]
    assert [j["estimated_wait_minutes"] for j in joined] == [0, 0, 0, 25]
    # Every ticket keeps what it was told at join, while the live estimate moves on.
    assert [j["estimated_wait_at_join"] for j in joined] == [0, 0, 0, 25]
    assert set_status(server, joined[0]["id"], "IN_SERVICE").status == 200
    queue = get_queue(server, shop["id"])
    assert item(queue, joined[3]["id"])["estimated_wait_minutes"] == 25
    # One of the three leaves before being served: a chair is free for the fourth.
    assert set_status(server, joined[1]["id"], "LEFT").status == 200
    queue = get_queue(server, shop["id"])
    last = item(queue, joined[3]["id"])
    assert last["estimated_wait_at_join"] == 25 and last["estimated_wait_minutes"] == 0
    # The owner's guess alone: too thin a history for a range; served at once: [0, 0].
    assert last["estimated_wait_range"] == [0, 0]
    assert item(queue, joined[2]["id"])["estimated_wait_range"] == [0, 0]


def test_a_service_only_one_provider_does_waits_for_that_provider(server):
    shop = new_shop(server)
    colourist, other = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    colour = new_service(server, shop["id"], "Colour", 60, provider_ids=[colourist["id"]])
    kiosk = server.client("kiosk")
    busy = join(kiosk, shop["id"], service_id=colour["id"])
    assert set_status(server, busy["id"], "IN_SERVICE").status == 200
    waiting = join(kiosk, shop["id"], service_id=colour["id"])
    # The other chair is free but does not colour: about an hour, not "now".
    assert 55 <= waiting["estimated_wait_minutes"] <= 60
    assert waiting["estimated_wait_range"] is None
    assert other["id"] != colourist["id"]


def test_a_service_whose_providers_all_retired_is_anyones(server):
    shop = new_shop(server)
    leaving, staying, gone = (new_provider(server, shop["id"]) for _ in range(3))
    admin = server.client("admin")
    assert admin.delete(f"{API}/providers/{gone['id']}").status == 200
    only_theirs = new_service(server, shop["id"], "Perm", 90, provider_ids=[leaving["id"]])
    ticket = join(server.client("kiosk"), shop["id"], service_id=only_theirs["id"])
    expect_error(call_next(server, shop["id"], staying["id"]), 404, "not_found")
    assert admin.delete(f"{API}/providers/{leaving['id']}").status == 200
    # Nobody left who offers it: its tickets must not wait forever.
    assert call_next(server, shop["id"], staying["id"]).body["id"] == ticket["id"]
    # A form sending back the whole list may name the retired; a new retired id is refused.
    url = f"{API}/services/{only_theirs['id']}"
    kept = admin.patch(url, {"provider_ids": [leaving["id"], staying["id"]]})
    assert kept.status == 200, kept.raw
    expect_field_error(admin.patch(url, {"provider_ids": [gone["id"]]}), "provider_ids")
