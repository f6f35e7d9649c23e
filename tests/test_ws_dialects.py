"""The five WebSocket dialects (SPEC §4, §8), over real sockets against the real server.

For each dialect: what it sends on connect, which message(s) every kind of change
produces and in which order, that every data message carries the `seq` of the write
that caused it, its errors and close codes, who receives a relayed event, presence,
redaction per audience, `GET /ws/stats`, and one render per (change, dialect, topic,
audience) however many sockets share it.

"Nothing else arrived" is shown with a marker, never with a sleep: a later message on
the same socket (the next change's message, a pong, or a broadcast relayed after the
event in question) proves everything before it has already been delivered.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.kiosk_harness import Server, make_token
from tests.ws_client import (
    API,
    WS,
    book,
    entry_in,
    eventually,
    http,
    join,
    new_provider,
    new_shop,
    ok,
    patch_entry,
    relay,
    stats,
    today_of,
)

DIALECT_NAMES = {
    "000": "shop_queue_000",
    "001": "shop_queue_001",
    "appointments": "appointments_001",
    "central": "central_002",
    "central_doctor": "central_002_doctor",
    "rooms": "rooms_003",
    "channels": "channels_004",
}
SEED002_DATA_KEYS = {
    "date",
    "total_appointments",
    "total_doctors",
    "doctors",
    "unassigned",
    "timestamp",
}
SEED002_DOCTOR_BLOCK_KEYS = {
    "doctor",
    "total_appointments",
    "checked_in_count",
    "appointments",
    "walk_ins",
}
SEED002_APPOINTMENT_KEYS = {"appointment_id", "slot", "status", "patient", "queue"}
SEED002_QUEUE_KEYS = {"position", "checked_in_at", "called_at", "completed_at", "status"}


# The conftest `server` fixture starts this module's appliance with these flags: the
# 30 s periodic refresh is pushed out of the way so message counts and render counts
# are exact (the refresh has its own test).
SERVER_ARGS = ("--refresh", "3600")


@pytest.fixture
async def ws_open(server):
    """Open sockets on the module's server; every one is closed when the test ends."""
    opened: list[WS] = []

    async def open_(path: str, token: str | None = None, **kw: Any) -> WS:
        client = await WS.connect(server, path, token, **kw)
        opened.append(client)
        return client

    yield open_
    await asyncio.gather(*(c.close() for c in opened))


PRESENCE = ("user_connected", "user_disconnected")


