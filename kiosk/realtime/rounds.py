"""Render rounds: each committed change rendered ONCE per group and handed to its sockets.

A committed batch of events wakes one feed per topic, which reads any snapshot it
needs once, has each group's dialect render once, and hands the same message to every
socket of the group. One feed per topic keeps a topic's messages in order. A round's
reads run as one database job, so its snapshots all show one state, labelled with the
newest seq committed when they ran; events committed up to that seq while the round
waited are taken into the round, so no event message ever follows a view that already
holds it. Later events are coalesced into the next round. A socket that
connects gets its first full view from a cache valid until the next event, so a room
of TVs reconnecting after a Wi-Fi drop costs one read and one render.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.domain.errors import NotFound
from kiosk.realtime.conn import Group
from kiosk.realtime.frames import Message
from kiosk.realtime.ordering import SeqOrder
from kiosk.realtime.outbox import Outboxes
from kiosk.realtime.registry import Registry
from kiosk.store.eventlog import Event

log = logging.getLogger(__name__)

LIVE = "live"  # a round of committed events
PERIODIC = "periodic"  # the 30 s refresh of seed 000
INITIAL = "initial"  # a socket just connected or subscribed: its first full view
REPLAY = "replay"  # events a resuming socket missed, read back from the log

# A round that took newer events may need a read it has not done (e.g. an appointment
# for another date): it reads again, all at once, so its views still agree. Twice is
# what that takes; the bound only keeps a burst of writes from starving the round.
READ_PASSES = 3
# A failing read would freeze every screen showing it without a word: it is said, but
# at most this often per read function, since a round runs on every change.
FAILURE_WARNING_EVERY_S = 60.0

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


def read_all(wanted: tuple[tuple, ...]) -> dict[tuple, Any]:
    """Run on the database thread: a round's reads in one job, so they see one state
    and cost one trip. A failed read is passed on as its exception."""
    results: dict[tuple, Any] = {}
    for read in wanted:
        try:
            results[read] = read[0](*read[1:])
        except Exception as exc:  # e.g. a shop deleted meanwhile: skip its view
            results[read] = exc
    return results


def seen_up_to(reads: dict[tuple, Any]) -> int | None:
    """How far a round's reads saw: the `seq` its snapshots carry, the newest event
    committed when they ran (SPEC §4); None when nothing read carries one."""
    seqs = [
        r["seq"] for r in reads.values() if isinstance(r, dict) and isinstance(r.get("seq"), int)
    ]
    return max(seqs, default=None)


@dataclass
class _Feed:
    pending: list[Event] = field(default_factory=list)
    # The running round's events, not yet handed to sockets (see `settled_seq`).
    current: list[Event] = field(default_factory=list)
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
        # Per (dialect, audience), not per topic: topics are dates and rooms without end.
        self.renders: Counter[tuple[str, str]] = Counter()
        self.read_failures = 0
        self._warned: dict[str, float] = {}  # read function -> when its failure was said
        self.last_seq = 0
        self._initial: dict[Group, tuple[int, list[Message]]] = {}
        self._initial_pending: dict[Group, asyncio.Task] = {}
        self.order = SeqOrder(self._first_unhanded, outboxes.deliver, outboxes.give_up)

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

    @property
    def settled_seq(self) -> int:
        """Every event up to this seq has been handed to the sockets listening for it;
        later ones may still wait on a round's read. A seq given out before its event
        has gone out would let a socket resuming from it skip that event."""
        waiting = [
            (f.current or f.pending)[0].seq for f in self._feeds.values() if f.current or f.pending
        ]
        return min(waiting) - 1 if waiting else self.last_seq

    def _first_unhanded(self, topic: str) -> int | None:
        feed = self._feeds.get(topic)
        events = feed and (feed.current or feed.pending)
        return events[0].seq if events else None

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
                feed.current = events
                await self._round(topic, feed, events, periodic)
                feed.current = []
                self.order.release()
        except Exception:
            log.exception("feed for %s failed", topic)
        finally:
            feed.task = None
            if feed.current:
                feed.current = []
                self.order.release()
            if feed.pending or feed.periodic:  # arrived during the last await
                self._feed(topic)
            elif self._feeds.get(topic) is feed:
                del self._feeds[topic]

    def _wanted(self, topic: str, events: list[Event], mode: str) -> list[tuple]:
        return list(
            dict.fromkeys(
                read
                for group in self._registry.topic_groups(topic)
                for read in self._dialects[group.dialect].snapshot_reads(group, events, mode)
            )
        )

    async def _round(self, topic: str, feed: _Feed, events: list[Event], periodic: bool) -> None:
        mode = PERIODIC if periodic and not events else LIVE
        registry = self._registry
        reads: dict[tuple, Any] = {}
        for attempt in range(READ_PASSES):
            wanted = self._wanted(topic, events, mode)
            if attempt and reads.keys() >= set(wanted):
                break
            reads = await self.run_reads(wanted)
            if attempt == READ_PASSES - 1:
                break
            # Joins committed while we waited are in these views already: they go out
            # in this round, before the views, not after them with older seqs (issue
            # "Correctness at the edges": seq went backwards).
            taken = self._take(feed, seen_up_to(reads))
            if not taken:
                break
            events = feed.current = [*events, *taken]
            mode = LIVE
        for group in registry.topic_groups(topic):
            members = registry.members(group)
            if not members:
                continue
            for message in self.render(group, events, reads, mode):
                for conn in list(members):
                    self.order.deliver(conn, message, topic)

    @staticmethod
    def _take(feed: _Feed, seen: int | None) -> list[Event]:
        """The pending events up to `seen` (pending is in seq order)."""
        if seen is None:
            return []
        n = 0
        while n < len(feed.pending) and feed.pending[n].seq <= seen:
            n += 1
        taken, feed.pending = feed.pending[:n], feed.pending[n:]
        return taken

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """One job on the database thread through the hub's own reader (which a test
        may hold back to order it against a live round)."""
        return await self._read(fn, *args)

    async def run_reads(self, wanted: Iterable[tuple]) -> dict[tuple, Any]:
        """Each distinct read once, all in one database job; a failed read is passed
        on as its exception."""
        distinct = tuple(dict.fromkeys(wanted))
        if not distinct:
            return {}
        reads = await self._read(read_all, distinct)
        self.note_failures(reads)
        return reads

    def note_failures(self, reads: dict[tuple, Any]) -> None:
        """Count and say failed reads. A shop or provider gone meanwhile is no fault
        (its view is just skipped); anything else is, and would freeze the screens
        showing that view, so it is said, at most once a minute per read."""
        for read, result in reads.items():
            if not isinstance(result, Exception):
                continue
            fn = read[0]
            name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
            if isinstance(result, NotFound):
                log.debug("snapshot read %s found nothing: %s", name, result)
                continue
            self.read_failures += 1
            now = time.monotonic()
            last = self._warned.get(name)
            if last is not None and now - last < FAILURE_WARNING_EVERY_S:
                log.debug("snapshot read %s failed again: %r", name, result)
                continue
            self._warned[name] = now
            log.warning(
                "snapshot read %s failed; screens showing it keep their last view "
                "(said at most once a minute): %r",
                name,
                result,
                exc_info=result,
            )

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        messages = self._dialects[group.dialect].render(group, events, reads, mode)
        if messages:
            self.renders[(group.dialect, group.audience)] += 1
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
        task = self._initial_pending.get(group)
        if task is None:  # nobody is rendering this very view right now
            task = self._initial_pending[group] = asyncio.get_running_loop().create_task(
                self._initial_render(group)
            )
            task.add_done_callback(_retrieved)
        # The render is a task of its own: a caller cancelled meanwhile (its socket went
        # away) stops waiting, while the render goes on for every other socket.
        return await asyncio.shield(task)

    async def _initial_render(self, group: Group) -> list[Message]:
        as_of = self.last_seq  # the read below sees at least everything up to here
        try:
            dialect = self._dialects[group.dialect]
            reads = await self.run_reads(dialect.snapshot_reads(group, [], INITIAL))
            messages = self.render(group, [], reads, INITIAL)
            if self._registry.listening(group):
                self._initial[group] = (as_of, messages)
            return messages
        finally:
            del self._initial_pending[group]


def _retrieved(task: asyncio.Task) -> None:
    """Its waiters got the error, or all went away: either way nobody logs it as lost."""
    if not task.cancelled():
        task.exception()
