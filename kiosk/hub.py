"""The hub: who listens to what, and getting each change to every screen at once.

A registry, not a loop of awaited sends. Sockets subscribe to topics in groups of
(dialect, topic, audience, variant); a committed batch of events wakes one feed per
topic, which reads any snapshot it needs ONCE, has each group's dialect render ONCE,
encodes the WebSocket frame ONCE, and hands the same bytes to every socket of the
group. A socket whose transport keeps up gets the bytes written straight away; one
that falls behind gets a bounded outbox and a writer task of its own, so it can
never delay anyone else (PocketBase's broker, DESIGN.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiohttp import WSMsgType, web

from kiosk.auth import Principal
from kiosk.eventlog import Event
from kiosk.redaction import Audience

log = logging.getLogger(__name__)

# A socket whose kernel and transport buffers hold more than this is "behind": its
# messages queue in its own outbox instead of being written at once.
BACKLOG_BYTES = 64 * 1024
# Event dialects cannot skip messages, so a socket that falls this far behind is
# closed (1013, try again later) and resumes with `since` when it reconnects.
MAX_EVENT_BACKLOG = 256
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_GOING_AWAY = 1001
CLOSE_NO_HEARTBEAT = 4408
MISSED_HEARTBEATS = 2  # SPEC §8: closed after 2 missed
PING_FRAME = b"\x89\x00"  # an empty ping, the same bytes for every socket
BROADCAST = "*"  # the topic of an event posted with neither room nor user


def text_frame(payload: bytes) -> bytes:
    """A complete server-to-client text frame (unmasked, uncompressed), built once
    and written as-is to every socket that receives the message."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


@dataclass(frozen=True, eq=False)
class Message:
    """One rendered message, shared by every socket it goes to."""

    payload: bytes
    frame: bytes
    seq: int | None = None
    # What the message is about (e.g. "queue:1"). For a snapshot dialect a newer
    # snapshot with the same key supersedes whatever is still queued under it, so a
    # slow TV skips straight to the newest queue.
    key: str | None = None
    # A full view of `key` as of `seq`: never sent after a newer one of the same key.
    snapshot: bool = False

    @classmethod
    def of(
        cls,
        body: dict[str, Any],
        seq: int | None = None,
        key: str | None = None,
        snapshot: bool = False,
    ) -> Message:
        payload = orjson.dumps(body)
        return cls(payload, text_frame(payload), seq, key, snapshot)


@dataclass(frozen=True)
class Group:
    dialect: str
    topic: str
    audience: Audience
    variant: Any = None  # a dialect's own parameter: a date, a provider, a shop filter


SNAPSHOT = "snapshot"
EVENTS = "events"

_conn_ids = itertools.count(1)


@dataclass(eq=False)
class Conn:
    ws: web.WebSocketResponse
    transport: asyncio.Transport
    dialect: str
    principal: Principal
    address: str | None
    overflow: str  # SNAPSHOT: skip to the newest; EVENTS: close 1013 when full
    id: int = field(default_factory=lambda: next(_conn_ids))
    groups: set[Group] = field(default_factory=set)
    outbox: deque[Message] = field(default_factory=deque)
    writer: asyncio.Task | None = None
    # While a resume replays the log, live messages wait here (then deduplicated).
    holding: list[Message] | None = None
    newest: dict[str, int] = field(default_factory=dict)  # snapshot key -> seq sent
    # Event messages of one key go out in seq order, so one at or below the last sent
    # is a duplicate: e.g. a live round that read its events before this socket
    # subscribed, delivering after the socket's replay already sent them.
    newest_event: dict[str, int] = field(default_factory=dict)
    closed: bool = False
    sent: int = 0
    dropped: int = 0
    missed_heartbeats: int = 0

    @property
    def audience(self) -> Audience:
        return self.principal.audience

    @property
    def user_id(self) -> int | None:
        return self.principal.token_id


