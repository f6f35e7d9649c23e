"""Every WebSocket dialect endpoint, in process (tests/inprocess.py): connect, the first
message's shape, one live change, and resume with `?since=` where the dialect has it.

The full behaviour of each dialect is in tests/test_ws_dialects.py against the
subprocess server; these are the same paths through `make_app` in the test's own
loop, so coverage sees them. "Nothing else arrived" is shown by a later marker
message on the same socket (a pong), never by a sleep.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.inprocess import Kiosk
from tests.ws_client import (
    API,
    WS,
    book,
    entry_in,
    join,
    new_provider,
    new_shop,
    ok,
    relay,
    today_of,
)

QUEUE_KEYS = {
    "type",
    "shop_id",
    "shop_name",
    "language",  # the shop's, so screens follow a change of it (SPEC §14)
    "kind",  # the shop's kind, which picks the screens' words (SPEC §9)
    "providers",  # live on the TV (SPEC §9), each with their duty (SPEC §11)
    "services",  # so a renamed or retired service reaches every screen live (SPEC §10)
    "seq",
    "version",
    "display",
    "queue_items",
    "now_serving",
    "appointments_today",
    "timestamp",
    "hours",  # open or closed now, and when that changes (SPEC §11)
}
ENVELOPE_KEYS = {"type", "payload", "timestamp", "id"}


async def before_pong(sock: WS, ping: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything the socket received before the answer to a ping sent now."""
    await sock.send(ping)
    return (await sock.until(lambda m: m.get("type") == "pong", what="pong"))[:-1]


# ---------------------------------------------------------------- seeds 000 and 001: the queue


@pytest.mark.parametrize(
    "path, new_entry", [("/ws/queue/{sid}", False), ("/ws/queue/{sid}/", True)]
)
async def test_shop_queue_connect_and_a_join(inprocess_app: Kiosk, path, new_entry):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    sock = await kiosk.ws(path.format(sid=sid))
    first = await sock.expect("queue_update", shop_id=sid)
    assert set(first) == QUEUE_KEYS, set(first) ^ QUEUE_KEYS
    assert first["queue_items"] == [] and first["now_serving"] == []
    assert first["seq"] >= shop["seq"] and first["shop_name"] == shop["name"]

    entry = await join(kiosk, sid, "Quinn Upton")
    got = await sock.until(lambda m: m["type"] == "queue_update", what="queue_update")
    assert [m["type"] for m in got] == (
        ["new_entry", "queue_update"] if new_entry else ["queue_update"]
    ), got
    assert [m["seq"] for m in got] == [entry["seq"]] * len(got)
    if new_entry:
        assert got[0]["queue_item"]["id"] == entry["id"] and got[0]["shop_id"] == sid
        assert got[0]["queue_item"]["full_name"] == "Quinn U."  # anonymous: redacted
    update = got[-1]
    mine = entry_in(update, entry["id"])
    assert mine is not None and mine["ticket"] == entry["ticket"], update["queue_items"]
    assert mine["full_name"] == "Quinn U." and mine["phone"] is None
    assert update["version"] > first["version"]
    assert await before_pong(sock, {"type": "ping"}) == []


