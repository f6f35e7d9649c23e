"""The hub: one object the socket endpoints and dialects talk to.

It is fed by the one after-commit publisher (events in seq order) and composed of a
registry (who listens to what), render rounds (each change rendered once per group)
and outboxes (each socket written without waiting for it). It holds no dialect's
shape: dialects render, the hub routes bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from kiosk.realtime.conn import Conn, Group
from kiosk.realtime.frames import (
    CLOSE_GOING_AWAY,
    CLOSE_NO_HEARTBEAT,
    CLOSE_REVOKED,
    CLOSE_TRY_AGAIN_LATER,
    PING_FRAME,
    Message,
    close_socket,
)
from kiosk.realtime.outbox import Outboxes
from kiosk.realtime.registry import Registry
from kiosk.realtime.rounds import Dialect, Reader, Rounds
from kiosk.store.eventlog import Event

MISSED_HEARTBEATS = 2  # SPEC §8: closed after 2 missed
# A handshake authenticates before its socket is attached, so a revocation can fall in
# between; revocations are remembered this long to catch such a socket as it attaches.
REVOKED_MEMORY_S = 60.0


class Hub:
    def __init__(self, read: Reader, dialects: Iterable[Dialect]):
        self.dialects: dict[str, Dialect] = {d.name: d for d in dialects}
        self.registry = Registry()
        self.outboxes = Outboxes(give_up=self._give_up_on)
        self.rounds = Rounds(read, self.dialects, self.registry, self.outboxes)
        self._revoked: dict[tuple[str, int], float] = {}  # ("token"|"staff", id) -> when

    # ------------------------------------------------------------ membership

    @property
    def conns(self) -> set[Conn]:
        return self.registry.conns

    def attach(self, conn: Conn) -> None:
        self.registry.attach(conn)

    def detach(self, conn: Conn) -> None:
        for group in self.registry.detach(conn):
            self.rounds.forget(group)
        self.rounds.order.forget(conn)
        self.outboxes.discard(conn)

    def subscribe(self, conn: Conn, group: Group) -> None:
        self.registry.subscribe(conn, group)

    def unsubscribe(self, conn: Conn, group: Group) -> None:
        if self.registry.unsubscribe(conn, group):
            self.rounds.forget(group)
        # What the socket was last sent of a group it left is no use any more; kept, it
        # would grow by a key per room or date the socket ever visited.
        conn.forget_sent(group)

    def topic_groups(self, topic: str) -> list[Group]:
        return self.registry.topic_groups(topic)

    def topics_of(self, *dialects: str) -> set[str]:
        return self.registry.topics_of(*dialects)

    def members(self, group: Group) -> set[Conn]:
        return self.registry.members(group)

    # ------------------------------------------------------------ rounds

    @property
    def last_seq(self) -> int:
        return self.rounds.last_seq

    @last_seq.setter
    def last_seq(self, seq: int) -> None:
        self.rounds.last_seq = seq

    @property
    def settled_seq(self) -> int:
        """Every event up to this seq has gone out to its sockets: a seq a socket may
        safely resume from when the message it comes on is not an event's own."""
        return self.rounds.settled_seq

    def publish(self, events: list[Event]) -> None:
        self.rounds.publish(events)

    def refresh(self, topic: str) -> None:
        self.rounds.refresh(topic)

    def day_changed(self, topic: str) -> None:
        """What a topic shows changed with no event (a shop's local day turned): the
        view cached for sockets that connect is stale though no seq moved, so drop it,
        and re-render every group of the topic."""
        for group in self.registry.topic_groups(topic):
            self.rounds.forget(group)
        self.rounds.refresh(topic)

    async def render_now(self, group: Group, events: list[Event], mode: str) -> list[Message]:
        return await self.rounds.render_now(group, events, mode)

    # ------------------------------------------------------------ delivery

    def deliver(self, conn: Conn, message: Message) -> None:
        self.outboxes.deliver(conn, message)

    def send(
        self,
        conn: Conn,
        body: dict[str, Any],
        seq: int | None = None,
        key: str | None = None,
        snapshot: bool = False,
    ) -> None:
        self.outboxes.send(conn, body, seq, key, snapshot)

    def hold(self, conn: Conn) -> None:
        self.outboxes.hold(conn)

    def release(self, conn: Conn) -> None:
        self.outboxes.release(conn)

    def _give_up_on(self, conn: Conn) -> None:
        """An event socket too far behind: close it (1013); it resumes with `since`."""
        self._close(conn, CLOSE_TRY_AGAIN_LATER, b"too far behind; reconnect with since")

    def _close(self, conn: Conn, code: int, reason: bytes) -> None:
        self.detach(conn)
        asyncio.get_running_loop().create_task(close_socket(conn.ws, code, reason))

    # ------------------------------------------------------------ revocation

    def close_tokens(
        self, token_ids: Iterable[int], code: int = CLOSE_REVOKED, reason: bytes = b"token revoked"
    ) -> int:
        """A revoked token's sockets hear nothing more from now on and are closed;
        returns how many."""
        keys = {("token", token_id) for token_id in token_ids}
        return self._close_revoked(keys, code, reason)

    def close_staff(
        self, staff_id: int, code: int = CLOSE_REVOKED, reason: bytes = b"staff member disabled"
    ) -> int:
        """A disabled staff member's sockets (every session of theirs) are closed."""
        return self._close_revoked({("staff", staff_id)}, code, reason)

    def revoked(self, conn: Conn) -> bool:
        """Was this socket's token (or its staff member) revoked a moment ago?"""
        return bool(self._revoked) and not self._revoked.keys().isdisjoint(_revocable(conn))

    def _close_revoked(self, keys: set[tuple[str, int]], code: int, reason: bytes) -> int:
        now = time.monotonic()
        self._revoked = {k: t for k, t in self._revoked.items() if now - t < REVOKED_MEMORY_S}
        self._revoked.update(dict.fromkeys(keys, now))
        doomed = [conn for conn in self.conns if not keys.isdisjoint(_revocable(conn))]
        for conn in doomed:
            self._close(conn, code, reason)
        return len(doomed)

    # ------------------------------------------------------------ liveness and stats

    def heartbeat(self) -> None:
        """One timer for every socket: ping each, close those that missed two pings."""
        for conn in list(self.conns):
            if conn.missed_heartbeats >= MISSED_HEARTBEATS:
                self._close(conn, CLOSE_NO_HEARTBEAT, b"no answer to heartbeat")
                continue
            conn.missed_heartbeats += 1
            if not conn.transport.is_closing():
                conn.transport.write(PING_FRAME)

    async def close_all(self, code: int = CLOSE_GOING_AWAY, reason: bytes = b"") -> None:
        conns = list(self.conns)
        for conn in conns:
            self.detach(conn)
        await asyncio.gather(
            *(close_socket(c.ws, code, reason) for c in conns), return_exceptions=True
        )

    def stats(self) -> dict[str, Any]:
        return {
            **self.registry.counts(),
            "messages_sent": self.outboxes.sent,
            "messages_dropped": self.outboxes.dropped,
            "renders": sum(self.rounds.renders.values()),
            "read_failures": self.rounds.read_failures,
            "last_seq": self.last_seq,
        }


def _revocable(conn: Conn) -> set[tuple[str, int]]:
    """What a revocation may name to reach this socket: its token, its staff member."""
    principal = conn.principal
    keys = set()
    if principal.token_id is not None:
        keys.add(("token", principal.token_id))
    if principal.staff_id is not None:
        keys.add(("staff", principal.staff_id))
    return keys