LIVE = "live"  # a round of committed events
PERIODIC = "periodic"  # the 30 s refresh of seed 000
INITIAL = "initial"  # a socket just connected or subscribed: its first full view
REPLAY = "replay"  # events a resuming socket missed, read back from the log


class Dialect(Protocol):
    """What the hub needs from a wire dialect (see kiosk/dialects/).

    `snapshot_reads` names the service reads a rendering needs, as hashable tuples
    `(function, *args)`; the hub runs each once per round, whoever needs it.
    """

    name: str

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]: ...

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]: ...


Reader = Callable[..., Awaitable[Any]]


@dataclass
class _Feed:
    pending: list[Event] = field(default_factory=list)
    periodic: bool = False
    task: asyncio.Task | None = None


class Hub:
    def __init__(self, read: Reader, dialects: Iterable[Dialect]):
        self._read = read  # runs a named service read on the database thread
        self.dialects: dict[str, Dialect] = {d.name: d for d in dialects}
        self.conns: set[Conn] = set()
        self._groups: dict[Group, set[Conn]] = {}
        self._topics: dict[str, set[Group]] = {}
        self._feeds: dict[str, _Feed] = {}
        self.renders: Counter[tuple[str, str, str]] = Counter()
        self.messages_sent = 0
        self.messages_dropped = 0
        self.last_seq = 0
        # A connect-time rendering per group, valid while no newer event was published:
        # a room of TVs reconnecting after a Wi-Fi drop costs one read and one render.
        self._initial: dict[Group, tuple[int, list[Message]]] = {}
        self._initial_pending: dict[Group, asyncio.Future] = {}

    # ------------------------------------------------------------ membership

    def attach(self, conn: Conn) -> None:
        self.conns.add(conn)

    def detach(self, conn: Conn) -> None:
        conn.closed = True
        for group in list(conn.groups):
            self.unsubscribe(conn, group)
        self.conns.discard(conn)
        conn.outbox.clear()
        if conn.writer is not None:
            conn.writer.cancel()

    def subscribe(self, conn: Conn, group: Group) -> None:
        conn.groups.add(group)
        self._groups.setdefault(group, set()).add(conn)
        self._topics.setdefault(group.topic, set()).add(group)

    def unsubscribe(self, conn: Conn, group: Group) -> None:
        conn.groups.discard(group)
        members = self._groups.get(group)
        if members is None:
            return
        members.discard(conn)
        if not members:
            del self._groups[group]
            self._initial.pop(group, None)
            groups = self._topics[group.topic]
            groups.discard(group)
            if not groups:
                del self._topics[group.topic]

    def topic_groups(self, topic: str) -> list[Group]:
        return list(self._topics.get(topic, ()))

    def topics_of(self, *dialects: str) -> set[str]:
        return {g.topic for g in self._groups if g.dialect in dialects}

    def members(self, group: Group) -> set[Conn]:
        return self._groups.get(group, set())

    def has_listeners(self, topic: str) -> bool:
        return topic in self._topics

    # ------------------------------------------------------------ publishing

    def publish(self, events: list[Event]) -> None:
        """Called on the event loop with each committed batch, in seq order."""
        for event in events:
            self.last_seq = max(self.last_seq, event.seq)
            for topic in event.topics:
                if topic in self._topics:
                    self._feed(topic).pending.append(event)

    def refresh(self, topic: str) -> None:
        """A periodic full refresh (seed 000 sends the whole queue every 30 s)."""
        if topic in self._topics:
            self._feed(topic).periodic = True

    def _feed(self, topic: str) -> _Feed:
        feed = self._feeds.get(topic)
        if feed is None:
            feed = self._feeds[topic] = _Feed()
        if feed.task is None:
            feed.task = asyncio.get_running_loop().create_task(self._run_feed(topic, feed))
        return feed

    async def _run_feed(self, topic: str, feed: _Feed) -> None:
        # One feed per topic, so its messages leave in order; events that arrive
        # while a snapshot is being read are coalesced into the next round.
        try:
            while feed.pending or feed.periodic:
                events, feed.pending = feed.pending, []
                periodic, feed.periodic = feed.periodic, False
                await self._render_round(topic, events, periodic)
        except Exception:
            log.exception("feed for %s failed", topic)
        finally:
            feed.task = None
            if feed.pending or feed.periodic:  # arrived during the last await
                self._feed(topic)
            elif self._feeds.get(topic) is feed:
                del self._feeds[topic]

    async def _render_round(self, topic: str, events: list[Event], periodic: bool) -> None:
        mode = PERIODIC if periodic and not events else LIVE
        groups = self.topic_groups(topic)
        reads = await self.run_reads(
            read
            for group in groups
            for read in self.dialects[group.dialect].snapshot_reads(group, events, mode)
        )
        for group in self.topic_groups(topic):
            members = self._groups.get(group)
            if not members:
                continue
            messages = self.render(group, events, reads, mode)
            for message in messages:
                for conn in list(members):
                    self.deliver(conn, message)

    async def run_reads(self, wanted: Iterable[tuple]) -> dict[tuple, Any]:
        """Each distinct read once; a failed read is passed on as its exception."""
        reads: dict[tuple, Any] = dict.fromkeys(wanted)
        for read in reads:
            try:
                reads[read] = await self._read(*read)
            except Exception as exc:  # e.g. a shop deleted meanwhile: skip its view
                log.debug("snapshot read %s failed: %s", read[0].__name__, exc)
                reads[read] = exc
        return reads

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        messages = self.dialects[group.dialect].render(group, events, reads, mode)
        if messages:
            self.renders[(group.dialect, group.topic, group.audience)] += 1
        return messages

    async def render_now(self, group: Group, events: list[Event], mode: str) -> list[Message]:
        """Render for one socket outside a live round (connect, subscribe, replay)."""
        if mode == INITIAL:
            return await self._render_initial(group)
        dialect = self.dialects[group.dialect]
        reads = await self.run_reads(dialect.snapshot_reads(group, events, mode))
        return dialect.render(group, events, reads, mode)

    async def _render_initial(self, group: Group) -> list[Message]:
        cached = self._initial.get(group)
        if cached is not None and cached[0] == self.last_seq:
            return cached[1]
        pending = self._initial_pending.get(group)
        if pending is not None:  # someone is rendering this very view right now
            return await asyncio.shield(pending)
        as_of = self.last_seq  # the read below sees at least everything up to here
        pending = self._initial_pending[group] = asyncio.get_running_loop().create_future()
        try:
            dialect = self.dialects[group.dialect]
            reads = await self.run_reads(dialect.snapshot_reads(group, [], INITIAL))
            messages = self.render(group, [], reads, INITIAL)
            if group in self._groups:
                self._initial[group] = (as_of, messages)
            pending.set_result(messages)
            return messages
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: waiters get it, nobody logs it as lost
            raise
        finally:
            del self._initial_pending[group]

    # ------------------------------------------------------------ delivery

    def deliver(self, conn: Conn, message: Message) -> None:
        """Hand one message to one socket without ever waiting for it."""
        if conn.closed:
            return
        if conn.holding is not None:
            conn.holding.append(message)
            return
        if message.key is not None and message.seq is not None:
            if message.snapshot:
                if message.seq < conn.newest.get(message.key, -1):
                    return  # an older view than the socket already has
                conn.newest[message.key] = message.seq
            else:
                if message.seq <= conn.newest_event.get(message.key, -1):
                    return
                conn.newest_event[message.key] = message.seq
        transport = conn.transport
        if transport.is_closing():
            return
        if (
            not conn.outbox
            and conn.writer is None
            and transport.get_write_buffer_size() < BACKLOG_BYTES
        ):
            transport.write(message.frame)  # the cheap path: same bytes, no task
            conn.sent += 1
            self.messages_sent += 1
            return
        self._enqueue(conn, message)

    def _enqueue(self, conn: Conn, message: Message) -> None:
        if conn.overflow == SNAPSHOT and message.snapshot and message.key is not None:
            key = message.key
            kept = [m for m in conn.outbox if m.key != key]
            skipped = len(conn.outbox) - len(kept)
            if skipped:
                conn.outbox = deque(kept)
                conn.dropped += skipped
                self.messages_dropped += skipped
        elif conn.overflow == EVENTS and len(conn.outbox) >= MAX_EVENT_BACKLOG:
            self.messages_dropped += len(conn.outbox) + 1
            conn.dropped += len(conn.outbox) + 1
            self._give_up_on(conn)
            return
        conn.outbox.append(message)
        if conn.writer is None:
            conn.writer = asyncio.get_running_loop().create_task(self._drain(conn))

    async def _drain(self, conn: Conn) -> None:
        try:
            while conn.outbox and not conn.closed:
                message = conn.outbox.popleft()
                # send_frame waits while the transport is paused: only this socket waits.
                await conn.ws.send_frame(message.payload, WSMsgType.TEXT)
                conn.sent += 1
                self.messages_sent += 1
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            conn.writer = None

    def _give_up_on(self, conn: Conn) -> None:
        """An event socket too far behind: close it (1013); it resumes with `since`."""
        conn.outbox.clear()
        self.detach(conn)
        asyncio.get_running_loop().create_task(
            close_socket(conn.ws, CLOSE_TRY_AGAIN_LATER, b"too far behind; reconnect with since")
        )

    def send(
        self,
        conn: Conn,
        body: dict[str, Any],
        seq: int | None = None,
        key: str | None = None,
        snapshot: bool = False,
    ) -> None:
        """A message for one socket only (replies, initial snapshots)."""
        self.deliver(conn, Message.of(body, seq, key, snapshot))

    # ------------------------------------------------------------ resume

    def hold(self, conn: Conn) -> None:
        if conn.holding is None:
            conn.holding = []

    def release(self, conn: Conn) -> None:
        """Deliver what arrived during a replay; `deliver` drops what it already sent."""
        held, conn.holding = conn.holding or [], None
        for message in held:
            self.deliver(conn, message)

    def heartbeat(self) -> None:
        """One timer for every socket: ping each, close those that missed two pings."""
        for conn in list(self.conns):
            if conn.missed_heartbeats >= MISSED_HEARTBEATS:
                self.detach(conn)
                asyncio.get_running_loop().create_task(
                    close_socket(conn.ws, CLOSE_NO_HEARTBEAT, b"no answer to heartbeat")
                )
                continue
            conn.missed_heartbeats += 1
            if not conn.transport.is_closing():
                conn.transport.write(PING_FRAME)

    # ------------------------------------------------------------ shutdown and stats

    async def close_all(self, code: int = CLOSE_GOING_AWAY, reason: bytes = b"") -> None:
        conns = list(self.conns)
        for conn in conns:
            self.detach(conn)
        await asyncio.gather(
            *(close_socket(c.ws, code, reason) for c in conns), return_exceptions=True
        )

    def stats(self) -> dict[str, Any]:
        rooms: Counter[str] = Counter()
        dialects: Counter[str] = Counter()
        users = set()
        for conn in self.conns:
            dialects[conn.dialect] += 1
            if conn.user_id is not None:
                users.add(conn.user_id)
            for topic in {g.topic for g in conn.groups}:
                rooms[topic] += 1
        return {
            "total_connections": len(self.conns),
            "unique_users": len(users),
            "rooms": dict(rooms),
            "dialects": dict(dialects),
            "messages_sent": self.messages_sent,
            "messages_dropped": self.messages_dropped,
            "renders": sum(self.renders.values()),
            "last_seq": self.last_seq,
        }


async def close_socket(ws: web.WebSocketResponse, code: int, reason: bytes = b"") -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(code=code, message=reason), timeout=5)
