"""The hub, in process (tests/inprocess.py): with the app in the test's own loop, a test
can look at `app[HUB]` between two steps, hold a snapshot read back while a write
commits, shrink one socket's send buffer, or call the heartbeat itself.

DESIGN.md's promises: a committed batch reaches every subscribed socket once, in seq
order; each (change, dialect, topic, audience) is rendered once and every socket of
the group gets the same bytes; a socket that never reads costs only its own outbox.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp import WSMsgType

from tests.inprocess import Kiosk, running
from tests.test_ws_slow_consumer import stalled_socket
from tests.ws_client import (
    API,
    WS,
    entry_in,
    eventually,
    http,
    join,
    new_shop,
    relay,
    stats,
)

BACKLOG_BYTES = 64 * 1024  # kiosk/hub.py: a socket with more than this queued is "behind"
AIOHTTP_WRITER_LIMIT = 2**18  # WebSocketResponse's default writer_limit
MAX_CHANGES = 300  # bound on the loop that waits for the stalled socket to fall behind
CHANGES_WHILE_BEHIND = 25


def new_conn(kiosk: Kiosk, known: set[int]):
    """The hub's record of a socket opened since `known` was taken (None until then)."""
    fresh = [c for c in kiosk.hub.conns if c.id not in known]
    assert len(fresh) <= 1, fresh
    return fresh[0] if fresh else None


async def opened(kiosk: Kiosk, path: str, token: str | None = None, **kw: Any):
    """A client socket and the hub's record of it (the Conn)."""
    known = {c.id for c in kiosk.hub.conns}
    sock = await kiosk.ws(path, token, **kw)
    conn = await eventually(lambda: new_conn(kiosk, known), what=f"{path} never registered")
    return sock, conn


async def ping_rooms(sock: WS) -> None:
    await sock.send({"command": "ping"})
    await sock.wait_for("pong")


# ---------------------------------------------------------------- once, in seq order, after commit


