"""Resume after reconnect (SPEC §4 "Resume", §8): event sockets (rooms, channels) that
connect with `?since=SEQ` and then join/subscribe room R get exactly R's events after
SEQ, in order, none twice, followed seamlessly by the live ones; a `since` the log
cannot serve gets a `resync` error instead.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from typing import Any

import pytest

from tests.kiosk_harness import Server, wait_until
from tests.ws_client import WS, http

API = "/api/v1"
DIALECTS = ("rooms", "channels")


@pytest.fixture
async def ws_open(server):
    opened: list[WS] = []

    async def open_(path: str, token: str | None = None, srv: Server | None = None) -> WS:
        client = await WS.connect(srv or server, path, token)
        opened.append(client)
        return client

    yield open_
    await asyncio.gather(*(c.close() for c in opened))


def room_name() -> str:
    return f"resume-{uuid.uuid4().hex[:10]}"


async def post(server: Server, room: str | None, n: int, type: str = "order_updated") -> int:
    resp = await http(
        server, "POST", f"{API}/events", {"type": type, "room": room, "data": {"n": n}}
    )
    assert resp.status == 201, resp.raw
    return resp.body["seq"]


class EventSocket:
    """The same steps in either event dialect."""

    def __init__(self, dialect: str, sock: WS):
        self.dialect = dialect
        self.sock = sock

    @classmethod
    async def open(
        cls, open_, server: Server, dialect: str, since: int | None = None, token: str | None = None
    ) -> EventSocket:
        query = "" if since is None else f"since={since}"
        if dialect == "rooms":
            sock = await open_(f"/ws/connect{'?' + query if query else ''}", token, server)
        else:
            token = token or server.token("display")
            sock = await open_(f"/ws?token={token}{'&' + query if query else ''}", None, server)
            await sock.expect("connection:established")
        return cls(dialect, sock)

    async def join(self, *rooms: str, wait: bool = True) -> None:
        if self.dialect == "rooms":
            for room in rooms:
                await self.sock.send({"command": "join_room", "room": room})
        else:
            await self.sock.send({"type": "subscribe", "payload": {"channels": list(rooms)}})
        if wait:
            await self.joined()

    async def joined(self) -> None:
        kind = "room_joined" if self.dialect == "rooms" else "subscribed"
        await self.sock.wait_for(kind)

    def error_code(self, message: dict[str, Any]) -> str | None:
        if message.get("type") != "error":
            return None
        if self.dialect == "rooms":
            return message.get("code")
        return (message.get("payload") or {}).get("code")

    def body(self, message: dict[str, Any]) -> Any:
        return message.get("data" if self.dialect == "rooms" else "payload")

    def room(self, message: dict[str, Any]) -> str | None:
        return message.get("room" if self.dialect == "rooms" else "channel")

    async def ping(self) -> None:
        if self.dialect == "rooms":
            await self.sock.send({"command": "ping"})
        else:
            await self.sock.send({"type": "ping", "payload": {}})
        await self.sock.wait_for("pong")

    async def events_until(self, seq: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Every event message (anything with a seq, no presence) up to the one with `seq`."""
        got = await self.sock.until(lambda m: m.get("seq") == seq, timeout, what=f"seq {seq}")
        return [
            m
            for m in got
            if m.get("seq") is not None
            and m.get("type") not in ("user_connected", "user_disconnected")
        ]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_reconnect_with_since_gets_missed_events_once_in_order(server, ws_open, dialect):
    room, elsewhere = room_name(), room_name()
    first = await EventSocket.open(ws_open, server, dialect)
    await first.join(room)
    e1 = await post(server, room, 1)
    e2 = await post(server, room, 2)
    got = await first.events_until(e2)
    assert [m["seq"] for m in got] == [e1, e2]
    assert [first.body(m) for m in got] == [{"n": 1}, {"n": 2}]
    await first.sock.close()

    # While away: two events in R, and noise in another room the socket never joined.
    e3 = await post(server, room, 3)
    await post(server, elsewhere, 99)
    e4 = await post(server, room, 4)

    again = await EventSocket.open(ws_open, server, dialect, since=e2)
    await again.join(room)
    e5 = await post(server, room, 5)
    got = await again.events_until(e5)
    assert [m["seq"] for m in got] == [e3, e4, e5], got
    assert [again.body(m) for m in got] == [{"n": 3}, {"n": 4}, {"n": 5}]
    assert all(again.room(m) == room and m["type"] == "order_updated" for m in got), got
    # And nothing twice afterwards: the next live event is the next message.
    e6 = await post(server, room, 6)
    assert [m["seq"] for m in await again.events_until(e6)] == [e6]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_events_posted_during_the_replay_arrive_once_in_order(server, ws_open, dialect):
    """Live events racing the replay: held, deduplicated, released in order."""
    room = room_name()
    since = await post(server, room, 0)
    missed = [await post(server, room, n) for n in range(1, 31)]
    again = await EventSocket.open(ws_open, server, dialect, since=since)
    # The join and a burst of concurrent posts, all at once.
    results = await asyncio.gather(
        again.join(room, wait=False),
        *(post(server, room, n) for n in range(31, 51)),
    )
    live = sorted(results[1:])
    end = await post(server, room, 51)
    got = await again.events_until(end, timeout=20)
    seqs = [m["seq"] for m in got]
    assert len(seqs) == len(set(seqs)), f"duplicates: {seqs}"
    assert seqs == sorted(seqs), f"out of order: {seqs}"
    assert seqs == missed + live + [end], seqs


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_queue_room_resume_under_concurrent_joins(server, ws_open, dialect):
    """queue:{shop} during a replay: each join's new_entry exactly once, in order, and
    the queue views never go back in time."""
    resp = await http(server, "POST", f"{API}/shops", {"name": "Resume shop"}, role="admin")
    assert resp.status == 201
    shop = resp.body["id"]
    room = f"queue:{shop}"

    async def join(n: int) -> dict[str, Any]:
        r = await http(
            server, "POST", f"{API}/shops/{shop}/queue", {"full_name": f"Res {n}"}, role="kiosk"
        )
        assert r.status == 201, r.raw
        return r.body

    since = (await join(0))["seq"]
    missed = [(await join(n))["seq"] for n in range(1, 11)]
    again = await EventSocket.open(
        ws_open, server, dialect, since=since, token=server.token("staff")
    )
    results = await asyncio.gather(again.join(room, wait=False), *(join(n) for n in range(11, 31)))
    live = sorted(r["seq"] for r in results[1:])
    end = (await join(31))["seq"]
    # (The replay's queue view may be read after `end` committed, so new_entry(end),
    # held meanwhile, can come after a queue_update that already shows it.)
    seen: set[str] = set()

    def done(m: dict[str, Any]) -> bool:
        if m.get("seq") == end and m.get("type") == "new_entry":
            seen.add("new_entry")
        if m.get("type") == "queue_update" and m["seq"] >= end:
            seen.add("queue_update")
        return len(seen) == 2

    got = await again.sock.until(done, 20, what="new_entry and queue_update of the last join")
    new_entries = [m["seq"] for m in got if m.get("type") == "new_entry"]
    assert len(new_entries) == len(set(new_entries)), f"duplicate new_entry: {new_entries}"
    assert new_entries == missed + live + [end], new_entries
    updates = [m["seq"] for m in got if m.get("type") == "queue_update"]
    assert updates == sorted(updates), f"a queue view went back in time: {updates}"
    versions = [again.body(m)["version"] for m in got if m.get("type") == "queue_update"]
    assert versions == sorted(versions), versions


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_subscribing_several_rooms_replays_each(server, ws_open, dialect):
    a, b, c = room_name(), room_name(), room_name()
    since = await post(server, None, 0, type="notification")
    seqs = {a: [], b: [], c: []}
    for n in range(9):
        room = (a, b, c)[n % 3]
        seqs[room].append(await post(server, room, n))
    again = await EventSocket.open(ws_open, server, dialect, since=since)
    await again.join(a, b)
    end_a = await post(server, a, 100)
    end_b = await post(server, b, 101)  # after b's replay, whenever that ends
    got = await again.events_until(end_b)
    # Each room's events come in order; two rooms' live rounds are separate feeds, so
    # under load a's last event may follow b's.
    if end_a not in {m["seq"] for m in got}:
        got += await again.events_until(end_a)
    for room, end in ((a, end_a), (b, end_b)):
        mine = [m["seq"] for m in got if again.room(m) == room]
        assert mine == seqs[room] + [end], (room, mine)
    assert not [m for m in got if again.room(m) == c], "never joined"


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_since_newer_than_the_log_is_resync(server, ws_open, dialect):
    newest = await post(server, room_name(), 0)
    sock = await EventSocket.open(ws_open, server, dialect, since=newest + 10**9)
    await sock.join(room_name(), wait=False)
    error = await sock.sock.wait_for("error")
    assert sock.error_code(error) == "resync", error
    await sock.ping()  # the socket stays usable
    # Exactly the newest seq is fine: nothing missed, no error, live events flow.
    ok = await EventSocket.open(ws_open, server, dialect, since=await post(server, None, 1))
    room = room_name()
    await ok.join(room)
    live = await post(server, room, 2)
    got = await ok.events_until(live)
    assert [m["seq"] for m in got if ok.room(m) == room] == [live]
    assert not [m for m in ok.sock.messages if m.get("type") == "error"], ok.sock.messages


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "9" * 40])
async def test_bad_since_is_an_error_in_the_dialects_shape(server, ws_open, dialect, since):
    if dialect == "rooms":
        sock = await ws_open(f"/ws/connect?since={since}")
    else:
        sock = await ws_open(f"/ws?token={server.token('display')}&since={since}")
    error = await sock.wait_for("error")
    events = EventSocket(dialect, sock)
    assert events.error_code(error) == "bad_since", error
    await events.ping()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_since_older_than_the_log_keeps_is_resync(fresh_server, dialect):
    """Events older than the retention are pruned at start; a `since` before the oldest
    kept event cannot be served (resync), one just before it can."""
    srv = fresh_server.start()
    room = room_name()
    opened: list[WS] = []

    async def open_(path: str, token: str | None, s: Server) -> WS:
        client = await WS.connect(s, path, token)
        opened.append(client)
        return client

    try:
        seqs = [await post(srv, room, n) for n in range(4)]
        srv.token("display")  # made now: it must survive the restart
        assert srv.stop() == 0
        # Age the first two events (and everything before them) past the retention.
        with sqlite3.connect(srv.data_dir / "kiosk.sqlite3") as db:
            db.execute(
                "UPDATE event SET at = '2000-01-01T00:00:00.000+00:00' WHERE seq <= ?", (seqs[1],)
            )
        srv.start()
        wait_until(
            lambda: re.search(r"pruned \d+ old events", srv.log_path.read_text()),
            timeout=15,
            message="the event log was not pruned at start",
        )

        too_old = await EventSocket.open(open_, srv, dialect, since=seqs[0])
        await too_old.join(room, wait=False)
        error = await too_old.sock.wait_for("error")
        assert too_old.error_code(error) == "resync", error
        await too_old.ping()

        # since = the newest pruned seq: the oldest kept is since + 1, nothing is missing.
        just_ok = await EventSocket.open(open_, srv, dialect, since=seqs[1])
        await just_ok.join(room)
        end = await post(srv, room, 4)
        got = await just_ok.events_until(end)
        assert [m["seq"] for m in got] == [seqs[2], seqs[3], end], got
    finally:
        await asyncio.gather(*(c.close() for c in opened))
