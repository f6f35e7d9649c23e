"""Getting a message to one socket without ever waiting for it.

A socket whose transport keeps up gets the shared bytes written straight away; one
that falls behind gets a bounded outbox and a writer task of its own, so it can never
delay anyone else (PocketBase's broker, DESIGN.md). While a resuming socket replays
the log, live messages are held, then delivered with duplicates dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType

from kiosk.realtime.conn import EVENTS, SNAPSHOT, Conn
from kiosk.realtime.frames import Message

# A socket whose kernel and transport buffers hold more than this is "behind": its
# messages queue in its own outbox instead of being written at once.
BACKLOG_BYTES = 64 * 1024
# Event dialects cannot skip messages, so a socket that falls this far behind is
# given up on (closed with 1013) and resumes with `since` when it reconnects.
MAX_EVENT_BACKLOG = 256


class Outboxes:
    def __init__(self, give_up: Callable[[Conn], None]) -> None:
        self._give_up = give_up
        self.sent = 0
        self.dropped = 0

    def deliver(self, conn: Conn, message: Message) -> None:
        if conn.closed:
            return
        if conn.holding is not None:
            conn.holding.append(message)
            return
        if message.key is not None and message.seq is not None and not self._newer(conn, message):
            return
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
            self.sent += 1
            return
        self._enqueue(conn, message)

    def give_up(self, conn: Conn) -> None:
        """An event socket that cannot be kept in step: closed (1013), it resumes."""
        self._give_up(conn)

    @staticmethod
    def _newer(conn: Conn, message: Message) -> bool:
        """Does the message move its key forward for this socket? Records it if so.

        A view older than what the socket has is stale. On a snapshot socket (seed
        000/001), an event at or below a view it has is already in that view (the live
        join of a queue whose first view, read after that join, was just sent), so it
        would add the entry twice. An event socket (rooms, channels) gets every event
        once whatever views it has seen: its clients resume from the events' seqs
        (SPEC §8), and a dropped event would be a lost one."""
        key, seq = message.key, message.seq
        view = conn.newest.get(key, -1)
        event = conn.newest_event.get(key, -1)
        if message.snapshot:
            if seq < view or seq < event:
                return False
            conn.newest[key] = seq
        else:
            if seq <= event or (seq <= view and conn.overflow == SNAPSHOT):
                return False
            conn.newest_event[key] = seq
        return True

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

    def _enqueue(self, conn: Conn, message: Message) -> None:
        if conn.overflow == SNAPSHOT and message.snapshot and message.key is not None:
            key = message.key
            kept = [m for m in conn.outbox if m.key != key]
            skipped = len(conn.outbox) - len(kept)
            if skipped:
                conn.outbox = deque(kept)
                conn.dropped += skipped
                self.dropped += skipped
        elif conn.overflow == EVENTS and len(conn.outbox) >= MAX_EVENT_BACKLOG:
            self.dropped += len(conn.outbox) + 1
            conn.dropped += len(conn.outbox) + 1
            conn.outbox.clear()
            self._give_up(conn)
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
                self.sent += 1
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            conn.writer = None

    @staticmethod
    def discard(conn: Conn) -> None:
        conn.closed = True
        conn.outbox.clear()
        if conn.writer is not None:
            conn.writer.cancel()

    @staticmethod
    def hold(conn: Conn) -> None:
        if conn.holding is None:
            conn.holding = []

    def release(self, conn: Conn) -> None:
        """Deliver what arrived during a replay; `deliver` drops what it already sent."""
        held, conn.holding = conn.holding or [], None
        for message in held:
            self.deliver(conn, message)