async def test_a_message_leaves_only_after_its_commit(inprocess_app: Kiosk):
    """When a socket hears of a join, the join is already readable over HTTP: the hub
    publishes committed batches, never a write still in flight."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    sock = await kiosk.ws(f"/ws/queue/{sid}/")
    await sock.expect("queue_update")
    for n in range(3):
        joining = asyncio.create_task(join(kiosk, sid, f"Early Bird{n}"))
        heard = await sock.expect("new_entry")
        # Looked up before the join's own response is awaited.
        queue = await http(kiosk, "GET", f"{API}/shops/{sid}/queue")
        assert queue.status == 200
        assert heard["queue_item"]["id"] in [e["id"] for e in queue.body["queue_items"]]
        assert queue.body["seq"] >= heard["seq"]
        entry = await joining
        assert heard["seq"] == entry["seq"] and heard["queue_item"]["id"] == entry["id"]
        await sock.expect("queue_update", seq=entry["seq"])


async def test_concurrent_writes_reach_every_socket_once_in_seq_order(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    room = f"queue:{sid}"
    queue_001 = await kiosk.ws(f"/ws/queue/{sid}/")
    await queue_001.expect("queue_update")
    rooms = await kiosk.ws("/ws/connect", kiosk.token("staff"))
    await rooms.send({"command": "join_room", "room": room})
    await rooms.expect("room_joined", room=room)
    channels = await kiosk.ws(f"/ws?token={kiosk.token('display')}")
    await channels.expect("connection:established")
    await channels.send({"type": "subscribe", "payload": {"channels": [room]}})
    await channels.expect("subscribed")

    joins = await asyncio.gather(*(join(kiosk, sid, f"Burst Walker{n}") for n in range(12)))
    joins.sort(key=lambda e: e["seq"])
    assert len({e["seq"] for e in joins}) == len(joins)
    last = joins[-1]["seq"]
    for sock, item_of in (
        (queue_001, lambda m: m["queue_item"]),
        (rooms, lambda m: m["data"]),
        (channels, lambda m: m["payload"]),
    ):
        got = await sock.until(
            lambda m, item_of=item_of: (
                m["type"] == "new_entry" and item_of(m)["id"] == joins[-1]["id"]
            ),
            what=f"new_entry {last}",
        )
        got += await sock.until(lambda m: m["type"] == "queue_update", what="queue_update")
        heard = [(m["seq"], item_of(m)["id"]) for m in got if m["type"] == "new_entry"]
        assert heard == [(e["seq"], e["id"]) for e in joins], (sock.path, heard)
        views = [m["seq"] for m in got if m["type"] == "queue_update"]
        assert views == sorted(views) and views[-1] == last, (sock.path, views)
        final = item_of(got[-1]) if sock is not queue_001 else got[-1]
        assert len(final["queue_items"]) == len(joins)


async def test_writes_committed_under_a_rounds_read_keep_seq_order(inprocess_app: Kiosk):
    """Join A's round waits to read the queue; joins B and C commit meanwhile. The read
    then sees C's state, so A's round sends new_entry(A) and a queue_update marked C;
    B's and C's round follows. Every socket must still see seqs that never go back."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    room = f"queue:{sid}"
    queue_001 = await kiosk.ws(f"/ws/queue/{sid}/")
    await queue_001.expect("queue_update")
    rooms = await kiosk.ws("/ws/connect")
    await rooms.send({"command": "join_room", "room": room})
    await rooms.expect("room_joined")
    channels = await kiosk.ws(f"/ws?token={kiosk.token('display')}")
    await channels.expect("connection:established")
    await channels.send({"type": "subscribe", "payload": {"channels": [room]}})
    await channels.expect("subscribed")
    reads = HeldReads(kiosk.hub, before=True)
    try:
        a = await join(kiosk, sid, "Alpha First")
        await reads.held(1)
        b = await join(kiosk, sid, "Bravo Second")
        c = await join(kiosk, sid, "Charlie Third")
        reads.restore()  # A's round reads now, after C's commit; no more holding
        for sock in (queue_001, rooms, channels):
            got = await sock.until(
                lambda m: m["type"] == "new_entry" and m["seq"] == c["seq"], what="C's entry"
            )
            got += await sock.until(lambda m: m["type"] == "queue_update", what="C's view")
            seqs = [m["seq"] for m in got if m["type"] in ("new_entry", "queue_update")]
            assert a["seq"] < b["seq"] < c["seq"]
            assert seqs == sorted(seqs), (sock.path, [(m["type"], m["seq"]) for m in got])
            # Each join still heard once, none dropped for being in a view already sent.
            entries = [m["seq"] for m in got if m["type"] == "new_entry"]
            assert entries == [a["seq"], b["seq"], c["seq"]], (sock.path, entries)
    finally:
        reads.restore()


