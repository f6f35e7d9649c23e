"""REST API, the queue (SPEC §2, §3, §8): join, the queue display, the status
machine, call-next, moves, reorder, claims, redaction and Idempotency-Key."""

from __future__ import annotations

import random
import threading
import uuid

import pytest

from tests.kiosk_harness import make_token
from tests.test_api import (
    API,
    ENTRY_KEYS,
    ISO_WITH_OFFSET,
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

# SPEC §2, spelled out here on purpose (not imported from kiosk.domain.tickets).
ALLOWED = {
    "CHECKED_IN": {"CALLED", "IN_SERVICE", "LEFT", "NO_SHOW", "CANCELLED"},
    "CALLED": {"IN_SERVICE", "CHECKED_IN", "LEFT", "NO_SHOW", "CANCELLED"},
    "IN_SERVICE": {"COMPLETED", "LEFT", "NO_SHOW", "CANCELLED"},
    "COMPLETED": set(),
    "LEFT": set(),
    "NO_SHOW": set(),
    "CANCELLED": set(),
}
STATUSES = tuple(ALLOWED)
OPEN_STATUSES = ("CHECKED_IN", "CALLED", "IN_SERVICE")
# How to bring a fresh (CHECKED_IN) ticket into each status.
PATH_TO = {
    "CHECKED_IN": [],
    "CALLED": ["CALLED"],
    "IN_SERVICE": ["IN_SERVICE"],
    "COMPLETED": ["IN_SERVICE", "COMPLETED"],
    "LEFT": ["LEFT"],
    "NO_SHOW": ["NO_SHOW"],
    "CANCELLED": ["CANCELLED"],
}


# ---------------------------------------------------------------- join and the display body


def test_join_answer_shape_codes_positions_and_version(server):
    shop = new_shop(server)
    provider = new_provider(server, shop["id"])
    kiosk = server.client("kiosk")
    v0 = get_queue(server, shop["id"])["version"]

    first = join(kiosk, shop["id"], "Ann Lee", phone="555-0101")
    second = join(kiosk, shop["id"], "Bo Chan", provider_id=provider["id"])
    third = join(server.client("staff"), shop["id"], "Cy Dunn")

    assert ENTRY_KEYS | {"claim", "seq"} <= set(first)
    assert [e["ticket"] for e in (first, second, third)] == ["A001", "A002", "A003"]
    assert [e["position_in_queue"] for e in (first, second, third)] == [1, 2, 3]
    assert first["status"] == "CHECKED_IN"
    assert first["shop_id"] == shop["id"]
    # A kiosk is a redacted audience (SPEC §4/§5): even the answer to its own join says
    # "Ann L." and no phone, since a tablet screen is public. Staff get it all.
    assert first["full_name"] == "Ann L." and first["phone"] is None
    assert third["full_name"] == "Cy Dunn"
    assert first["provider_id"] is None and second["provider_id"] == provider["id"]
    assert first["appointment_id"] is None
    assert isinstance(first["customer_id"], int)
    assert ISO_WITH_OFFSET.match(first["checked_in_at"]), first["checked_in_at"]
    assert first["called_at"] is None and first["started_at"] is None
    assert first["source"] == "kiosk" and third["source"] == "walk_in"
    assert first["seq"] < second["seq"] < third["seq"]
    for entry in (first, second, third):
        assert isinstance(entry["claim"], str) and len(entry["claim"]) >= 16
        assert entry["estimated_wait_minutes"] >= 0
    assert len({first["claim"], second["claim"], third["claim"]}) == 3
    # The more people ahead, the longer (never shorter) the wait.
    assert third["estimated_wait_minutes"] >= first["estimated_wait_minutes"]

    queue = get_queue(server, shop["id"])
    assert queue["version"] == v0 + 3
    assert queue["seq"] >= third["seq"]
    assert queue["shop_id"] == shop["id"]
    assert {
        "type",
        "shop_id",
        "seq",
        "version",
        "queue_items",
        "now_serving",
        "appointments_today",
        "timestamp",
    } <= set(queue)
    assert waiting_ids(queue) == [first["id"], second["id"], third["id"]]
    assert item(queue, first["id"])["customer_id"] == first["customer_id"]
    assert_queue_invariants(queue)


def test_ticket_codes_are_per_shop(server):
    shop_a, shop_b = new_shop(server), new_shop(server)
    kiosk = server.client("kiosk")
    assert join(kiosk, shop_a["id"])["ticket"] == "A001"
    assert join(kiosk, shop_a["id"])["ticket"] == "A002"
    assert join(kiosk, shop_b["id"])["ticket"] == "A001"


def test_anonymous_join_works_while_self_checkin_is_on(server):
    shop = new_shop(server)
    phone = anon_from_own_address(server)
    resp = phone.post(f"{API}/shops/{shop['id']}/queue", {"full_name": "Pat Q. Public"})
    assert resp.status == 201, resp.raw
    assert resp.body["source"] == "phone"
    assert resp.body["ticket"] == "A001"
    assert isinstance(resp.body["claim"], str)
    assert waiting_ids(get_queue(server, shop["id"])) == [resp.body["id"]]


def test_codes_never_reused_after_people_leave(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    a = join(kiosk, shop["id"])
    assert server.client().delete(f"{API}/tickets/{a['claim']}").status == 200
    b = join(kiosk, shop["id"])
    assert b["ticket"] == "A002"
    assert b["position_in_queue"] == 1


def test_queue_version_moves_on_every_change_and_waits_are_sane(server):
    shop = new_shop(server)
    provider = new_provider(server, shop["id"])
    kiosk = server.client("kiosk")
    versions = [get_queue(server, shop["id"])["version"]]
    entries = [join(kiosk, shop["id"]) for _ in range(4)]
    versions.append(get_queue(server, shop["id"])["version"])
    steps = [
        (entries[0]["id"], {"status": "CALLED"}),
        (entries[0]["id"], {"status": "IN_SERVICE"}),
        (entries[1]["id"], {"provider_id": provider["id"]}),
        (entries[0]["id"], {"status": "COMPLETED"}),
        (entries[2]["id"], {"status": "NO_SHOW"}),
    ]
    for entry_id, body in steps:
        resp = server.client("staff").patch(f"{API}/queue/{entry_id}", body)
        assert resp.status == 200, resp.raw
        queue = get_queue(server, shop["id"])
        assert queue["version"] > versions[-1]
        versions.append(queue["version"])
        assert_queue_invariants(queue)
    assert waiting_ids(get_queue(server, shop["id"])) == [entries[1]["id"], entries[3]["id"]]


# ---------------------------------------------------------------- the status machine


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("start", STATUSES)
def test_status_machine(server, start, target):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    before = join(kiosk, shop["id"], "Ahead Person")
    entry = join(kiosk, shop["id"], "John Michael Doe")
    after = join(kiosk, shop["id"], "Behind Person")
    for step in PATH_TO[start]:
        assert set_status(server, entry["id"], step).status == 200
    version = get_queue(server, shop["id"])["version"]

    resp = set_status(server, entry["id"], target)
    queue = get_queue(server, shop["id"])
    assert_queue_invariants(queue)
    if target in ALLOWED[start]:
        assert resp.status == 200, resp.raw
        assert resp.body["id"] == entry["id"]
        assert resp.body["status"] == target
        assert resp.body["customer_id"] == entry["customer_id"]
        assert resp.body["ticket"] == entry["ticket"]
        assert isinstance(resp.body["seq"], int) and resp.body["seq"] > entry["seq"]
        assert "claim" not in resp.body
        assert queue["version"] > version
        shown = item(queue, entry["id"])
        if target in OPEN_STATUSES:
            assert shown is not None and shown["status"] == target
        else:
            assert shown is None, "closed tickets leave queue_items"
        if target == "CHECKED_IN":  # recall: back in line at the front
            assert waiting_ids(queue) == [entry["id"], before["id"], after["id"]]
            assert resp.body["position_in_queue"] == 1
            assert resp.body["called_at"] is None
        else:
            assert waiting_ids(queue) == [before["id"], after["id"]]
            assert resp.body["position_in_queue"] is None
        stamp = {"CALLED": "called_at", "IN_SERVICE": "started_at", "COMPLETED": "completed_at"}
        if target in stamp:
            assert ISO_WITH_OFFSET.match(resp.body[stamp[target]]), resp.body
    else:
        details = expect_error(resp, 409, "invalid_transition")
        assert details["from"] == start
        assert details["to"] == target
        assert set(details["allowed"]) == ALLOWED[start]
        assert queue["version"] == version, "a refused move changes nothing"
        shown = item(queue, entry["id"])
        assert (shown["status"] if shown else start) == start


def test_lowercase_status_is_accepted(server):
    shop = new_shop(server)
    entry = join(server.client("kiosk"), shop["id"])
    resp = set_status(server, entry["id"], "called")
    assert resp.status == 200 and resp.body["status"] == "CALLED"


def test_call_out_of_order_then_recall_goes_to_front(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    a, b, c = (join(kiosk, shop["id"]) for _ in range(3))
    assert set_status(server, b["id"], "CALLED").status == 200
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [a["id"], c["id"]]
    assert [e["id"] for e in queue["now_serving"]] == [b["id"]]
    assert_queue_invariants(queue)

    resp = set_status(server, b["id"], "CHECKED_IN")
    assert resp.status == 200
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [b["id"], a["id"], c["id"]]
    assert queue["now_serving"] == []
    assert_queue_invariants(queue)


# ---------------------------------------------------------------- call next


def test_call_next_shop_wide_and_per_provider(server):
    shop = new_shop(server)
    p1, p2 = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    kiosk, staff = server.client("kiosk"), server.client("staff")
    for_p2 = join(kiosk, shop["id"], provider_id=p2["id"])
    anyone = join(kiosk, shop["id"])
    for_p1 = join(kiosk, shop["id"], provider_id=p1["id"])
    url = f"{API}/shops/{shop['id']}/queue/call-next"

    called = staff.post(url, {"provider_id": p1["id"]})
    assert called.status == 200, called.raw
    assert called.body["id"] == anyone["id"], "first waiting for p1 or for nobody"
    assert called.body["status"] == "CALLED"
    assert called.body["provider_id"] == p1["id"], "call-next assigns the provider"
    assert called.body["position_in_queue"] is None
    assert isinstance(called.body["seq"], int)

    called = staff.post(url, {"provider_id": p1["id"]})
    assert called.status == 200 and called.body["id"] == for_p1["id"]

    details = expect_error(staff.post(url, {"provider_id": p1["id"]}), 404, "not_found")
    assert isinstance(details, dict)
    assert waiting_ids(get_queue(server, shop["id"])) == [for_p2["id"]]

    called = staff.post(url)  # no body at all: shop-wide
    assert called.status == 200 and called.body["id"] == for_p2["id"]
    assert called.body["provider_id"] == p2["id"]

    expect_error(staff.post(url, {}), 404, "not_found")
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == []
    assert {e["id"] for e in queue["now_serving"]} == {anyone["id"], for_p1["id"], for_p2["id"]}
    assert_queue_invariants(queue)


def test_call_next_with_null_provider_is_shop_wide(server):
    shop = new_shop(server)
    p1 = new_provider(server, shop["id"])
    first = join(server.client("kiosk"), shop["id"], provider_id=p1["id"])
    join(server.client("kiosk"), shop["id"])
    resp = server.client("staff").post(
        f"{API}/shops/{shop['id']}/queue/call-next", {"provider_id": None}
    )
    assert resp.status == 200 and resp.body["id"] == first["id"]


# ---------------------------------------------------------------- move


def test_move_to_another_provider(server):
    shop = new_shop(server)
    p1, p2 = new_provider(server, shop["id"]), new_provider(server, shop["id"])
    entry = join(server.client("kiosk"), shop["id"], provider_id=p1["id"])
    staff = server.client("staff")
    version = get_queue(server, shop["id"])["version"]

    moved = staff.patch(f"{API}/queue/{entry['id']}", {"provider_id": p2["id"]})
    assert moved.status == 200, moved.raw
    assert moved.body["provider_id"] == p2["id"]
    assert moved.body["status"] == "CHECKED_IN" and moved.body["position_in_queue"] == 1
    queue = get_queue(server, shop["id"])
    assert item(queue, entry["id"])["provider_id"] == p2["id"]
    assert queue["version"] > version

    both = staff.patch(f"{API}/queue/{entry['id']}", {"provider_id": None, "status": "CALLED"})
    assert both.status == 200
    assert both.body["provider_id"] is None and both.body["status"] == "CALLED"

    # The one now for p1 is nobody; call-next for p2 finds nobody waiting.
    expect_error(
        staff.post(f"{API}/shops/{shop['id']}/queue/call-next", {"provider_id": p2["id"]}),
        404,
        "not_found",
    )

    assert set_status(server, entry["id"], "LEFT").status == 200
    expect_error(
        staff.patch(f"{API}/queue/{entry['id']}", {"provider_id": p1["id"]}), 409, "conflict"
    )


# ---------------------------------------------------------------- reorder


def test_reorder_with_current_version_then_stale_and_wrong_sets(server):
    shop = new_shop(server)
    kiosk, staff = server.client("kiosk"), server.client("staff")
    a, b, c = (join(kiosk, shop["id"]) for _ in range(3))
    url = f"{API}/shops/{shop['id']}/queue/order"
    version = get_queue(server, shop["id"])["version"]

    resp = staff.put(url, {"entry_ids": [c["id"], a["id"], b["id"]], "version": version})
    assert resp.status == 200, resp.raw
    assert isinstance(resp.body["seq"], int) and resp.body["seq"] > c["seq"]
    assert resp.body["version"] == version + 1
    assert waiting_ids(resp.body) == [c["id"], a["id"], b["id"]]
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [c["id"], a["id"], b["id"]]
    assert queue["version"] == version + 1
    assert_queue_invariants(queue)

    stale = staff.put(url, {"entry_ids": [a["id"], b["id"], c["id"]], "version": version})
    details = expect_error(stale, 409, "stale_version")
    assert details == {"version": version + 1, "entry_ids": [c["id"], a["id"], b["id"]]}
    assert waiting_ids(get_queue(server, shop["id"])) == [c["id"], a["id"], b["id"]]

    current = version + 1
    for wrong in (
        [a["id"], b["id"]],
        [a["id"], b["id"], c["id"], c["id"]],
        [a["id"], b["id"], c["id"], 987654321],
        [a["id"], a["id"], b["id"]],
    ):
        expect_field_error(staff.put(url, {"entry_ids": wrong, "version": current}), "entry_ids")
    after = get_queue(server, shop["id"])
    assert after["version"] == current and waiting_ids(after) == [c["id"], a["id"], b["id"]]


def test_reorder_must_not_include_called_entries(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    a, b = join(kiosk, shop["id"]), join(kiosk, shop["id"])
    assert set_status(server, a["id"], "CALLED").status == 200
    version = get_queue(server, shop["id"])["version"]
    resp = server.client("staff").put(
        f"{API}/shops/{shop['id']}/queue/order",
        {"entry_ids": [b["id"], a["id"]], "version": version},
    )
    expect_field_error(resp, "entry_ids")
    ok = server.client("staff").put(
        f"{API}/shops/{shop['id']}/queue/order", {"entry_ids": [b["id"]], "version": version}
    )
    assert ok.status == 200


def test_reorder_of_an_empty_line(server):
    shop = new_shop(server)
    version = get_queue(server, shop["id"])["version"]
    resp = server.client("staff").put(
        f"{API}/shops/{shop['id']}/queue/order", {"entry_ids": [], "version": version}
    )
    assert resp.status == 200, resp.raw
    assert resp.body["queue_items"] == []


# ---------------------------------------------------------------- claims


def test_claim_reads_and_leaves_own_ticket(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    a = join(kiosk, shop["id"])
    me = join(kiosk, shop["id"], "John Michael Doe", phone="555-9999")
    c = join(kiosk, shop["id"])
    holder = server.client()  # the phone: no token, only the claim

    ticket = holder.get(f"{API}/tickets/{me['claim']}")
    assert ticket.status == 200, ticket.raw
    assert ticket.body["id"] == me["id"] and ticket.body["ticket"] == me["ticket"]
    assert ticket.body["position_in_queue"] == 2
    assert ticket.body["full_name"] == "John D."
    assert ticket.body["phone"] is None
    assert ticket.body["estimated_wait_minutes"] >= 0
    assert "claim" not in ticket.body
    assert set(ticket.body) >= ENTRY_KEYS

    left = holder.delete(f"{API}/tickets/{me['claim']}")
    assert left.status == 200, left.raw
    assert left.body["status"] == "LEFT"
    assert left.body["position_in_queue"] is None
    assert isinstance(left.body["seq"], int)
    assert "claim" not in left.body
    queue = get_queue(server, shop["id"])
    assert waiting_ids(queue) == [a["id"], c["id"]]
    assert item(queue, c["id"])["position_in_queue"] == 2
    assert_queue_invariants(queue)

    again = holder.get(f"{API}/tickets/{me['claim']}")
    assert again.status == 200 and again.body["status"] == "LEFT"
    details = expect_error(holder.delete(f"{API}/tickets/{me['claim']}"), 409, "invalid_transition")
    assert details["from"] == "LEFT" and details["allowed"] == []


@pytest.mark.parametrize("claim", ["x", "not-a-real-claim-at-all", "A" * 24, "A" * 200])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_garbage_claim_is_404(server, method, claim):
    expect_error(server.client().request(method, f"{API}/tickets/{claim}"), 404, "not_found")


def test_claim_is_only_in_the_join_answer(server):
    shop = new_shop(server)
    entry = join(server.client("kiosk"), shop["id"], "Sam Secret")
    claim = entry["claim"].encode()
    staff = server.client("staff")
    for role in (None, "display", "kiosk", "staff", "admin"):
        resp = server.client(role).get(f"{API}/shops/{shop['id']}/queue")
        assert claim not in resp.raw and b'"claim"' not in resp.raw
    patched = staff.patch(f"{API}/queue/{entry['id']}", {"status": "CALLED"})
    assert patched.status == 200 and claim not in patched.raw and b'"claim"' not in patched.raw
    mine = server.client().get(f"{API}/tickets/{entry['claim']}")
    assert claim not in mine.raw


# ---------------------------------------------------------------- redaction


@pytest.mark.parametrize("role", [None, "display", "kiosk"])
def test_queue_is_redacted_for_display_kiosk_and_anonymous(server, role):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    full = join(kiosk, shop["id"], "John Michael Doe", phone="555-1234")
    one_word = join(kiosk, shop["id"], "Cher")
    called = join(kiosk, shop["id"], "Johnathan Doe", phone="555-0000")
    assert set_status(server, called["id"], "CALLED").status == 200

    queue = get_queue(server, shop["id"], role)
    assert item(queue, full["id"])["full_name"] == "John D."
    assert item(queue, one_word["id"])["full_name"] == "Cher"
    assert item(queue, called["id"])["full_name"] == "Johnathan D."
    assert queue["now_serving"][0]["full_name"] == "Johnathan D."
    for entry in queue["queue_items"] + queue["now_serving"]:
        assert entry["phone"] is None
        assert "phone" in entry, "redaction keeps every key"
    assert b"555-1234" not in get_queue_raw(server, shop["id"], role)
    assert b"Michael" not in get_queue_raw(server, shop["id"], role)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_queue_is_full_for_staff(server, role):
    shop = new_shop(server)
    entry = join(server.client("kiosk"), shop["id"], "John Michael Doe", phone="555-1234")
    queue = get_queue(server, shop["id"], role)
    shown = item(queue, entry["id"])
    assert shown["full_name"] == "John Michael Doe"
    assert shown["phone"] == "555-1234"
    redacted = item(get_queue(server, shop["id"], None), entry["id"])
    assert set(redacted) == set(shown), "the redacted view keeps every key"


def get_queue_raw(server, shop_id, role) -> bytes:
    return server.client(role).get(f"{API}/shops/{shop_id}/queue").raw


# ---------------------------------------------------------------- Idempotency-Key


def test_same_key_same_request_is_one_entry_with_the_same_answer(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    url = f"{API}/shops/{shop['id']}/queue"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = kiosk.post(url, {"full_name": "Ida Potent"}, headers=key)
    second = kiosk.post(url, {"full_name": "Ida Potent"}, headers=key)
    assert first.status == second.status == 201
    assert first.body == second.body  # same id, same seq, same claim
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(get_queue(server, shop["id"])["queue_items"]) == 1

    other = kiosk.post(url, {"full_name": "Someone Else"}, headers=key)
    expect_error(other, 422, "idempotency_mismatch")
    assert len(get_queue(server, shop["id"])["queue_items"]) == 1

    # The same body on another path is a different request too.
    shop_b = new_shop(server)
    elsewhere = kiosk.post(
        f"{API}/shops/{shop_b['id']}/queue", {"full_name": "Ida Potent"}, headers=key
    )
    expect_error(elsewhere, 422, "idempotency_mismatch")
    assert get_queue(server, shop_b["id"])["queue_items"] == []


def test_idempotent_status_change_and_replayed_4xx(server):
    shop = new_shop(server)
    entry = join(server.client("kiosk"), shop["id"])
    staff = server.client("staff")
    url = f"{API}/queue/{entry['id']}"
    key = {"Idempotency-Key": "call-" + uuid.uuid4().hex}
    first = staff.patch(url, {"status": "CALLED"}, headers=key)
    version = get_queue(server, shop["id"])["version"]
    again = staff.patch(url, {"status": "CALLED"}, headers=key)
    assert first.status == again.status == 200
    assert first.body == again.body
    assert get_queue(server, shop["id"])["version"] == version, "a replay changes nothing"

    # A 4xx answer is kept too: complete a CALLED ticket (409) ...
    bad_key = {"Idempotency-Key": "complete-" + uuid.uuid4().hex}
    refused = staff.patch(url, {"status": "COMPLETED"}, headers=bad_key)
    expect_error(refused, 409, "invalid_transition")
    # ... the ticket moves on, so the same request would now succeed, but the key
    # still answers with the first (409) answer and changes nothing.
    assert set_status(server, entry["id"], "IN_SERVICE").status == 200
    replayed = staff.patch(url, {"status": "COMPLETED"}, headers=bad_key)
    assert replayed.status == 409 and replayed.body == refused.body
    assert item(get_queue(server, shop["id"]), entry["id"])["status"] == "IN_SERVICE"


def test_idempotency_keys_are_scoped_per_caller(server):
    shop = new_shop(server)
    url = f"{API}/shops/{shop['id']}/queue"
    key = {"Idempotency-Key": "shared-" + uuid.uuid4().hex}
    tablet_1 = server.client("kiosk")
    tablet_2 = server.client("kiosk")
    tablet_2.token = make_token(server.data_dir, "kiosk", "second tablet")
    assert tablet_1.token != tablet_2.token
    one = tablet_1.post(url, {"full_name": "Same Name"}, headers=key)
    two = tablet_2.post(url, {"full_name": "Same Name"}, headers=key)
    assert one.status == two.status == 201
    assert one.body["id"] != two.body["id"]
    assert len(waiting_ids(get_queue(server, shop["id"]))) == 2


def test_concurrent_duplicates_make_exactly_one_entry(server):
    shop = new_shop(server)
    kiosk = server.client("kiosk")
    url = f"{API}/shops/{shop['id']}/queue"
    key = {"Idempotency-Key": "burst-" + uuid.uuid4().hex}
    answers = []
    barrier = threading.Barrier(8)

    def fire():
        barrier.wait()
        answers.append(kiosk.post(url, {"full_name": "Rush Hour"}, headers=key))

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 8
    assert {a.status for a in answers} == {201}
    assert len({a.body["id"] for a in answers}) == 1
    assert len({a.body["seq"] for a in answers}) == 1
    assert len(get_queue(server, shop["id"])["queue_items"]) == 1


def test_idempotency_key_too_long_is_refused(server):
    shop = new_shop(server)
    resp = server.client("kiosk").post(
        f"{API}/shops/{shop['id']}/queue",
        {"full_name": "K L"},
        headers={"Idempotency-Key": "k" * 201},
    )
    expect_field_error(resp, "Idempotency-Key")
    assert get_queue(server, shop["id"])["queue_items"] == []


# ---------------------------------------------------------------- a long day, checked step by step


def test_random_walk_keeps_the_line_consistent(server):
    """A seeded mix of every queue operation; after each one the GET queue must match
    a plain model of the line (order, statuses, providers) and the invariants."""
    rng = random.Random(20261122)
    shop = new_shop(server)
    providers = [new_provider(server, shop["id"])["id"] for _ in range(2)]
    kiosk, staff = server.client("kiosk"), server.client("staff")
    waiting: list[int] = []
    status: dict[int, str] = {}
    provider_of: dict[int, int | None] = {}
    claims: dict[int, str] = {}

    def open_ids(*states):
        return sorted(i for i, s in status.items() if s in states)

    for step in range(60):
        ops = ["join", "join"]
        if waiting:
            ops += ["call", "start", "call_next", "reorder", "move"]
        if open_ids("CALLED"):
            ops += ["recall", "start_called"]
        if open_ids("IN_SERVICE"):
            ops += ["complete"]
        if open_ids(*OPEN_STATUSES):
            ops += ["leave"]
        op = rng.choice(ops)
        if op == "join":
            pid = rng.choice([None, *providers])
            entry = join(kiosk, shop["id"], **({"provider_id": pid} if pid else {}))
            waiting.append(entry["id"])
            status[entry["id"]] = "CHECKED_IN"
            provider_of[entry["id"]] = pid
            claims[entry["id"]] = entry["claim"]
            assert entry["position_in_queue"] == len(waiting)
        elif op in ("call", "start"):
            target = rng.choice(waiting)
            new = "CALLED" if op == "call" else "IN_SERVICE"
            assert set_status(server, target, new).status == 200
            waiting.remove(target)
            status[target] = new
        elif op == "start_called":
            target = rng.choice(open_ids("CALLED"))
            assert set_status(server, target, "IN_SERVICE").status == 200
            status[target] = "IN_SERVICE"
        elif op == "complete":
            target = rng.choice(open_ids("IN_SERVICE"))
            assert set_status(server, target, "COMPLETED").status == 200
            del status[target]
        elif op == "recall":
            target = rng.choice(open_ids("CALLED"))
            assert set_status(server, target, "CHECKED_IN").status == 200
            waiting.insert(0, target)
            status[target] = "CHECKED_IN"
        elif op == "leave":
            target = rng.choice(open_ids(*OPEN_STATUSES))
            assert server.client().delete(f"{API}/tickets/{claims[target]}").status == 200
            if target in waiting:
                waiting.remove(target)
            del status[target]
        elif op == "call_next":
            pid = rng.choice([None, *providers])
            candidates = [i for i in waiting if pid is None or provider_of[i] in (None, pid)]
            resp = staff.post(
                f"{API}/shops/{shop['id']}/queue/call-next", {"provider_id": pid} if pid else None
            )
            if not candidates:
                expect_error(resp, 404, "not_found")
            else:
                assert resp.status == 200 and resp.body["id"] == candidates[0], (step, resp.raw)
                waiting.remove(candidates[0])
                status[candidates[0]] = "CALLED"
                if pid is not None:
                    provider_of[candidates[0]] = pid
        elif op == "reorder":
            new_order = waiting[:]
            rng.shuffle(new_order)
            version = get_queue(server, shop["id"])["version"]
            resp = staff.put(
                f"{API}/shops/{shop['id']}/queue/order",
                {"entry_ids": new_order, "version": version},
            )
            assert resp.status == 200, resp.raw
            waiting = new_order
        elif op == "move":
            target = rng.choice(waiting)
            pid = rng.choice([None, *providers])
            resp = staff.patch(f"{API}/queue/{target}", {"provider_id": pid})
            assert resp.status == 200, resp.raw
            provider_of[target] = pid

        queue = get_queue(server, shop["id"])
        assert_queue_invariants(queue)
        assert waiting_ids(queue) == waiting, (step, op)
        shown = {e["id"]: e for e in queue["queue_items"]}
        assert {i: e["status"] for i, e in shown.items()} == status, (step, op)
        assert {i: e["provider_id"] for i, e in shown.items()} == {
            i: provider_of[i] for i in status
        }, (step, op)
        # The holder's ticket page shows the same wait and position as the display.
        if waiting:
            probe = rng.choice(waiting)
            mine = server.client().get(f"{API}/tickets/{claims[probe]}").body
            assert mine["position_in_queue"] == shown[probe]["position_in_queue"]
            assert mine["estimated_wait_minutes"] == shown[probe]["estimated_wait_minutes"], (
                step,
                op,
                mine,
                shown[probe],
            )


def test_write_answers_show_the_same_wait_as_the_display(server):
    """The wait in a PATCH/join/call-next answer is the one the display shows."""
    shop = new_shop(server)
    provider = new_provider(server, shop["id"])
    kiosk, staff = server.client("kiosk"), server.client("staff")
    busy = join(kiosk, shop["id"], provider_id=provider["id"])
    assert set_status(server, busy["id"], "IN_SERVICE").status == 200
    ahead = join(kiosk, shop["id"])
    mover = join(kiosk, shop["id"])
    assert (
        mover["estimated_wait_minutes"]
        == item(get_queue(server, shop["id"]), mover["id"])["estimated_wait_minutes"]
    )

    moved = staff.patch(f"{API}/queue/{mover['id']}", {"provider_id": provider["id"]})
    assert moved.status == 200
    shown = item(get_queue(server, shop["id"]), mover["id"])
    assert moved.body["estimated_wait_minutes"] == shown["estimated_wait_minutes"]

    assert set_status(server, ahead["id"], "CALLED").status == 200
    recalled = set_status(server, ahead["id"], "CHECKED_IN")
    shown = item(get_queue(server, shop["id"]), ahead["id"])
    assert recalled.body["estimated_wait_minutes"] == shown["estimated_wait_minutes"]


def test_leaving_by_claim_answers_like_a_display(server):
    """The ticket holder's phone is a display-level client: the answer to its own
    'I'm leaving' shows no surname and no phone, like GET on the same ticket."""
    shop = new_shop(server)
    joined = join(server.client("kiosk"), shop["id"], "Lena Leaving-Early", phone="555-0303")
    resp = server.client().delete(f"/api/v1/tickets/{joined['claim']}")
    assert resp.status == 200 and resp.body["status"] == "LEFT"
    assert resp.body["full_name"] == "Lena L." and resp.body["phone"] is None
    assert b"Leaving-Early" not in resp.raw and b"555-0303" not in resp.raw
