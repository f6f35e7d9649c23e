"""Call again (SPEC §9): `POST /api/v1/queue/{id}/announce` repeats a CALLED ticket's
call-out on every display, writes one `queue_announced` event and changes nothing else;
and the activity log names the ticket that was dragged in a reorder (issue 13).

Against the real server in a subprocess, over real sockets. "Nothing else arrived" is
shown with a later marker message on the same socket, never with a sleep.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.ws_client import API, WS, http, join, new_provider, new_shop, ok, patch_entry

# Exact message counts: the 30 s periodic refresh is pushed out of the way.
SERVER_ARGS = ("--refresh", "3600")


@pytest.fixture
async def ws_open(server):
    opened: list[WS] = []

    async def open_(path: str, token: str | None = None) -> WS:
        sock = await WS.connect(server, path, token)
        opened.append(sock)
        return sock

    yield open_
    await asyncio.gather(*(s.close() for s in opened))


async def audit_since(server, seq: int) -> list[dict[str, Any]]:
    trail = await ok(server, "GET", f"{API}/audit?limit=200", role="admin")
    return [e for e in trail if e["seq"] > seq]


async def announce(server, entry_id: int, role: str = "staff"):
    return await http(server, "POST", f"{API}/queue/{entry_id}/announce", None, role=role)


async def called_ticket(server, sid: int, name: str, provider_id: int | None = None):
    entry = await join(server, sid, name, provider_id=provider_id)
    return await patch_entry(server, entry["id"], status="CALLED")


async def test_call_again_writes_one_event_and_changes_no_status(server):
    shop = await new_shop(server)
    sid = shop["id"]
    chair = await new_provider(server, sid, "Chair Two")
    entry = await called_ticket(server, sid, "Ben Carter", chair["id"])
    before = await ok(server, "GET", f"{API}/shops/{sid}/queue")

    resp = await announce(server, entry["id"])
    assert resp.status == 200, resp.raw
    seq = int(resp.headers["x-seq"])
    assert resp.body["seq"] == seq and resp.body["id"] == entry["id"]
    assert resp.body["status"] == "CALLED" and resp.body["provider_id"] == chair["id"]

    after = await ok(server, "GET", f"{API}/shops/{sid}/queue")
    assert after["version"] == before["version"]  # the line did not change
    # The ticket only keeps when it was called again (a TV that missed the moment
    # reads it from any later body); nothing else about it moved.
    [was], [now] = before["queue_items"], after["queue_items"]
    assert was["announced_at"] is None and now["announced_at"] == resp.body["announced_at"]
    assert now["announced_at"] >= now["called_at"]
    assert {**now, "announced_at": None} == was
    logged = await audit_since(server, before["seq"])
    assert [(e["seq"], e["type"]) for e in logged] == [(seq, "queue_announced")], logged
    assert logged[0]["actor"]["role"] == "staff" and logged[0]["shop_id"] == sid
    assert logged[0]["summary"] == f"{entry['ticket']} Ben Carter called again"


@pytest.mark.parametrize(
    ("status", "code"), [("CHECKED_IN", 409), ("IN_SERVICE", 409), ("COMPLETED", 409)]
)
async def test_call_again_refuses_a_ticket_that_is_not_called(server, status, code):
    sid = (await new_shop(server))["id"]
    entry = await join(server, sid, "Cleo Cole")
    if status != "CHECKED_IN":
        await patch_entry(server, entry["id"], status="IN_SERVICE")
    if status == "COMPLETED":
        await patch_entry(server, entry["id"], status="COMPLETED")
    last = (await ok(server, "GET", f"{API}/shops/{sid}/queue"))["seq"]
    resp = await announce(server, entry["id"])
    assert resp.status == code, resp.raw
    assert resp.body["error"]["code"] == "conflict"
    assert resp.body["error"]["details"]["status"] == status
    assert await audit_since(server, last) == []  # nothing written


async def test_call_again_errors_are_clear(server):
    sid = (await new_shop(server))["id"]
    entry = await called_ticket(server, sid, "Dan Dale")
    missing = await announce(server, 987654)
    assert missing.status == 404 and missing.body["error"]["code"] == "not_found"
    bad = await http(server, "POST", f"{API}/queue/abc/announce", None)
    assert bad.status == 422 and bad.body["error"]["code"] == "invalid_field"
    for role, status in ((None, 401), ("display", 403), ("kiosk", 403)):
        refused = await announce(server, entry["id"], role=role)
        assert refused.status == status, (role, refused.raw)


async def test_call_again_reaches_every_dialect(server, ws_open):
    """Shop queue sockets (000, 001) get the queue_update with the ticket under
    `announced`, redacted for a display; rooms and channels get a `queue_announced`
    message; the central monitor has nothing new to show."""
    sid = (await new_shop(server))["id"]
    chair = await new_provider(server, sid, "Chair Two")
    entry = await called_ticket(server, sid, "John Michael Doe", chair["id"])
    s000 = await ws_open(f"/ws/queue/{sid}")
    s001 = await ws_open(f"/ws/queue/{sid}/", server.token("staff"))
    rooms = await ws_open("/ws/connect")
    channels = await ws_open(f"/ws?token={server.token('display')}")
    for sock in (s000, s001):
        await sock.expect("queue_update")
    await rooms.send({"command": "join_room", "room": f"queue:{sid}"})
    await rooms.wait_for("room_joined")
    await channels.wait_for("connection:established")
    await channels.send({"type": "subscribe", "payload": {"channels": [f"queue:{sid}"]}})
    await channels.wait_for("subscribed")

    seq = (await ok(server, "POST", f"{API}/queue/{entry['id']}/announce", status=200))["seq"]

    shown = await s000.wait_for("queue_update")
    assert shown["seq"] >= seq and [e["id"] for e in shown["announced"]] == [entry["id"]]
    assert shown["announced"][0]["full_name"] == "John D."  # a display's redaction
    assert shown["announced"][0]["provider_id"] == chair["id"]
    staff = await s001.wait_for("queue_update")
    assert staff["announced"][0]["full_name"] == "John Michael Doe"
    room_msg = await rooms.wait_for("queue_announced")
    assert room_msg["seq"] == seq and room_msg["room"] == f"queue:{sid}"
    assert room_msg["data"]["queue_item"]["id"] == entry["id"]
    assert room_msg["data"]["queue_item"]["full_name"] == "John D."
    channel_msg = await channels.wait_for("queue_announced")
    assert channel_msg["payload"]["queue_item"]["status"] == "CALLED"

    # A later change: its queue_update carries no `announced` (a call again is said
    # once), and the event sockets saw nothing between the two.
    marker = await join(server, sid, "Eve Fox")
    later = await s000.wait_for("queue_update", seq=marker["seq"])
    assert "announced" not in later
    between = await rooms.until(lambda m: m.get("seq") == marker["seq"], what="the marker")
    assert [m["type"] for m in between if m["type"] not in ("user_connected",)] in (
        ["new_entry"],
        ["new_entry", "queue_update"],
    ), between


async def test_the_activity_log_names_the_dragged_ticket(server):
    """Dragging A007 to 3rd place shifts A003..A006 by one: the log names A007."""
    sid = (await new_shop(server))["id"]
    entries = [await join(server, sid, f"Guest {n} Person") for n in range(1, 8)]
    queue = await ok(server, "GET", f"{API}/shops/{sid}/queue")
    ids = [e["id"] for e in entries]
    dragged = ids[6]
    order = [*ids[:2], dragged, *ids[2:6]]
    body = {"entry_ids": order, "version": queue["version"]}
    await ok(server, "PUT", f"{API}/shops/{sid}/queue/order", body)
    # And one dragged down: A001 from the top to 5th place.
    queue = await ok(server, "GET", f"{API}/shops/{sid}/queue")
    down = [*order[1:5], order[0], *order[5:]]
    await ok(
        server,
        "PUT",
        f"{API}/shops/{sid}/queue/order",
        {"entry_ids": down, "version": queue["version"]},
    )
    logged = [e for e in await audit_since(server, entries[-1]["seq"])]
    assert [e["type"] for e in logged] == ["queue_reordered", "queue_reordered"], logged
    newest, oldest = logged
    assert oldest["summary"] == f"{entries[6]['ticket']} Guest 7 Person moved to place 3"
    assert newest["summary"] == f"{entries[0]['ticket']} Guest 1 Person moved to place 5"