async def test_one_socket_in_several_rooms_gets_their_events_in_seq_order(inprocess_app: Kiosk):
    """A staff screen listens in its queue's room and in others (printer, schedules) on
    one socket, and resumes from the highest seq it saw. A join's round waits on its
    queue read while a later event in another room needs no read: were that one sent
    first and the Wi-Fi dropped before the join's round, the resume would skip the join.
    Each room has its own round, so the socket must wait for the earlier one."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    rooms = await kiosk.ws("/ws/connect")
    for room in (f"queue:{sid}", "printer-elsewhere"):
        await rooms.send({"command": "join_room", "room": room})
        await rooms.expect("room_joined", room=room)
    reads = HeldReads(kiosk.hub, before=True)
    try:
        joined = await join(kiosk, sid, "Early Bird")
        await reads.held(1)  # the queue room's round, before its read
        kiosk.hub.rounds._read = reads.real  # every later round reads at once
        later = await relay(kiosk, "printer_status", room="printer-elsewhere", data={})
        assert later["seq"] > joined["seq"]
        # The other room's round is done at once; only then may the join's go on.
        await eventually(
            lambda: "printer-elsewhere" not in kiosk.hub.rounds._feeds, what="the other round"
        )
        reads.restore()
        got = await rooms.until(lambda m: m.get("seq") == joined["seq"], what="the join")
    finally:
        reads.restore()
    await rooms.send({"command": "ping"})
    got += await rooms.until(lambda m: m["type"] == "pong", what="pong")
    sent = [(m["type"], m["seq"]) for m in got if isinstance(m.get("seq"), int)]
    # The queue's view is read after the later event, so it is labelled with its seq;
    # it must not go before that event either, or a resume from its seq would skip it.
    assert sent == [
        ("new_entry", joined["seq"]),
        ("printer_status", later["seq"]),
        ("queue_update", later["seq"]),
    ], sent


# ---------------------------------------------------------------- one render per audience


async def test_one_render_per_audience_and_the_same_bytes_for_each(inprocess_app: Kiosk):
    kiosk = inprocess_app
    hub = kiosk.hub
    shop = await new_shop(kiosk)
    sid = shop["id"]
    redacted = [
        await kiosk.ws(f"/ws/queue/{sid}", token)
        for token in (None, None, kiosk.token("display"), kiosk.token("kiosk"))
    ]
    full = [await kiosk.ws(f"/ws/queue/{sid}", kiosk.token(r)) for r in ("staff", "admin")]
    for sock in redacted + full:
        await sock.expect("queue_update")
    before = (await stats(kiosk))["renders"]
    # Counted per (dialect, audience): only this test's shop has shop_queue_000 sockets.
    renders_before = {k: v for k, v in hub.rounds.renders.items() if k[0] == "shop_queue_000"}

    entry = await join(kiosk, sid, "Rene Render", phone="555-0123")
    for sock in redacted + full:
        await sock.expect("queue_update", seq=entry["seq"])
    assert (await stats(kiosk))["renders"] - before == 2
    grew = {
        key: count - renders_before.get(key, 0)
        for key, count in hub.rounds.renders.items()
        if key[0] == "shop_queue_000" and count != renders_before.get(key, 0)
    }
    assert sorted(grew.values()) == [1, 1] and len(grew) == 2, grew

    assert len({sock.raw[-1] for sock in redacted}) == 1, "redacted sockets got different bytes"
    assert len({sock.raw[-1] for sock in full}) == 1, "full sockets got different bytes"
    assert redacted[0].raw[-1] != full[0].raw[-1]
    assert entry_in(redacted[0].messages[-1], entry["id"])["full_name"] == "Rene R."
    assert "555-0123" not in redacted[0].raw[-1] and "555-0123" in full[0].raw[-1]


# ---------------------------------------------------------------- a socket that never reads


async def test_a_socket_that_never_reads_delays_nobody(inprocess_app: Kiosk):
    """A raw socket does the handshake and never reads again; its server-side send
    buffer is shrunk to the kernel's minimum, so it falls behind after a few changes.
    From then on a reading socket of the same group still gets every change, while the
    stalled one keeps at most the newest view queued (snapshot dialects skip ahead)."""
    kiosk = inprocess_app
    hub = kiosk.hub
    shop = await new_shop(kiosk)
    sid = shop["id"]
    healthy = await kiosk.ws(f"/ws/queue/{sid}")
    await healthy.expect("queue_update")
    known = {c.id for c in hub.conns}
    raw = await asyncio.to_thread(stalled_socket, kiosk.port, f"/ws/queue/{sid}")
    try:
        stalled = await eventually(lambda: new_conn(kiosk, known), what="stalled not registered")
        stalled.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )
        dropped_before = hub.outboxes.dropped

        async def change() -> dict[str, Any]:
            entry = await join(kiosk, sid, role="staff")
            update = await healthy.expect("queue_update", seq=entry["seq"])
            assert entry_in(update, entry["id"]) is not None
            return update

        for _ in range(MAX_CHANGES):
            await change()
            if stalled.writer is not None or stalled.outbox:
                break
        else:
            raise AssertionError(f"the stalled socket never fell behind: {stalled}")
        sent_when_behind = stalled.sent

        buffered_when_behind = stalled.transport.get_write_buffer_size()
        # aiohttp's own writer takes up to its writer_limit (256 KiB) before it waits for
        # the transport, on top of the hub's BACKLOG_BYTES: bounded, if not by 64 KiB.
        assert buffered_when_behind < BACKLOG_BYTES + AIOHTTP_WRITER_LIMIT + 2 * len(
            healthy.raw[-1]
        ), buffered_when_behind

        for _ in range(CHANGES_WHILE_BEHIND):
            update = await change()
            # Only this socket waits: at most the newest view queued, the rest skipped.
            assert len(stalled.outbox) <= 1, len(stalled.outbox)
            buffered = stalled.transport.get_write_buffer_size()
            assert buffered <= buffered_when_behind, (buffered, buffered_when_behind)
        assert stalled.sent <= sent_when_behind + 1, (sent_when_behind, stalled.sent)
        assert healthy.messages[-1] is update and len(update["queue_items"]) > 0
        assert hub.outboxes.dropped - dropped_before >= CHANGES_WHILE_BEHIND - 2
        assert stalled in hub.conns and not stalled.closed  # skipped ahead, not closed
    finally:
        raw.close()
    await eventually(lambda: stalled not in hub.conns, what="the stalled socket never left")


# ---------------------------------------------------------------- a snapshot read racing a write


class HeldReads:
    """Snapshot reads that run at once but hand back their result only when told (or,
    `before`, that run only when told): a test can let a live round finish before a
    connect-time read that started earlier, or let writes commit under a round's read.

    Replaces the hub's reader (`Rounds._read`, the database thread's `run`)."""

    def __init__(self, hub, *, before: bool = False):
        self.hub = hub
        self.real = hub.rounds._read
        self.before = before  # hold the read back before it runs, not after
        self.waiting: list[tuple[str, asyncio.Future]] = []
        self.restored = False
        hub.rounds._read = self.read

    async def read(self, fn, *args):
        gate = asyncio.get_running_loop().create_future()
        if self.before and not self.restored:
            self.waiting.append((fn.__name__, gate))
            await gate
            return await self.real(fn, *args)
        value = await self.real(fn, *args)
        if self.restored:  # it was running when the test let everything go
            return value
        self.waiting.append((fn.__name__, gate))
        await gate
        return value

    async def held(self, n: int) -> None:
        await eventually(lambda: len(self.waiting) >= n, what=f"{n} reads never held")

    def let_go(self, index: int) -> None:
        self.waiting[index][1].set_result(None)

    def restore(self) -> None:
        self.restored = True
        self.hub.rounds._read = self.real
        for _, gate in self.waiting:
            if not gate.done():
                gate.set_result(None)


async def test_a_connect_view_read_before_a_write_never_overtakes_it(inprocess_app: Kiosk):
    """A queue screen connects; its first view is read (as of seq S0) but not yet sent
    when a join commits (S1) and the live round sends S1's view. The S0 view, finished
    last, must not be sent after S1's: the screen would show a queue without the join.
    And the next screen to connect gets S1's view, not the stale one cached for S0."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    reads = HeldReads(kiosk.hub)
    try:
        connecting = asyncio.create_task(kiosk.ws(f"/ws/queue/{sid}"))
        await reads.held(1)  # the connect-time read, done as of S0
        sock = await connecting
        entry = await join(kiosk, sid, "Lena Late")
        await reads.held(2)  # the live round's read, as of S1
        reads.let_go(1)
        live = await sock.expect("queue_update", seq=entry["seq"])
        assert entry_in(live, entry["id"]) is not None
        reads.let_go(0)
        await sock.send({"type": "ping"})
        got = await sock.until(lambda m: m["type"] == "pong", what="pong")
        stale = [m["seq"] for m in got if m["type"] == "queue_update"]
        assert stale == [], f"an older view arrived after seq {entry['seq']}: {stale}"

        reads.restore()
        later = await kiosk.ws(f"/ws/queue/{sid}")
        first = await later.expect("queue_update")
        assert first["seq"] >= entry["seq"] and entry_in(first, entry["id"]) is not None
    finally:
        reads.restore()