def without_presence(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Other sockets opening and closing announce themselves to rooms sockets."""
    return [m for m in messages if m.get("type") not in PRESENCE]


def room_name(prefix: str = "room") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def user_id_of(open_, token: str) -> tuple[WS, int]:
    """A channels socket for the token, and the user id it reports (= the token id)."""
    sock = await open_(f"/ws?token={token}")
    hello = await sock.expect("connection:established")
    assert set(hello["payload"]) >= {"connection_id", "user_id"}, hello
    assert isinstance(hello["payload"]["user_id"], int), hello
    return sock, hello["payload"]["user_id"]


async def rooms_pong(sock: WS) -> list[dict[str, Any]]:
    """Everything a rooms socket received before the answer to a ping sent now."""
    await sock.send({"command": "ping"})
    return (await sock.until(lambda m: m.get("type") == "pong", what="pong"))[:-1]


# ---------------------------------------------------------------- shop queue (seeds 000, 001)


async def test_shop_queue_paths_connect_and_every_change(server, ws_open):
    """Both shop queue paths: queue_update on connect; one queue_update per change with
    the write's seq; the slash path adds new_entry just before the queue_update of a
    join (and of a check-in); the seed 000 path sends nothing but queue_update."""
    shop = await new_shop(server)
    sid = shop["id"]
    p1 = await new_provider(server, sid)
    p2 = await new_provider(server, sid)
    s000 = await ws_open(f"/ws/queue/{sid}")
    s001 = await ws_open(f"/ws/queue/{sid}/")
    staff001 = await ws_open(f"/ws/queue/{sid}/", server.token("staff"))
    sockets = (s000, s001, staff001)

    for sock in sockets:
        first = await sock.expect("queue_update", shop_id=sid)
        assert first["seq"] >= p2["seq"], (first["seq"], p2["seq"])
        assert first["queue_items"] == [] and first["now_serving"] == []
        assert {"version", "appointments_today", "timestamp"} <= set(first)

    state: dict[str, Any] = {}

    async def expect_change(resp: dict[str, Any], new_entry: bool, check=None) -> None:
        seq = resp["seq"]
        for sock in sockets:
            got = await sock.until(
                lambda m: m.get("type") == "queue_update" and m["seq"] >= seq,
                what=f"queue_update seq {seq}",
            )
            types = [m["type"] for m in got]
            with_new_entry = new_entry and sock is not s000
            expected = ["new_entry", "queue_update"] if with_new_entry else ["queue_update"]
            assert types == expected, (sock.path, types, seq)
            assert all(m["seq"] == seq for m in got), ([m["seq"] for m in got], seq)
            if with_new_entry:
                assert got[0]["queue_item"]["id"] == resp["id"], got[0]
                assert got[0]["queue_item"]["ticket"] == resp["ticket"]
            update = got[-1]
            assert update["shop_id"] == sid
            if check is not None:
                check(update)
        state["version"] = update["version"]

    a = await join(server, sid, "Ann Lee")
    await expect_change(a, True, lambda u: entry_in(u, a["id"])["position_in_queue"] == 1)
    b = await join(server, sid, "Bo Chan", provider_id=p1["id"])
    await expect_change(b, True)
    c = await join(server, sid, "Cy Dunn")
    await expect_change(
        c, True, lambda u: [e["id"] for e in u["queue_items"]] == [a["id"], b["id"], c["id"]]
    )
    d = await join(server, sid, "Di Eck")
    await expect_change(d, True)

    def status_is(entry_id: int, status: str):
        def check(update):
            entry = entry_in(update, entry_id)
            assert entry is not None and entry["status"] == status, (entry_id, status, entry)

        return check

    def gone(entry_id: int):
        def check(update):
            assert entry_in(update, entry_id) is None, update["queue_items"]

        return check

    await expect_change(
        await patch_entry(server, a["id"], status="CALLED"), False, status_is(a["id"], "CALLED")
    )
    await expect_change(
        await patch_entry(server, a["id"], status="IN_SERVICE"),
        False,
        status_is(a["id"], "IN_SERVICE"),
    )
    await expect_change(
        await patch_entry(server, a["id"], status="COMPLETED"), False, gone(a["id"])
    )
    await expect_change(await patch_entry(server, b["id"], status="LEFT"), False, gone(b["id"]))

    # Reorder (drag and drop): the line comes back in the new order, version moved on.
    version = state["version"]
    order = await ok(
        server,
        "PUT",
        f"{API}/shops/{sid}/queue/order",
        {"entry_ids": [d["id"], c["id"]], "version": version},
    )

    def reordered(update):
        assert [e["id"] for e in update["queue_items"]] == [d["id"], c["id"]]
        assert update["version"] > version

    await expect_change(order, False, reordered)

    # Move to another provider.
    moved = await patch_entry(server, c["id"], provider_id=p2["id"])
    await expect_change(moved, False, lambda u: entry_in(u, c["id"])["provider_id"] == p2["id"])
    # Call next: the first in line (d, after the reorder).
    called = await ok(server, "POST", f"{API}/shops/{sid}/queue/call-next", {}, status=200)
    assert called["id"] == d["id"]
    await expect_change(called, False, status_is(d["id"], "CALLED"))
    # Recall (CALLED -> CHECKED_IN: back at the front), then no-show.
    await expect_change(
        await patch_entry(server, d["id"], status="CHECKED_IN"),
        False,
        lambda u: entry_in(u, d["id"])["position_in_queue"] == 1,
    )
    await expect_change(await patch_entry(server, d["id"], status="NO_SHOW"), False, gone(d["id"]))
    # A customer leaving with their own claim.
    await expect_change(
        await ok(server, "DELETE", f"{API}/tickets/{c['claim']}", role=None), False, gone(c["id"])
    )

    # Today's appointments are part of the queue display: booking, confirming and
    # checking in each send a queue_update; the check-in makes a ticket (new_entry).
    day = await today_of(server, sid)
    appt = await book(server, p1, day)
    await expect_change(
        appt,
        False,
        lambda u: appt["id"] in [x["id"] for x in u["appointments_today"]["appointments"]],
    )
    confirmed = await ok(
        server, "PATCH", f"{API}/appointments/{appt['id']}", {"status": "confirmed"}
    )
    await expect_change(confirmed, False)
    ticket = await ok(
        server, "POST", f"{API}/checkins", {"appointment_id": appt["id"]}, role="kiosk"
    )
    assert ticket["ticket"].startswith("B")
    await expect_change(ticket, True, status_is(ticket["id"], "CHECKED_IN"))

    # A relayed event into the queue's room changes nothing in the queue: whatever the
    # shop sockets make of it, the seed 000 socket still gets only queue_update.
    relayed = await relay(server, room=f"queue:{sid}", data={"note": "hello"})
    last = await join(server, sid, "Eve Fox")
    for sock in sockets:
        got = await sock.until(
            lambda m: m["type"] == "queue_update" and m["seq"] >= last["seq"],
            what=f"queue_update seq {last['seq']}",
        )
        tail = got[-2:] if sock is not s000 else got[-1:]
        assert [m["type"] for m in tail] == (
            ["new_entry", "queue_update"] if sock is not s000 else ["queue_update"]
        ), got
        assert all(m["seq"] == last["seq"] for m in tail), got
        # Before it, at most a repeat of the unchanged queue marked with the relay's seq.
        extra = got[: -len(tail)]
        assert all(
            m["type"] == "queue_update"
            and m["seq"] == relayed["seq"]
            and m["version"] == state["version"]
            for m in extra
        ), (sock.path, extra)

    assert set(s000.types()) == {"queue_update"}, s000.types()
    assert all(isinstance(m["seq"], int) for sock in sockets for m in sock.messages)
    versions = [m["version"] for m in s000.messages]
    assert versions == sorted(versions), versions
    # A later message never carries an older seq.
    for sock in sockets:
        seqs = [m["seq"] for m in sock.messages]
        assert seqs == sorted(seqs), (sock.path, seqs)


async def test_shop_queue_answers_ping_and_errors_without_closing(server, ws_open):
    shop = await new_shop(server)
    for path in (f"/ws/queue/{shop['id']}", f"/ws/queue/{shop['id']}/"):
        sock = await ws_open(path)
        await sock.expect("queue_update")
        await sock.send_text("not json")
        error = await sock.expect("error")
        assert isinstance(error["message"], str) and error["message"]
        await sock.send({"type": "subscribe"})
        await sock.expect("error")
        await sock.send({"type": "ping"})
        pong = await sock.expect("pong")
        assert isinstance(pong["timestamp"], str)


@pytest.mark.parametrize(
    "path",
    [
        "/ws/queue/987654",
        "/ws/queue/987654/",
        "/ws/queue/abc",
        "/ws/queue/0",
        "/ws/appointments/987654",
        "/ws/appointments/987654/",
        "/api/v1/ws/queue/987654",
    ],
)
async def test_unknown_shop_or_provider_closes_4404(server, ws_open, path):
    sock = await ws_open(path)
    assert await sock.closed() == 4404
    assert sock.messages == [], sock.messages


async def test_periodic_refresh_sends_the_queue_again(tmp_path):
    """Seed 000's periodic full refresh (`--refresh`), on both paths, queue_update only."""
    srv = Server(tmp_path / "data", extra_args=("--refresh", "0.3")).start()
    try:
        s000 = await WS.connect(srv, "/ws/queue/1")
        s001 = await WS.connect(srv, "/ws/queue/1/")
        try:
            for sock in (s000, s001):
                first = await sock.expect("queue_update")
                again = await sock.expect("queue_update", timeout=10)
                assert again["seq"] == first["seq"] and again["shop_id"] == 1
        finally:
            await s000.close()
            await s001.close()
    finally:
        assert srv.stop() == 0
        srv.kill()


async def test_stop_tells_every_socket_1001_going_away(tmp_path):
    """SIGTERM: every dialect's sockets are closed with 1001 and the process exits 0."""
    srv = Server(tmp_path / "data").start()
    socks: list[WS] = []
    try:
        paths = [
            "/ws/queue/1",
            "/ws/queue/1/",
            "/ws/appointments/1",
            f"{API}/ws/queue",
            "/ws/connect",
            f"/ws?token={srv.token('display')}",
        ]
        for path in paths:
            socks.append(await WS.connect(srv, path))
        for sock in socks[:3]:
            await sock.recv()
        await socks[5].expect("connection:established")
        for sock in socks[3:5]:
            await sock.send({"action": "ping"} if "v1" in sock.path else {"command": "ping"})
            await sock.wait_for("pong")
        stopping = asyncio.create_task(asyncio.to_thread(srv.stop))
        codes = await asyncio.gather(*(sock.closed(timeout=15) for sock in socks))
        assert codes == [1001] * len(paths), dict(zip(paths, codes, strict=True))
        assert await stopping == 0
    finally:
        await asyncio.gather(*(sock.close() for sock in socks))
        srv.kill()


# ---------------------------------------------------------------- appointments (seed 001)


async def test_appointments_socket_connect_and_changes(server, ws_open):
    shop = await new_shop(server)
    sid = shop["id"]
    doc = await new_provider(server, sid, "Dr. Wu")
    day = await today_of(server, sid)
    other_day = (date.fromisoformat(day) + timedelta(days=3)).isoformat()
    plain = await ws_open(f"/ws/appointments/{sid}")
    slash = await ws_open(f"/ws/appointments/{sid}/", server.token("staff"))
    later = await ws_open(f"/ws/appointments/{sid}/?date={other_day}")
    today_socks = (plain, slash)

    for sock in today_socks:
        hello = await sock.expect("appointment_update")
        assert hello["appointments"] == [] and isinstance(hello["seq"], int)
        assert hello.get("date", day) == day
    hello = await later.expect("appointment_update")
    assert hello["appointments"] == [] and hello.get("date", other_day) == other_day

    async def expect_update(socks, resp, check):
        for sock in socks:
            update = await sock.expect("appointment_update", seq=resp["seq"])
            check(update)

    def status_of(appointment_id, status):
        def check(update):
            (mine,) = [x for x in update["appointments"] if x["id"] == appointment_id]
            assert mine["status"] == status, mine

        return check

    appt = await book(server, doc, day)
    await expect_update(today_socks, appt, status_of(appt["id"], "scheduled"))
    # A walk-in is no appointment change: the next message is the next appointment's.
    await join(server, sid)
    confirmed = await ok(
        server, "PATCH", f"{API}/appointments/{appt['id']}", {"status": "confirmed"}
    )
    await expect_update(today_socks, confirmed, status_of(appt["id"], "confirmed"))
    ticket = await ok(
        server, "POST", f"{API}/checkins", {"appointment_id": appt["id"]}, role="kiosk"
    )
    await expect_update(today_socks, ticket, status_of(appt["id"], "checked_in"))
    # The ticket going into service moves the appointment to in_progress.
    started = await patch_entry(server, ticket["id"], status="IN_SERVICE")
    await expect_update(today_socks, started, status_of(appt["id"], "in_progress"))
    # Another day's booking reaches only the socket for that day.
    future = await book(server, doc, other_day, name="Max Payne")
    await expect_update([later], future, status_of(future["id"], "scheduled"))
    completed = await patch_entry(server, ticket["id"], status="COMPLETED")
    await expect_update(today_socks, completed, status_of(appt["id"], "completed"))
    assert [m["type"] for m in plain.messages] == ["appointment_update"] * 6


async def test_appointments_bad_date_is_an_error_and_the_socket_stays(server, ws_open):
    shop = await new_shop(server)
    sock = await ws_open(f"/ws/appointments/{shop['id']}/?date=2026-13-45")
    error = await sock.expect("error")
    assert "YYYY-MM-DD" in error["message"], error
    await sock.send({"type": "ping"})
    await sock.expect("pong")
    await sock.send_text("{nope")
    await sock.expect("error")
    await sock.send({"action": "ping"})
    await sock.expect("pong")


# ---------------------------------------------------------------- central monitor (seed 002)


def assert_seed002_shape(data: dict[str, Any], day: str) -> None:
    assert set(data) == SEED002_DATA_KEYS, set(data) ^ SEED002_DATA_KEYS
    assert data["date"] == day and isinstance(data["timestamp"], str)
    assert isinstance(data["unassigned"], list)
    assert data["total_doctors"] == len(data["doctors"])
    for block in data["doctors"]:
        assert_doctor_block(block)
    assert data["total_appointments"] == sum(b["total_appointments"] for b in data["doctors"])


def assert_doctor_block(block: dict[str, Any]) -> None:
    assert set(block) >= SEED002_DOCTOR_BLOCK_KEYS, set(block)
    assert set(block["doctor"]) == {"id", "name", "code", "specialty"}, block["doctor"]
    assert isinstance(block["walk_ins"], list)
    for appointment in block["appointments"]:
        assert set(appointment) >= SEED002_APPOINTMENT_KEYS, set(appointment)
        assert set(appointment["patient"]) == {"id", "name", "phone", "age", "gender"}
        queue = appointment["queue"]
        assert queue is None or set(queue) >= SEED002_QUEUE_KEYS, queue
        assert appointment["status"] == appointment["status"].lower()


async def test_central_monitor_subscribe_snapshot_and_updates(server, ws_open):
    shop = await new_shop(server)
    sid = shop["id"]
    ada = await new_provider(server, sid, "Dr. Ada")
    bob = await new_provider(server, sid, "Dr. Bob")
    day = await today_of(server, sid)
    booked = await book(server, ada, day, name="Pat Lee", phone="555-0001")
    await book(server, ada, day, name="Kim Ray", phone="555-0002")

    central = await ws_open(f"{API}/ws/queue", server.token("staff"))
    doctor = await ws_open(f"{API}/ws/queue/{ada['id']}", server.token("staff"))
    # Nothing until subscribe: the answer to a ping is the first message.
    for sock in (central, doctor):
        await sock.send({"action": "ping"})
        pong = await sock.expect("pong")
        assert isinstance(pong["timestamp"], str)

    await central.send({"action": "subscribe", "date": day, "shop_id": sid})
    snap = await central.expect("snapshot")
    assert isinstance(snap["seq"], int)
    data = snap["data"]
    assert_seed002_shape(data, day)
    assert [b["doctor"]["id"] for b in data["doctors"]] == [ada["id"], bob["id"]]
    assert data["total_doctors"] == 2 and data["total_appointments"] == 2
    (ada_block, bob_block) = data["doctors"]
    assert ada_block["doctor"] == {
        "id": ada["id"],
        "name": "Dr. Ada",
        "code": ada["code"],
        "specialty": "cuts",
    }
    assert ada_block["total_appointments"] == 2 and ada_block["checked_in_count"] == 0
    assert bob_block["appointments"] == [] and bob_block["total_appointments"] == 0
    first = ada_block["appointments"][0]
    assert first["appointment_id"] == booked["id"] and first["status"] == "scheduled"
    assert first["queue"] is None
    assert first["patient"] == {
        "id": booked["customer_id"],
        "name": "Pat Lee",
        "phone": "555-0001",
        "age": 41,
        "gender": "f",
    }

    await doctor.send({"action": "subscribe", "date": day})
    dsnap = await doctor.expect("snapshot")
    assert set(dsnap["data"]) >= SEED002_DOCTOR_BLOCK_KEYS | {"date", "timestamp"}
    assert dsnap["data"]["doctor"]["id"] == ada["id"]
    assert_doctor_block(dsnap["data"])

    # Check-in: an update with the write's seq; the appointment has its queue block.
    ticket = await ok(
        server, "POST", f"{API}/checkins", {"appointment_id": booked["id"]}, role="kiosk"
    )
    for sock in (central, doctor):
        update = await sock.expect("update", seq=ticket["seq"])
        block = update["data"] if sock is doctor else update["data"]["doctors"][0]
        assert_doctor_block(block)
        assert block["checked_in_count"] == 1
        (mine,) = [x for x in block["appointments"] if x["appointment_id"] == booked["id"]]
        assert mine["status"] == "checked_in"
        assert mine["queue"]["status"] == "checked_in" and mine["queue"]["position"] == 1
    assert_seed002_shape(central.messages[-1]["data"], day)

    # Walk-ins: unassigned at the top, or under their provider.
    loose = await join(server, sid, "Una Sign")
    update = await central.expect("update", seq=loose["seq"])
    assert [w["entry_id"] for w in update["data"]["unassigned"]] == [loose["id"]]
    assert (await doctor.expect("update", seq=loose["seq"]))["data"]["doctor"]["id"] == ada["id"]
    bobs = await join(server, sid, "Bea Bob", provider_id=bob["id"])
    update = await central.expect("update", seq=bobs["seq"])
    assert [w["entry_id"] for w in update["data"]["doctors"][1]["walk_ins"]] == [bobs["id"]]
    await doctor.expect("update", seq=bobs["seq"])

    # Unsubscribe: no more updates (the doctor socket, still subscribed, is the witness).
    await central.send({"action": "unsubscribe"})
    await central.expect("unsubscribed")
    after = await join(server, sid)
    await doctor.expect("update", seq=after["seq"])
    await central.send({"action": "ping"})
    await central.expect("pong")


async def test_central_bad_date_and_bad_messages_keep_the_socket(server, ws_open):
    sock = await ws_open(f"{API}/ws/queue")
    for bad in (
        {"action": "subscribe", "date": "2026-13-45"},
        {"action": "subscribe", "date": "20261122"},
        {"action": "subscribe"},
        {"action": "subscribe", "date": 20261122},
    ):
        await sock.send(bad)
        error = await sock.expect("error")
        assert "YYYY-MM-DD" in error["message"], error
    await sock.send({"action": "dance"})
    await sock.expect("error")
    await sock.send_text("[1, 2")
    await sock.expect("error")
    await sock.send({"action": "ping"})
    await sock.expect("pong")
    # Still usable: a good subscribe works after all that.
    await sock.send({"action": "subscribe", "date": "2026-01-05"})
    snap = await sock.expect("snapshot")
    assert snap["data"]["date"] == "2026-01-05"


# ---------------------------------------------------------------- rooms (seed 003)


async def test_rooms_commands_ping_and_errors(server, ws_open):
    sock = await ws_open("/ws/connect")
    await sock.send({"command": "ping"})
    pong = await sock.expect("pong")
    assert isinstance(pong["timestamp"], str) and pong["timestamp"]
    room = room_name()
    await sock.send({"command": "join_room", "room": room})
    joined = await sock.expect("room_joined", room=room)
    assert isinstance(joined.get("timestamp", ""), str)
    for bad in (
        {"command": "join_room", "room": "Bad Room!"},
        {"command": "join_room"},
        {"command": "join_room", "room": "x" * 65},
        {"command": "fly"},
        {"room": room},
        [1, 2],
        "text",
        12,
    ):
        await sock.send(bad)
        error = await sock.expect("error")
        assert isinstance(error["message"], str) and error["message"], error
    await sock.send_text("{{{{")
    await sock.expect("error")

    sent = await relay(server, "order_created", room=room, data={"order_id": 7})
    message = await sock.expect("order_created", room=room, seq=sent["seq"])
    assert message["data"] == {"order_id": 7} and isinstance(message["timestamp"], str)
    await sock.send({"command": "leave_room", "room": room})
    await sock.expect("room_left", room=room)
    await relay(server, "order_updated", room=room, data={"order_id": 7})
    marker = await relay(server, "stock_low", data={"sku": "m"})  # to everyone
    got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
    assert [m["type"] for m in got] == ["stock_low"], got


async def test_rooms_queue_and_appointment_rooms(server, ws_open):
    """queue:{shop} carries new_entry then queue_update; appointments:{shop} carries
    appointment_update; every data message has the write's seq."""
    shop = await new_shop(server)
    sid = shop["id"]
    doc = await new_provider(server, sid)
    sock = await ws_open("/ws/connect", server.token("staff"))
    for room in (f"queue:{sid}", f"appointments:{sid}"):
        await sock.send({"command": "join_room", "room": room})
        await sock.expect("room_joined", room=room)

    entry = await join(server, sid, "Ron Room")
    got = await sock.until(lambda m: m.get("type") == "queue_update", what="queue_update")
    assert [m["type"] for m in got] == ["new_entry", "queue_update"], got
    assert all(m["seq"] == entry["seq"] and m["room"] == f"queue:{sid}" for m in got), got
    assert got[0]["data"]["id"] == entry["id"]
    assert got[1]["data"]["queue_items"][0]["id"] == entry["id"]

    called = await patch_entry(server, entry["id"], status="CALLED")
    update = await sock.expect("queue_update", seq=called["seq"])
    assert update["data"]["queue_items"][0]["status"] == "CALLED"

    day = await today_of(server, sid)
    appt = await book(server, doc, day)
    got = await sock.until(lambda m: m.get("type") == "appointment_update", what="appt update")
    assert all(m["seq"] == appt["seq"] for m in got), got
    # Today's booking also refreshes the queue display (appointments_today) in queue:{sid}.
    assert sorted(m["type"] for m in got) in (
        ["appointment_update"],
        ["appointment_update", "queue_update"],
    ), got
    (appt_msg,) = [m for m in got if m["type"] == "appointment_update"]
    assert appt_msg["room"] == f"appointments:{sid}"
    assert appt["id"] in [a["id"] for a in appt_msg["data"]["appointments"]]


# ---------------------------------------------------------------- channels (seed 004)


async def test_channels_requires_a_good_token(server, ws_open):
    for path in ("/ws", "/ws?token=qk_not_a_real_token", "/ws?token="):
        sock = await ws_open(path)
        error = await sock.expect("connection:error")
        assert set(error["payload"]) >= {"code", "message"}, error
        assert await sock.closed() == 1008


async def test_channels_connect_subscribe_and_errors(server, ws_open):
    # schedules and timeoff are for staff since SPEC §15 (test_hostile_sockets.py).
    sock, user_id = await user_id_of(ws_open, server.token("staff"))
    hello = sock.messages[0]
    assert set(hello) >= {"type", "payload", "timestamp", "id"}

    await sock.send({"type": "subscribe", "payload": {"channels": ["queue:1", "schedules"]}})
    sub = await sock.expect("subscribed")
    assert sub["payload"] == {"channels": ["queue:1", "schedules"], "total": 2}
    assert set(sub) >= {"type", "payload", "timestamp", "id"}
    await sock.send({"type": "subscribe", "payload": {"channels": ["schedules", "timeoff"]}})
    sub = await sock.expect("subscribed")
    assert sub["payload"]["total"] == 3

    for bad in (
        {"type": "subscribe", "payload": {"channels": []}},
        {"type": "subscribe", "payload": {"channels": "queue:1"}},
        {"type": "subscribe", "payload": {"channels": ["UPPER"]}},
        {"type": "subscribe"},
        {"type": "subscribe", "payload": [1]},
        {"type": "fly", "payload": {}},
        {"payload": {}},
        [1],
        "x",
        None,
    ):
        await sock.send(bad)
        error = await sock.expect("error")
        assert set(error["payload"]) >= {"code", "message"}, error
        assert isinstance(error["payload"]["code"], str) and error["payload"]["message"]
    await sock.send_text("not json at all")
    error = await sock.expect("error")
    assert error["payload"]["code"]
    await sock.send_binary(b"\x00\x01binary")
    error = await sock.expect("error")
    assert set(error["payload"]) >= {"code", "message"}, error

    await sock.send({"type": "ping", "payload": {}})
    pong = await sock.expect("pong")
    assert set(pong) >= {"type", "payload", "timestamp", "id"}

    # Events into a subscribed channel arrive in the envelope with the write's seq.
    sent = await relay(server, "schedule_created", room="schedules", data={"id": 3})
    event = await sock.expect("schedule_created", seq=sent["seq"])
    assert event["payload"] == {"id": 3} and set(event) >= {"timestamp", "id"}

    await sock.send({"type": "unsubscribe", "payload": {"channels": ["schedules"]}})
    unsub = await sock.expect("unsubscribed")
    assert unsub["payload"]["total"] == 2
    await relay(server, "schedule_updated", room="schedules", data={"id": 3})
    marker = await relay(server, "notification", severity="info", data={"text": "marker"})
    got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
    assert [m["type"] for m in got] == ["notification"], got
    assert got[0]["payload"] == {"text": "marker"} and got[0].get("severity") == "info"


async def test_channels_at_most_50_per_socket(server, ws_open):
    sock, _ = await user_id_of(ws_open, server.token("display"))
    names = [f"c{i}" for i in range(50)]
    await sock.send({"type": "subscribe", "payload": {"channels": names[:30]}})
    assert (await sock.expect("subscribed"))["payload"]["total"] == 30
    await sock.send({"type": "subscribe", "payload": {"channels": names[25:]}})
    assert (await sock.expect("subscribed"))["payload"]["total"] == 50
    await sock.send({"type": "subscribe", "payload": {"channels": ["one-too-many"]}})
    error = await sock.expect("error")
    assert error["payload"]["code"] == "too_many_channels", error
    # Re-subscribing to ones it holds is not "more".
    await sock.send({"type": "subscribe", "payload": {"channels": ["c1", "c2"]}})
    assert (await sock.expect("subscribed"))["payload"]["total"] == 50
    await sock.send({"type": "unsubscribe", "payload": {"channels": ["c0"]}})
    assert (await sock.expect("unsubscribed"))["payload"]["total"] == 49
    await sock.send({"type": "subscribe", "payload": {"channels": ["one-more", "and-another"]}})
    assert (await sock.expect("error"))["payload"]["code"] == "too_many_channels"
    await sock.send({"type": "subscribe", "payload": {"channels": ["one-more"]}})
    assert (await sock.expect("subscribed"))["payload"]["total"] == 50
    # A fresh socket asking for 51 at once is refused too.
    other, _ = await user_id_of(ws_open, server.token("display"))
    await other.send({"type": "subscribe", "payload": {"channels": [f"d{i}" for i in range(51)]}})
    assert (await other.expect("error"))["payload"]["code"] == "too_many_channels"
    await other.send({"type": "ping", "payload": {}})
    await other.expect("pong")


async def test_channels_queue_channel_same_bodies_as_rooms(server, ws_open):
    """SPEC §8: queue:{shop} in the channels dialect is {type, payload} with the same
    body as the rooms dialect's {type, data} for the same audience."""
    shop = await new_shop(server)
    sid = shop["id"]
    token = server.token("staff")
    chan, _ = await user_id_of(ws_open, token)
    await chan.send({"type": "subscribe", "payload": {"channels": [f"queue:{sid}"]}})
    await chan.expect("subscribed")
    room = await ws_open("/ws/connect", token)
    await room.send({"command": "join_room", "room": f"queue:{sid}"})
    await room.expect("room_joined")
    entry = await join(server, sid, "Cha Nel")
    c_got = await chan.until(lambda m: m.get("type") == "queue_update", what="queue_update")
    r_got = await room.until(lambda m: m.get("type") == "queue_update", what="queue_update")
    assert [m["type"] for m in c_got] == ["new_entry", "queue_update"]
    assert [m["seq"] for m in c_got] == [entry["seq"]] * 2
    for c, r in zip(c_got, r_got, strict=True):
        assert (
            c["payload"]["id" if c["type"] == "new_entry" else "version"]
            == r["data"]["id" if r["type"] == "new_entry" else "version"]
        )
    assert c_got[0]["payload"] == r_got[0]["data"]
    assert c_got[1]["payload"]["queue_items"] == r_got[1]["data"]["queue_items"]


# ---------------------------------------------------------------- relay targeting


async def test_relay_to_a_user_reaches_only_that_users_sockets(server, ws_open):
    token_a = make_token(server.data_dir, "staff", "user A")
    token_b = make_token(server.data_dir, "staff", "user B")
    chan_a1, user_a = await user_id_of(ws_open, token_a)
    chan_a2, again = await user_id_of(ws_open, token_a)
    assert again == user_a
    chan_b, user_b = await user_id_of(ws_open, token_b)
    assert user_b != user_a
    rooms_a = await ws_open("/ws/connect", token_a)
    rooms_b = await ws_open("/ws/connect", token_b)
    rooms_anon = await ws_open("/ws/connect")
    for sock in (rooms_a, rooms_b, rooms_anon):  # wait until each is registered
        await rooms_pong(sock)

    targeted = await relay(
        server, "notification", user_id=user_a, severity="warning", data={"text": "for A only"}
    )
    marker = await relay(server, "notification", severity="info", data={"text": "everyone"})
    for sock in (chan_a1, chan_a2, rooms_a):
        got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
        hits = [m for m in got if m.get("seq") == targeted["seq"]]
        assert len(hits) == 1, (sock.path, got)
        body = hits[0].get("payload", hits[0].get("data"))
        assert body == {"text": "for A only"} and hits[0]["type"] == "notification"
        assert hits[0].get("severity") == "warning"
    for sock in (chan_b, rooms_b, rooms_anon):
        got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
        got = without_presence(got)
        assert [m.get("seq") for m in got] == [marker["seq"]], (sock.path, got)
        assert all("for A only" not in raw for raw in sock.raw)


async def test_relay_to_nobody_in_particular_reaches_every_rooms_and_channels_socket(
    server, ws_open
):
    socks = [await ws_open("/ws/connect") for _ in range(3)]
    socks.append(await ws_open("/ws/connect", server.token("kiosk")))
    for _ in range(2):
        sock, _ = await user_id_of(ws_open, server.token("display"))
        socks.append(sock)
    room = room_name()
    await socks[0].send({"command": "join_room", "room": room})
    await socks[0].wait_for("room_joined")
    for sock in socks[1:4]:
        await rooms_pong(sock)
    # A queue socket does not speak events: it must not get it.
    queue_sock = await ws_open("/ws/queue/1")
    await queue_sock.expect("queue_update")

    sent = await relay(server, "inventory_updated", data={"sku": "A-1", "qty": 3})
    for sock in socks:
        message = await sock.wait_for("inventory_updated", seq=sent["seq"])
        assert message.get("data", message.get("payload")) == {"sku": "A-1", "qty": 3}
    # Posted into a room: the room's members only.
    in_room = await relay(server, "order_status_changed", room=room, data={"id": 1})
    marker = await relay(server, "stock_low", data={"sku": "B"})
    assert (await socks[0].wait_for("order_status_changed"))["seq"] == in_room["seq"]
    for sock in socks[1:]:
        got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
        got = [m for m in without_presence(got) if m["type"] != "inventory_updated"]
        assert [m["type"] for m in got] == ["stock_low"], got
    shop_join = await join(server, 1)
    got = await queue_sock.until(lambda m: m["seq"] == shop_join["seq"], what="queue_update")
    assert {m["type"] for m in queue_sock.messages} == {"queue_update"}, got


# ---------------------------------------------------------------- presence


async def test_user_connected_and_disconnected_reach_rooms_sockets(server, ws_open):
    await _quiet(server, 0)  # no earlier test's socket comes or goes meanwhile
    watcher = await ws_open("/ws/connect")
    await rooms_pong(watcher)
    token = make_token(server.data_dir, "staff", "Presence Pat")

    first, user_id = await user_id_of(ws_open, token)
    hello = await watcher.wait_for("user_connected")
    assert hello["data"]["user_id"] == user_id and hello.get("room") is None

    # A second socket of the same user: no second user_connected.
    second = await ws_open("/ws/connect", token)
    await rooms_pong(second)
    marker = await relay(server, "notification", data={"m": 1})
    got = await watcher.until(lambda m: m.get("seq") == marker["seq"], what="marker")
    assert [m["type"] for m in got] == ["notification"], got

    # Closing one of two: still connected.
    await first.close()
    await eventually(lambda: _dialect_count(server, "channels_004", 0))
    marker = await relay(server, "notification", data={"m": 2})
    got = await watcher.until(lambda m: m.get("seq") == marker["seq"], what="marker")
    assert [m["type"] for m in got] == ["notification"], got

    # The last one closes: user_disconnected.
    await second.close()
    bye = await watcher.wait_for("user_disconnected")
    assert bye["data"]["user_id"] == user_id
    # An anonymous socket has no user: nothing announced.
    anon = await ws_open("/ws/connect")
    await rooms_pong(anon)
    await anon.close()
    marker = await relay(server, "notification", data={"m": 3})
    got = await watcher.until(lambda m: m.get("seq") == marker["seq"], what="marker")
    assert [m["type"] for m in got] == ["notification"], got


async def _dialect_count(server: Server, dialect: str, expected: int) -> bool:
    return (await stats(server))["dialects"].get(dialect, 0) == expected


# ---------------------------------------------------------------- redaction


async def test_redaction_per_audience_on_every_dialect(server, ws_open):
    shop = await new_shop(server)
    sid = shop["id"]
    doc = await new_provider(server, sid, "Dr. Quill")
    day = await today_of(server, sid)
    surname, phone = "Zyxwvutsrq", "555-0199-831"
    appt_surname, appt_phone = "Qponmlkjih", "555-0142-777"
    display = server.token("display")
    kiosk = server.token("kiosk")
    staff = server.token("staff")

    async def open_all(token: str | None) -> list[WS]:
        socks = [
            await ws_open(f"/ws/queue/{sid}", token),
            await ws_open(f"/ws/queue/{sid}/", token),
            await ws_open(f"/ws/appointments/{sid}/", token),
            await ws_open(f"{API}/ws/queue", token),
            await ws_open("/ws/connect", token),
        ]
        await socks[3].send({"action": "subscribe", "date": day, "shop_id": sid})
        await socks[4].send({"command": "join_room", "room": f"queue:{sid}"})
        await socks[4].send({"command": "join_room", "room": f"appointments:{sid}"})
        if token is not None:
            chan, _ = await user_id_of(ws_open, token)
            await chan.send(
                {
                    "type": "subscribe",
                    "payload": {"channels": [f"queue:{sid}", f"appointments:{sid}"]},
                }
            )
            socks.append(chan)
        return socks

    redacted = await open_all(None) + await open_all(display) + await open_all(kiosk)
    full = await open_all(staff)
    everyone = redacted + full

    entry = await join(server, sid, f"John Michael {surname}", phone=phone, provider_id=doc["id"])
    appt = await book(server, doc, day, name=f"Ann {appt_surname}", phone=appt_phone)
    ticket = await ok(
        server, "POST", f"{API}/checkins", {"appointment_id": appt["id"]}, role="kiosk"
    )
    last_seq = ticket["seq"]
    for sock in everyone:
        # Event sockets hear both rooms; the others one view each.
        wanted = (
            {"queue_update", "appointment_update"}
            if "/ws/connect" in sock.path or sock.path.startswith("/ws?")
            else {"queue_update", "appointment_update", "update"}
        )
        single = not ("/ws/connect" in sock.path or sock.path.startswith("/ws?"))
        seen: set[str] = set()

        def done(m, seen=seen, wanted=wanted, single=single):
            if m.get("seq") == last_seq and m.get("type") in wanted:
                seen.add(m["type"])
            return bool(seen) if single else seen == wanted

        await sock.until(done, what=f"seq {last_seq}")

    for sock in redacted:
        text = "\n".join(sock.raw)
        for secret in (surname, phone, appt_surname, appt_phone):
            assert secret not in text, (sock.path, secret)
    shown = {
        "000": redacted[0].messages[-1],
        "001": redacted[1].messages[-1],
    }
    for update in shown.values():
        mine = entry_in(update, entry["id"])
        assert mine["full_name"] == "John Z." and mine["phone"] is None, mine
        assert set(mine) >= {"full_name", "phone"}  # every key kept
    anon_central = redacted[3].messages[-1]["data"]
    patient = anon_central["doctors"][0]["appointments"][0]["patient"]
    assert patient["name"] == "Ann Q." and patient["phone"] is None
    assert patient["age"] is None and patient["gender"] is None

    for sock in full:
        text = "\n".join(sock.raw)
        secrets = [appt_surname, appt_phone]
        if "/ws/appointments/" not in sock.path:  # a walk-in is no appointment
            secrets.append(surname)
            if f"{API}/ws/queue" not in sock.path:  # seed 002's walk-in rows have no phone
                secrets.append(phone)
        for secret in secrets:
            assert secret in text, (sock.path, secret)
    staff_000 = full[0].messages[-1]
    assert entry_in(staff_000, entry["id"])["full_name"] == f"John Michael {surname}"
    assert entry_in(staff_000, entry["id"])["phone"] == phone
    staff_central = full[3].messages[-1]["data"]
    assert staff_central["doctors"][0]["appointments"][0]["patient"]["phone"] == appt_phone


# ---------------------------------------------------------------- stats and renders


async def _quiet(server: Server, total: int) -> dict[str, Any]:
    """Stats once the server has exactly `total` sockets (earlier tests' are gone)."""

    async def settled():
        body = await stats(server)
        return body if body["total_connections"] == total else None

    return await eventually(settled, what=f"server never settled at {total} sockets")


async def test_stats_count_connections_per_dialect(server, ws_open):
    base = await _quiet(server, 0)
    shop = await new_shop(server)
    sid = shop["id"]
    doc = await new_provider(server, sid)
    opened = {
        "000": [await ws_open(f"/ws/queue/{sid}") for _ in range(2)],
        "001": [await ws_open(f"/ws/queue/{sid}/")],
        "appointments": [
            await ws_open(f"/ws/appointments/{sid}"),
            await ws_open(f"/ws/appointments/{sid}/"),
        ],
        "central": [await ws_open(f"{API}/ws/queue")],
        "central_doctor": [await ws_open(f"{API}/ws/queue/{doc['id']}")],
        "rooms": [await ws_open("/ws/connect") for _ in range(3)],
        "channels": [
            (await user_id_of(ws_open, server.token("display")))[0],
            (await user_id_of(ws_open, server.token("staff")))[0],
        ],
    }
    for sock in opened["000"] + opened["001"] + opened["appointments"]:
        await sock.recv()  # the connect message: the socket is registered
    for sock in opened["central"] + opened["central_doctor"]:
        await sock.send({"action": "ping"})
        await sock.expect("pong")
    for sock in opened["rooms"]:
        await rooms_pong(sock)
    total = sum(len(v) for v in opened.values())
    body = await _quiet(server, total)
    assert base["total_connections"] == 0
    for key, socks in opened.items():
        assert body["dialects"].get(DIALECT_NAMES[key], 0) == len(socks), (key, body["dialects"])
    # The shop's queue is one of the appliance's own topics, not a room (SPEC §15).
    assert body["topics"].get(f"queue:{sid}") == 3, body["topics"]
    assert f"queue:{sid}" not in body["rooms"], body["rooms"]
    assert body["unique_users"] == 2, body
    assert set(body) >= {
        "total_connections",
        "unique_users",
        "rooms",
        "dialects",
        "messages_sent",
        "messages_dropped",
    }
    assert body["messages_sent"] > base["messages_sent"]
    for sock in opened["rooms"] + opened["000"]:
        await sock.close()
    body = await _quiet(server, total - 5)
    assert body["dialects"].get("rooms_003", 0) == 0
    assert body["dialects"].get("shop_queue_000", 0) == 0
    assert (await http(server, "GET", "/ws/stats", role=None)).status == 401
    assert (await http(server, "GET", "/ws/stats", role="kiosk")).status == 403


@pytest.mark.parametrize("anonymous, staff", [(5, 1), (30, 5)])
async def test_one_render_per_change_per_audience(server, ws_open, anonymous, staff):
    """30 redacted sockets (anonymous, display, kiosk) + 5 full (staff, admin) on one
    topic cost exactly 2 renders for a join, as do 5 + 1."""
    await _quiet(server, 0)
    shop = await new_shop(server)
    sid = shop["id"]
    redacted_tokens = [None, server.token("display"), server.token("kiosk")]
    full_tokens = [server.token("staff"), server.token("admin")]
    socks = [await ws_open(f"/ws/queue/{sid}", redacted_tokens[i % 3]) for i in range(anonymous)]
    socks += [await ws_open(f"/ws/queue/{sid}", full_tokens[i % 2]) for i in range(staff)]
    for sock in socks:
        await sock.expect("queue_update")
    before = await _quiet(server, anonymous + staff)

    entry = await join(server, sid, "Rene Render")
    for sock in socks:
        update = await sock.expect("queue_update", seq=entry["seq"])
        assert entry_in(update, entry["id"]) is not None
    after = await stats(server)
    assert after["renders"] - before["renders"] == 2, (before["renders"], after["renders"])
    assert after["messages_sent"] - before["messages_sent"] >= anonymous + staff
    names = {entry_in(s.messages[-1], entry["id"])["full_name"] for s in socks}
    assert names == {"Rene Render", "Rene R."}


async def test_relay_to_a_room_and_a_user_arrives_once_per_socket(server, ws_open):
    token = make_token(server.data_dir, "staff", "Room and user")
    chan, user_id = await user_id_of(ws_open, token)
    room = room_name()
    await chan.send({"type": "subscribe", "payload": {"channels": [room]}})
    await chan.expect("subscribed")
    rooms = await ws_open("/ws/connect", token)
    await rooms.send({"command": "join_room", "room": room})
    await rooms.wait_for("room_joined")
    sent = await relay(server, "notification", room=room, user_id=user_id, data={"x": 1})
    marker = await relay(server, "stock_low", data={})
    for sock in (chan, rooms):
        got = await sock.until(lambda m: m.get("seq") == marker["seq"], what="marker")
        assert [m["seq"] for m in got if m.get("seq") == sent["seq"]] == [sent["seq"]], got
