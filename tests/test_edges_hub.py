"""The hub at its edges, in process (tests/inprocess.py): resuming several topics while
live events arrive, events for everyone or for one user on resume, replays too long
to serve, reads that fail, a subscribe racing a write, presence seqs, a connect-time
render whose first caller goes away, and state that must not grow with the days.

Each test holds the hub's reads (`HeldReads`) where it needs a step to fall in
between two others, and waits for messages, never for time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date as Date
from datetime import timedelta
from typing import Any

import pytest

from kiosk.realtime.conn import Group
from kiosk.realtime.dialects import event_views
from kiosk.realtime.rounds import INITIAL
from kiosk.services import views
from tests.inprocess import Kiosk
from tests.test_inprocess_hub import HeldReads, opened
from tests.ws_client import (
    API,
    WS,
    entry_in,
    eventually,
    join,
    new_shop,
    ok,
    relay,
    stats,
    today_of,
)

MISSED_PER_TOPIC = 10
DAYS = 7
VISITS_PER_DAY = 8  # dates, rooms and channels a screen goes through in a day
FIRST_DAY = Date(2031, 3, 1)
BOUND = 8  # what any per-socket or per-hub map may hold after the week (it is 1-4)


def body(message: dict[str, Any]) -> Any:
    """An event's body in either event dialect (rooms `data`, channels `payload`)."""
    return message["data"] if "data" in message else message.get("payload")


async def until_pong(sock: WS, channels: bool) -> list[dict[str, Any]]:
    """Everything the socket sent up to the answer to a ping: what it had to say."""
    await sock.send({"type": "ping", "payload": {}} if channels else {"command": "ping"})
    return await sock.until(lambda m: m["type"] == "pong", what="pong")


async def user_id_of(kiosk: Kiosk, role: str) -> int:
    sock = await kiosk.ws(f"/ws?token={kiosk.token(role)}")
    hello = await sock.expect("connection:established")
    await sock.close()
    return hello["payload"]["user_id"]


async def resuming(kiosk: Kiosk, dialect: str, since: int, role: str = "staff") -> WS:
    if dialect == "rooms":
        return await kiosk.ws(f"/ws/connect?since={since}", kiosk.token(role))
    sock = await kiosk.ws(f"/ws?token={kiosk.token(role)}&since={since}")
    await sock.expect("connection:established")
    return sock


# ---------------------------------------------------------------- 1. several topics resumed at once