async def test_a_resume_racing_live_events_sends_each_once_in_order(inprocess_app: Kiosk):
    """A live join's round is held before its read; meanwhile a channels socket resumes
    with `since` on the queue channel, and its replay (read from the log after the
    join committed) already holds that join. Both then go out: the socket must get
    every missed join and the live one exactly once, in seq order."""
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    channel = f"queue:{sid}"
    token = kiosk.token("staff")
    start = await join(kiosk, sid, "Start Point")
    missed = [await join(kiosk, sid, f"Missed One{n}") for n in range(2)]
    # Another screen of the same group keeps the queue channel's live rounds going.
    watcher = await kiosk.ws(f"/ws?token={token}")
    await watcher.expect("connection:established")
    await watcher.send({"type": "subscribe", "payload": {"channels": [channel]}})
    await watcher.expect("subscribed")
    sock = await kiosk.ws(f"/ws?token={token}&since={start['seq']}")
    await sock.expect("connection:established")
    reads = HeldReads(kiosk.hub, before=True)
    try:
        live = await join(kiosk, sid, "Live Wire")
        await reads.held(1)  # the live round, about to read the queue
        await sock.send({"type": "subscribe", "payload": {"channels": [channel]}})
        await sock.expect("subscribed")
        await reads.held(2)  # the replay's read: its log read already saw the live join
        reads.let_go(0)
        reads.let_go(1)
        got = await sock.until(
            lambda m: m["type"] == "new_entry" and m["seq"] == live["seq"], what="live join"
        )
        await watcher.wait_for("new_entry", seq=live["seq"])
    finally:
        reads.restore()
    await sock.send({"type": "ping", "payload": {}})
    got += await sock.until(lambda m: m["type"] == "pong", what="pong")
    entries = [(m["seq"], m["payload"]["id"]) for m in got if m["type"] == "new_entry"]
    assert entries == [(e["seq"], e["id"]) for e in [*missed, live]], entries
    views = [m["seq"] for m in got if m["type"] == "queue_update"]
    assert views and views == sorted(views) and views[-1] == live["seq"], views