async def test_shop_queue_has_no_resume_and_says_so_about_a_bad_since(inprocess_app: Kiosk):
    """Snapshot dialects need no `since` (every message is the whole view); a malformed
    one is still reported, and the socket carries on with its snapshot."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sock = await kiosk.ws(f"/ws/queue/{shop['id']}?since=yesterday")
    error = await sock.expect("error", code="bad_since")
    assert "since" in error["message"]
    await sock.expect("queue_update", shop_id=shop["id"])
    good = await kiosk.ws(f"/ws/queue/{shop['id']}/?since=1")
    assert (await good.expect("queue_update"))["seq"] >= shop["seq"]


async def test_unknown_shop_closes_4404(inprocess_app: Kiosk):
    for path in ("/ws/queue/98765", "/ws/queue/98765/", "/ws/appointments/98765/"):
        sock = await inprocess_app.ws(path)
        assert await sock.closed() == 4404, path
        assert sock.messages == [], (path, sock.messages)
    sock = await inprocess_app.ws(f"{API}/ws/queue/98765")
    assert await sock.closed() == 4404


# ---------------------------------------------------------------- seed 001: appointments


async def test_appointments_connect_and_a_booking(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    doc = await new_provider(kiosk, sid, "Dr. Nadir")
    day = await today_of(kiosk, sid)
    other_day = (date.fromisoformat(day) + timedelta(days=2)).isoformat()
    today = await kiosk.ws(f"/ws/appointments/{sid}/", kiosk.token("staff"))
    later = await kiosk.ws(f"/ws/appointments/{sid}?date={other_day}")
    hello = await today.expect("appointment_update", shop_id=sid, date=day)
    assert hello["appointments"] == [] and isinstance(hello["seq"], int)
    assert set(hello) == {"type", "shop_id", "date", "seq", "appointments"}
    assert (await later.expect("appointment_update", date=other_day))["appointments"] == []

    appt = await book(kiosk, doc, day, name="Olga Pym", phone="555-3131")
    update = await today.expect("appointment_update", seq=appt["seq"], date=day)
    (mine,) = update["appointments"]
    assert mine["id"] == appt["id"] and mine["status"] == "scheduled"
    assert mine["customer"]["phone"] == "555-3131"  # a staff socket sees it whole
    # The other day's socket heard nothing of today's booking: its next message is the
    # answer to a ping.
    assert await before_pong(later, {"type": "ping"}) == []
    future = await book(kiosk, doc, other_day, name="Ivo Lund")
    update = await later.expect("appointment_update", seq=future["seq"])
    assert [a["id"] for a in update["appointments"]] == [future["id"]]
    assert "Lund" not in later.raw[-1]  # anonymous: redacted


# ---------------------------------------------------------------- seed 002: central monitor


async def test_central_and_per_doctor_subscribe_snapshot_update(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    ada = await new_provider(kiosk, sid, "Dr. Ada")
    await new_provider(kiosk, sid, "Dr. Bo")
    day = await today_of(kiosk, sid)
    booked = await book(kiosk, ada, day, name="Pat Ng", phone="555-0100")
    central = await kiosk.ws(f"{API}/ws/queue", kiosk.token("staff"))
    doctor = await kiosk.ws(f"{API}/ws/queue/{ada['id']}", kiosk.token("staff"))
    # Nothing until subscribe.
    assert await before_pong(central, {"action": "ping"}) == []

    await central.send({"action": "subscribe", "date": day, "shop_id": sid})
    snap = await central.expect("snapshot")
    data = snap["data"]
    assert set(data) == {
        "date",
        "total_appointments",
        "total_doctors",
        "doctors",
        "unassigned",
        "timestamp",
    }
    assert data["date"] == day and data["total_doctors"] == 2
    assert [b["doctor"]["name"] for b in data["doctors"]] == ["Dr. Ada", "Dr. Bo"]
    (appointment,) = data["doctors"][0]["appointments"]
    assert appointment["appointment_id"] == booked["id"] and appointment["queue"] is None
    assert appointment["patient"]["phone"] == "555-0100"

    await doctor.send({"action": "subscribe", "date": day})
    dsnap = await doctor.expect("snapshot")
    assert dsnap["data"]["doctor"]["id"] == ada["id"] and dsnap["data"]["date"] == day

    ticket = await ok(
        kiosk, "POST", f"{API}/checkins", {"appointment_id": booked["id"]}, role="kiosk"
    )
    for sock, block_of in ((central, lambda d: d["doctors"][0]), (doctor, lambda d: d)):
        update = await sock.expect("update", seq=ticket["seq"])
        block = block_of(update["data"])
        assert block["checked_in_count"] == 1, block
        assert block["appointments"][0]["queue"]["status"] == "checked_in"
        assert block["appointments"][0]["queue"]["position"] == 1

    await central.send({"action": "unsubscribe"})
    await central.expect("unsubscribed")
    walk_in = await join(kiosk, sid, "Una Lone")
    assert (await doctor.expect("update", seq=walk_in["seq"]))["data"]["doctor"]["id"] == ada["id"]
    assert await before_pong(central, {"action": "ping"}) == []


# ---------------------------------------------------------------- seeds 003 and 004: events


async def test_rooms_connect_join_a_change_and_resume(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    room = f"queue:{sid}"
    sock = await kiosk.ws("/ws/connect", kiosk.token("staff"))
    assert await before_pong(sock, {"command": "ping"}) == []  # nothing on connect
    await sock.send({"command": "join_room", "room": room})
    joined = await sock.expect("room_joined", room=room)
    assert isinstance(joined["timestamp"], str)

    first = await join(kiosk, sid, "Rhea Moss")
    got = await sock.until(lambda m: m["type"] == "queue_update", what="queue_update")
    assert [m["type"] for m in got] == ["new_entry", "queue_update"], got
    for message in got:
        assert set(message) == {"type", "data", "room", "timestamp", "seq"}, message
        assert message["room"] == room and message["seq"] == first["seq"]
    assert got[0]["data"]["full_name"] == "Rhea Moss"  # a staff token: whole names
    await sock.close()

    # Away: two more joins. Back with ?since=: exactly those, once each, in order, then
    # the live one.
    missed = [await join(kiosk, sid), await join(kiosk, sid)]
    back = await kiosk.ws(f"/ws/connect?since={first['seq']}", kiosk.token("staff"))
    await back.send({"command": "join_room", "room": room})
    await back.expect("room_joined", room=room)
    live = await join(kiosk, sid)
    got = await back.until(
        lambda m: m["type"] == "new_entry" and m["seq"] == live["seq"], what="live entry"
    )
    got += await back.until(lambda m: m["type"] == "queue_update", what="live view")
    entries = [(m["seq"], m["data"]["id"]) for m in got if m["type"] == "new_entry"]
    assert entries == [(e["seq"], e["id"]) for e in [*missed, live]], entries
    seqs = [m["seq"] for m in got]
    assert seqs == sorted(seqs), seqs


async def test_rooms_resume_from_a_seq_the_log_cannot_serve_is_resync(inprocess_app: Kiosk):
    kiosk = inprocess_app
    sock = await kiosk.ws("/ws/connect?since=999999")
    # Said at once for what every rooms socket hears (events to everyone), then per room.
    at_open = await sock.expect("error", code="resync")
    assert "999999" in at_open["message"]
    await sock.send({"command": "join_room", "room": "orders"})
    await sock.expect("room_joined")
    error = await sock.expect("error", code="resync")
    assert "999999" in error["message"]


async def test_channels_token_connect_subscribe_a_change_and_resume(inprocess_app: Kiosk):
    kiosk = inprocess_app
    refused = await kiosk.ws("/ws")
    error = await refused.expect("connection:error")
    assert error["payload"]["code"] == "unauthorized"
    assert await refused.closed() == 1008

    token = kiosk.token("display")
    sock = await kiosk.ws(f"/ws?token={token}")
    hello = await sock.expect("connection:established")
    assert set(hello) == ENVELOPE_KEYS and set(hello["payload"]) == {"connection_id", "user_id"}
    assert isinstance(hello["payload"]["user_id"], int)
    await sock.send({"type": "subscribe", "payload": {"channels": ["orders"]}})
    sub = await sock.expect("subscribed")
    assert sub["payload"] == {"channels": ["orders"], "total": 1}

    first = await relay(kiosk, "order_created", room="orders", data={"n": 1})
    event = await sock.expect("order_created", seq=first["seq"], channel="orders")
    assert event["payload"] == {"n": 1} and event["id"] == f"evt-{first['seq']}"
    await sock.close()

    missed = [
        await relay(kiosk, "order_updated", room="orders", data={"n": 2}),
        await relay(kiosk, "order_updated", room="elsewhere", data={"n": 99}),
        await relay(kiosk, "order_updated", room="orders", data={"n": 3}),
    ]
    back = await kiosk.ws(f"/ws?token={token}&since={first['seq']}")
    await back.expect("connection:established")
    await back.send({"type": "subscribe", "payload": {"channels": ["orders"]}})
    await back.expect("subscribed")
    live = await relay(kiosk, "order_updated", room="orders", data={"n": 4})
    got = await back.until(lambda m: m.get("seq") == live["seq"], what="live event")
    assert [(m["seq"], m["payload"]) for m in got] == [
        (missed[0]["seq"], {"n": 2}),
        (missed[2]["seq"], {"n": 3}),
        (live["seq"], {"n": 4}),
    ], got
    assert await before_pong(back, {"type": "ping", "payload": {}}) == []
