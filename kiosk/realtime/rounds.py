"""Render rounds: each committed change rendered ONCE per group and handed to its sockets.

A committed batch of events wakes one feed per topic, which reads any snapshot it
needs once, has each group's dialect render once, and hands the same message to every
socket of the group. One feed per topic keeps a topic's messages in order; events
that arrive while a snapshot is read are coalesced into the next round. A socket that
connects gets its first full view from a cache valid until the next event, so a room
of TVs reconnecting after a Wi-Fi drop costs one read and one render.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.realtime.conn import Group
from kiosk.realtime.frames import Message
from kiosk.realtime.outbox import Outboxes
from kiosk.realtime.registry import Registry
from kiosk.store.eventlog import Event

log = logging.getLogger(__name__)

LIVE = "live"  # a round of committed events
PERIODIC = "periodic"  # the 30 s refresh of seed 000
INITIAL = "initial"  # a socket just connected or subscribed: its first full view
REPLAY = "replay"  # events a resuming socket missed, read back from the log

Reader = Callable[..., Awaitable[Any]]


class Dialect(Protocol):
    """What a render round needs from a wire dialect (see realtime/dialects/).

    `snapshot_reads` names the service reads a rendering needs, as hashable tuples
    `(function, *args)`; each runs once per round, whoever needs it.
    """

    name: str

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]: ...

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]: ...


@dataclass
class _Feed:
    pending: list[Event] = field(default_factory=list)
    periodic: bool = False
    task: asyncio.Task | None = None


class Rounds:
    def __init__(
        self, read: Reader, dialects: dict[str, Dialect], registry: Registry, outboxes: Outboxes
    ) -> None:
        self._read = read  # runs a named service read on the database thread
        self._dialects = dialects
        self._registry = registry
        self._outboxes = outboxes
        self._feeds: dict[str, _Feed] = {}
        self.renders: Counter[tuple[str, str, str]] = Counter()
        self.last_seq = 0
        self._initial: dict[Group, tuple[int, list[Message]]] = {}
        self._initial_pending: dict[Group, asyncio.Future] = {}

    def publish(self, events: list[Event]) -> None:
        """Called on the event loop with each committed batch, in seq order."""
        for event in events:
            self.last_seq = max(self.last_seq, event.seq)
            for topic in event.topics:
                if self._registry.listened(topic):
                    self._feed(topic).pending.append(event)

    def refresh(self, topic: str) -> None:
        """A periodic full refresh (seed 000 sends the whole queue every 30 s)."""
        if self._registry.listened(topic):
            self._feed(topic).periodic = True

    def forget(self, group: Group) -> None:
        """A group nobody listens in any more keeps no cached view."""
        self._initial.pop(group, None)

    def _feed(self, topic: str) -> _Feed:
        feed = self._feeds.get(topic)
        if feed is None:
            feed = self._feeds[topic] = _Feed()
        if feed.task is None:
            feed.task = asyncio.get_running_loop().create_task(self._run_feed(topic, feed))
        return feed

    async def _run_feed(self, topic: str, feed: _Feed) -> None:
        try:
            while feed.pending or feed.periodic:
                events, feed.pending = feed.pending, []
                periodic, feed.periodic = feed.periodic, False
                await self._round(topic, events, periodic)
        except Exception:
            log.exception("feed for %s failed", topic)
        finally:
            feed.task = None
            if feed.pending or feed.periodic:  # arrived during the last await
                self._feed(topic)
            elif self._feeds.get(topic) is feed:
                del self._feeds[topic]

    async def _round(self, topic: str, events: list[Event], periodic: bool) -> None:
        mode = PERIODIC if periodic and not events else LIVE
        registry = self._registry
        reads = await self.run_reads(
            read
            for group in registry.topic_groups(topic)
            for read in self._dialects[group.dialect].snapshot_reads(group, events, mode)
        )
        for group in registry.topic_groups(topic):
            members = registry.members(group)
            if not members:
                continue
            for message in self.render(group, events, reads, mode):
                for conn in list(members):
                    self._outboxes.deliver(conn, message)

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
        messages = self._dialects[group.dialect].render(group, events, reads, mode)
        if messages:
            self.renders[(group.dialect, group.topic, group.audience)] += 1
        return messages

    async def render_now(self, group: Group, events: list[Event], mode: str) -> list[Message]:
        """Render for one socket outside a live round (connect, subscribe, replay)."""
        if mode == INITIAL:
            return await self._render_initial(group)
        dialect = self._dialects[group.dialect]
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
            dialect = self._dialects[group.dialect]
            reads = await self.run_reads(dialect.snapshot_reads(group, [], INITIAL))
            messages = self.render(group, [], reads, INITIAL)
            if self._registry.listening(group):
                self._initial[group] = (as_of, messages)
            pending.set_result(messages)
            return messages
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: waiters get it, nobody logs it as lost
            raise
        finally:
            del self._initial_pending[group]