# ---------------------------------------------------------------- /ws/stats


async def test_ws_stats_counts_what_the_hub_holds(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    assert (await http(kiosk, "GET", "/ws/stats", role=None)).status == 401
    assert (await http(kiosk, "GET", "/ws/stats", role="kiosk")).status == 403
    base = await stats(kiosk)
    assert base["total_connections"] == 0 and base["dialects"] == {}
    queue = [await kiosk.ws(f"/ws/queue/{sid}") for _ in range(2)]
    for sock in queue:
        await sock.expect("queue_update")
    rooms = await kiosk.ws("/ws/connect", kiosk.token("staff"))
    await ping_rooms(rooms)
    channels = await kiosk.ws(f"/ws?token={kiosk.token('staff')}")
    await channels.expect("connection:established")

    body = await stats(kiosk)
    assert body["total_connections"] == 4 == len(kiosk.hub.conns)
    assert body["dialects"] == {"shop_queue_000": 2, "rooms_003": 1, "channels_004": 1}
    assert body["topics"][f"queue:{sid}"] == 2 and f"queue:{sid}" not in body["rooms"]
    assert body["unique_users"] == 1  # the staff token's two sockets
    assert body["messages_sent"] >= base["messages_sent"] + 3
    sent = await relay(kiosk, "notification", data={"hello": 1})
    assert body["last_seq"] < sent["seq"] == (await stats(kiosk))["last_seq"]

    await queue[0].close()
    await eventually(
        lambda: kiosk.hub.stats()["dialects"].get("shop_queue_000") == 1, what="close not seen"
    )
    assert (await stats(kiosk))["total_connections"] == 3


# ---------------------------------------------------------------- heartbeat and close codes


async def test_heartbeat_closes_a_silent_socket_4408_and_keeps_an_answering_one(
    inprocess_app: Kiosk,
):
    """The hub's one timer, called step by step: each round pings every socket; one that
    has not answered two pings is closed with 4408 on the third round."""
    kiosk = inprocess_app
    hub = kiosk.hub
    silent, silent_conn = await opened(kiosk, "/ws/queue/1", autoping=False)
    await silent.expect("queue_update")
    lively, lively_conn = await opened(kiosk, "/ws/queue/1")
    await lively.expect("queue_update")
    # The lively client answers pings while it waits for its next message.
    reading = asyncio.create_task(lively.ws.receive())
    try:
        for round_ in (1, 2):
            hub.heartbeat()
            ping = await asyncio.wait_for(silent.ws.receive(), 5)
            assert ping.type is WSMsgType.PING, ping
            assert silent_conn.missed_heartbeats == round_
            await eventually(
                lambda: lively_conn.missed_heartbeats == 0, what="the pong never counted"
            )
        hub.heartbeat()
        close = await asyncio.wait_for(silent.ws.receive(), 5)
        assert close.type is WSMsgType.CLOSE and close.data == 4408, close
        assert silent_conn not in hub.conns and lively_conn in hub.conns
        assert not reading.done()
        await lively.send({"type": "ping"})
        answer = await asyncio.wait_for(reading, 5)
        assert answer.type is WSMsgType.TEXT and '"pong"' in answer.data, answer
    finally:
        reading.cancel()


async def test_stopping_closes_every_dialect_1001(inprocess_app: Kiosk):
    kiosk = inprocess_app
    socks = [
        await kiosk.ws("/ws/queue/1"),
        await kiosk.ws("/ws/queue/1/"),
        await kiosk.ws("/ws/appointments/1"),
        await kiosk.ws(f"{API}/ws/queue"),
        await kiosk.ws("/ws/connect"),
        await kiosk.ws(f"/ws?token={kiosk.token('display')}"),
    ]
    for sock in socks[:3]:
        await sock.recv()
    await socks[3].send({"action": "ping"})
    await socks[3].expect("pong")
    await ping_rooms(socks[4])
    await socks[5].expect("connection:established")
    assert len(kiosk.hub.conns) == len(socks)
    closing = asyncio.create_task(kiosk.client.close())
    codes = await asyncio.gather(*(sock.closed() for sock in socks))
    await closing
    assert codes == [1001] * len(socks), dict(zip([s.path for s in socks], codes, strict=True))


async def test_periodic_refresh_resends_the_queue_to_shop_sockets_only(tmp_path):
    """Seed 000's full refresh (Config.refresh_s): the same view again on both shop
    queue paths; an event socket in the queue's room hears nothing of it."""
    async with running(tmp_path / "data", refresh_s=0.2) as kiosk:
        s000 = await kiosk.ws("/ws/queue/1")
        s001 = await kiosk.ws("/ws/queue/1/")
        rooms = await kiosk.ws("/ws/connect")
        await rooms.send({"command": "join_room", "room": "queue:1"})
        await rooms.expect("room_joined")
        for sock in (s000, s001):
            first = await sock.expect("queue_update", shop_id=1)
            again = await sock.expect("queue_update", timeout=5)
            assert again["seq"] == first["seq"] and again["queue_items"] == first["queue_items"]
        await ping_rooms(rooms)
        assert rooms.types() == ["room_joined", "pong"], rooms.types()