async def test_subscribing_several_channels_at_once_replays_each_despite_live_traffic(
    inprocess_app: Kiosk,
):
    """A channels socket resumes two channels in one subscribe; while the replay's read
    is held, a live event lands on the second channel. Every missed event of both
    channels still arrives once, in order, then the live one (before the fix the live
    event went out first and the second channel's 10 missed events were all dropped
    as duplicates of it)."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    queue, room = f"queue:{shop['id']}", "orders-edge"
    since = (await relay(kiosk, "notification", room="elsewhere", data={}))["seq"]
    joins, posted = [], []
    for n in range(MISSED_PER_TOPIC):
        joins.append((await join(kiosk, shop["id"], f"Missed Walker{n}"))["seq"])
        posted.append((await relay(kiosk, "order_created", room=room, data={"n": n}))["seq"])
    token = kiosk.token("staff")
    watcher = await kiosk.ws(f"/ws?token={token}")
    await watcher.expect("connection:established")
    await watcher.send({"type": "subscribe", "payload": {"channels": [room]}})
    await watcher.expect("subscribed")
    sock = await resuming(kiosk, "channels", since)
    assert await until_pong(sock, channels=True) == [sock.messages[-1]]  # nothing missed yet
    reads = HeldReads(kiosk.hub)
    try:
        await sock.send({"type": "subscribe", "payload": {"channels": [queue, room]}})
        await sock.expect("subscribed")
        await reads.held(1)  # the replay's read, done, its answer held
        live = (await relay(kiosk, "order_created", room=room, data={"n": "live"}))["seq"]
        await watcher.wait_for("order_created", seq=live)  # the live round is over
        reads.let_go(0)
        got = await sock.until(lambda m: m.get("seq") == live, what="the live event")
    finally:
        reads.restore()
    got += await until_pong(sock, channels=True)
    in_room = [m["seq"] for m in got if m.get("channel") == room]
    assert in_room == [*posted, live], in_room
    entries = [m["seq"] for m in got if m["type"] == "new_entry"]
    assert entries == joins, entries
    events = [m["seq"] for m in got if m["type"] in ("new_entry", "order_created")]
    assert events == sorted(events) and len(events) == len(set(events)), events
    views_seen = [m["seq"] for m in got if m["type"] == "queue_update"]
    assert views_seen and views_seen[-1] >= joins[-1], views_seen


async def test_joining_several_rooms_replays_each_despite_live_traffic(inprocess_app: Kiosk):
    """The rooms dialect joins one room per command, so a room is subscribed only once
    the one before it is replayed: two joins sent at once, and while the first room's
    replay is held a live event lands on each room. (This one held before the fix too;
    a display socket, so the old per-room replay had a read to hold as well.)"""
    kiosk = inprocess_app
    first, second = "rooms-edge-a", "rooms-edge-b"
    since = (await relay(kiosk, "notification", room="elsewhere", data={}))["seq"]
    posted: dict[str, list[int]] = {first: [], second: []}
    for _ in range(MISSED_PER_TOPIC):
        for room in (first, second):
            posted[room].append((await relay(kiosk, "order_updated", room=room, data={}))["seq"])
    sock = await resuming(kiosk, "rooms", since, role="display")
    await until_pong(sock, channels=False)
    reads = HeldReads(kiosk.hub)
    try:
        for room in (first, second):
            await sock.send({"command": "join_room", "room": room})
        await sock.expect("room_joined", room=first)
        await reads.held(1)  # the first room's replay
        # One lands on the room being replayed, one on the room joined next.
        live = {
            room: (await relay(kiosk, "order_updated", room=room, data={"live": 1}))["seq"]
            for room in (first, second)
        }
        reads.restore()
        got = await sock.until(lambda m: m.get("seq") == live[second], what="the live event")
    finally:
        reads.restore()
    got += await until_pong(sock, channels=False)
    for room in (first, second):
        mine = [m["seq"] for m in got if m["type"] == "order_updated" and m["room"] == room]
        assert mine == [*posted[room], live[room]], (room, mine)


# ---------------------------------------------------------------- 2. everyone and one user


@pytest.mark.parametrize("dialect", ["rooms", "channels"])
async def test_events_for_everyone_and_for_the_user_are_replayed_on_resume(
    inprocess_app: Kiosk, dialect: str
):
    """Events sent to everyone (`*`) and to the socket's own user while it was away
    come back at connect with `since`, each once, in order, with one more for the user
    landing while that replay's read is held. Another user's events never come."""
    kiosk = inprocess_app
    me, other = await user_id_of(kiosk, "staff"), await user_id_of(kiosk, "admin")
    since = (await relay(kiosk, "notification", room="elsewhere", data={}))["seq"]
    missed = []
    for n in range(MISSED_PER_TOPIC):
        missed.append((await relay(kiosk, "notification", data={"all": n}))["seq"])
        missed.append((await relay(kiosk, "notification", user_id=me, data={"me": n}))["seq"])
        await relay(kiosk, "notification", user_id=other, data={"not me": n})
    watcher = await kiosk.ws("/ws/connect", kiosk.token("staff"))
    await until_pong(watcher, channels=False)
    reads = HeldReads(kiosk.hub)
    try:
        connecting = asyncio.create_task(resuming(kiosk, dialect, since))
        await reads.held(1)  # the replay at connect, its answer held
        live = (await relay(kiosk, "notification", user_id=me, data={"live": 1}))["seq"]
        await watcher.wait_for("notification", seq=live)
        reads.let_go(0)
        sock = await connecting
        got = await sock.until(lambda m: m.get("seq") == live, what="the live event")
    finally:
        reads.restore()
    got += await until_pong(sock, channels=dialect == "channels")
    heard = [m["seq"] for m in got if m["type"] == "notification"]
    assert heard == [*missed, live], heard
    assert all("not me" not in body(m) for m in got if m["type"] == "notification")


# ---------------------------------------------------------------- 3. seqs of a key never go back


async def test_a_new_entry_never_follows_a_first_view_that_holds_it(inprocess_app: Kiosk):
    """A join's round waits for its read; a seed-001 screen connects meanwhile and its
    first view, read after the join, already lists it. The round's `new_entry` for that
    join must not reach the new screen after that view (it would announce an entry
    the screen already shows, with an older seq than the view's)."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    path = f"/ws/queue/{shop['id']}/"
    watcher = await kiosk.ws(path)
    await watcher.expect("queue_update")
    reads = HeldReads(kiosk.hub, before=True)
    try:
        entry = await join(kiosk, shop["id"], "Early Edna")
        await reads.held(1)  # the join's round, before its read
        connecting = asyncio.create_task(kiosk.ws(path))
        await reads.held(2)  # the new screen's first view, to be read after the join
        reads.let_go(1)
        sock = await connecting
        first = await sock.expect("queue_update")
        assert first["seq"] >= entry["seq"] and entry_in(first, entry["id"]) is not None
        reads.let_go(0)
        await watcher.wait_for("new_entry", seq=entry["seq"])
        await watcher.wait_for("queue_update", seq=entry["seq"])
    finally:
        reads.restore()
    await sock.send({"type": "ping"})
    got = await sock.until(lambda m: m["type"] == "pong", what="pong")
    assert [m for m in got if m["type"] == "new_entry"] == [], got
    assert all(m["seq"] >= first["seq"] for m in got if "seq" in m), got


# ---------------------------------------------------------------- 4a. a replay too long to serve


@pytest.mark.parametrize("dialect", ["rooms", "channels"])
async def test_a_replay_longer_than_the_limit_is_resync_not_cut_short(
    inprocess_app: Kiosk, dialect: str, monkeypatch
):
    kiosk = inprocess_app
    limit = 3
    monkeypatch.setattr(event_views, "REPLAY_LIMIT", limit, raising=False)
    since = (await relay(kiosk, "notification", room="elsewhere", data={}))["seq"]
    room, just_enough = "limit-edge", "limit-edge-ok"
    for n in range(limit + 1):
        await relay(kiosk, "order_created", room=room, data={"n": n})
    served = [
        (await relay(kiosk, "order_created", room=just_enough, data={"n": n}))["seq"]
        for n in range(limit)
    ]
    channels = dialect == "channels"
    for name, expect_resync in ((room, True), (just_enough, False)):
        sock = await resuming(kiosk, dialect, since)
        if channels:
            await sock.send({"type": "subscribe", "payload": {"channels": [name]}})
        else:
            await sock.send({"command": "join_room", "room": name})
        got = await until_pong(sock, channels)
        errors = [m for m in got if m["type"] == "error"]
        codes = [(m.get("payload") or m).get("code") for m in errors]
        replayed = [m["seq"] for m in got if m["type"] == "order_created"]
        if expect_resync:
            assert codes == ["resync"] and replayed == [], (codes, replayed)
            assert f"more than {limit}" in str(errors[0]), errors[0]
        else:
            assert codes == [] and replayed == served, (codes, replayed)


# ---------------------------------------------------------------- 4b. a failing snapshot read


async def test_a_failing_read_is_warned_once_a_minute_and_counted(
    inprocess_app: Kiosk, monkeypatch, caplog
):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    before = await stats(kiosk)
    assert before["read_failures"] == 0

    def queue_snapshot(shop_id: int, seq: int | None = None) -> dict[str, Any]:
        raise RuntimeError("a bug in the queue read")

    real = views.queue_snapshot
    monkeypatch.setattr(views, "queue_snapshot", queue_snapshot)
    caplog.set_level(logging.WARNING, logger="kiosk.realtime.rounds")
    sock = await kiosk.ws(f"/ws/queue/{shop['id']}")
    await sock.send({"type": "ping"})
    assert (await sock.recv())["type"] == "pong"  # no first view: its read failed
    await join(kiosk, shop["id"])  # the live round's read fails too
    await eventually(
        lambda: kiosk.hub.stats()["read_failures"] == 2, what="the second failure not counted"
    )
    warned = [r for r in caplog.records if "queue_snapshot" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING, warned
    assert (await stats(kiosk))["read_failures"] == 2

    monkeypatch.setattr(views, "queue_snapshot", real)
    entry = await join(kiosk, shop["id"])
    await sock.wait_for("queue_update", seq=entry["seq"])  # back as soon as it reads


# ---------------------------------------------------------------- 4c. a subscribe racing a write


async def test_a_central_subscribe_hears_a_change_committed_during_its_first_read(
    inprocess_app: Kiosk,
):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    day = await today_of(kiosk, shop["id"])
    sock = await kiosk.ws(f"{API}/ws/queue")
    reads = HeldReads(kiosk.hub)
    try:
        await sock.send({"action": "subscribe", "date": day, "shop_id": shop["id"]})
        await reads.held(1)  # the snapshot's read, done before the join below
        entry = await join(kiosk, shop["id"], "Racing Ruth")
        await reads.held(2)  # the join's round: the date was listened to already
        reads.let_go(0)
        first = await sock.expect("snapshot")
        assert first["seq"] < entry["seq"]
        reads.let_go(1)
        update = await sock.expect("update", seq=entry["seq"])
    finally:
        reads.restore()
    tickets = [w["entry_id"] for w in update["data"]["unassigned"]]
    assert entry["id"] in tickets, update["data"]

    await sock.send({"action": "subscribe", "date": day, "shop_id": 999_999})
    error = await sock.expect("error")
    assert "999999" in error["message"]
    assert not any(g.variant == (999_999, None) for g in kiosk.hub.registry._groups), "left in"


# ---------------------------------------------------------------- 4d. presence seq


async def test_presence_carries_a_seq_a_resume_skips_nothing_from(inprocess_app: Kiosk):
    """A join's round is held before its read; a user comes online meanwhile. The
    `user_connected` every rooms socket hears must not carry the join's seq (not sent
    yet), or a socket resuming from it would never get that join."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    room = f"queue:{shop['id']}"
    observer = await kiosk.ws("/ws/connect")
    await observer.send({"command": "join_room", "room": room})
    await observer.expect("room_joined")
    reads = HeldReads(kiosk.hub, before=True)
    try:
        entry = await join(kiosk, shop["id"], "Held Hugo")
        await reads.held(1)
        await kiosk.ws("/ws/connect", kiosk.token("admin"))
        came = await observer.wait_for("user_connected")
    finally:
        reads.restore()
    await observer.wait_for("new_entry", seq=entry["seq"])
    assert came["seq"] < entry["seq"], (came["seq"], entry["seq"])

    resumed = await resuming(kiosk, "rooms", came["seq"])
    await resumed.send({"command": "join_room", "room": room})
    await resumed.wait_for("new_entry", seq=entry["seq"])


# ---------------------------------------------------------------- 4e. a cancelled first caller


async def test_a_cancelled_first_caller_does_not_fail_the_others_waiting_on_its_render(
    inprocess_app: Kiosk,
):
    kiosk = inprocess_app
    hub = kiosk.hub
    shop = await new_shop(kiosk)
    group = Group("shop_queue_000", f"queue:{shop['id']}", "redacted")
    reads = HeldReads(hub)
    waiting = asyncio.Event()

    async def second() -> list:
        waiting.set()  # render_now reaches its wait without yielding before it
        return await hub.render_now(group, [], INITIAL)

    try:
        first = asyncio.create_task(hub.render_now(group, [], INITIAL))
        await reads.held(1)
        other = asyncio.create_task(second())
        await waiting.wait()
        first.cancel()
        (outcome,) = await asyncio.gather(first, return_exceptions=True)
        assert isinstance(outcome, asyncio.CancelledError), outcome
        reads.let_go(0)
        (messages,) = await asyncio.wait_for(asyncio.gather(other, return_exceptions=True), 5)
    finally:
        reads.restore()
    assert isinstance(messages, list) and len(messages) == 1, messages
    assert len(reads.waiting) == 1, "the second caller read again"


# ---------------------------------------------------------------- 5. a week of traffic


async def test_a_week_of_dates_rooms_and_channels_leaves_the_hubs_maps_small(
    inprocess_app: Kiosk,
):
    """Screens that move on to a new date, room or channel every few hours for a week:
    what the hub and each socket remember stays a handful, not one key per visit."""
    kiosk = inprocess_app
    hub = kiosk.hub
    shop = await new_shop(kiosk)
    # A week squeezed into seconds: far more commands per second than a screen sends.
    limits = {"ws_messages_per_s": 100_000, "ws_burst": 100_000}
    await ok(kiosk, "PATCH", f"{API}/settings", {"limits": limits}, role="admin")
    central, central_conn = await opened(kiosk, f"{API}/ws/queue")
    channels, channels_conn = await opened(kiosk, f"/ws?token={kiosk.token('display')}")
    await channels.expect("connection:established")
    rooms, rooms_conn = await opened(kiosk, "/ws/connect", kiosk.token("staff"))
    await until_pong(rooms, channels=False)
    for day in range(DAYS):
        for visit in range(VISITS_PER_DAY):
            date = (FIRST_DAY + timedelta(days=day * VISITS_PER_DAY + visit)).isoformat()
            await central.send({"action": "subscribe", "date": date, "shop_id": shop["id"]})
            await central.expect("snapshot")
            room = f"day{day}-visit{visit}"
            await rooms.send({"command": "join_room", "room": room})
            await rooms.expect("room_joined", room=room)
            await channels.send({"type": "subscribe", "payload": {"channels": [room]}})
            await channels.expect("subscribed")
            sent = await relay(kiosk, "order_created", room=room, data={"day": day})
            await rooms.expect("order_created", seq=sent["seq"])
            await channels.expect("order_created", seq=sent["seq"])
            await rooms.send({"command": "leave_room", "room": room})
            await rooms.expect("room_left", room=room)
            await channels.send({"type": "unsubscribe", "payload": {"channels": [room]}})
            await channels.expect("unsubscribed")
    sizes = {
        "renders": len(hub.rounds.renders),
        "initial views": len(hub.rounds._initial),
        "central newest": len(central_conn.newest) + len(central_conn.newest_event),
        "rooms newest": len(rooms_conn.newest) + len(rooms_conn.newest_event),
        "channels newest": len(channels_conn.newest) + len(channels_conn.newest_event),
        "topics": len(hub.registry._topics),
    }
    assert all(size <= BOUND for size in sizes.values()), sizes
    assert (await stats(kiosk))["renders"] >= DAYS * VISITS_PER_DAY * 3  # all still counted
