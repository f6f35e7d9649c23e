"""One socket's messages in seq order across the topics it listens in.

Each topic has its own render round (rounds.py), and a round may wait on a snapshot
read while another topic's round, with nothing to read, is done at once. A socket in
both topics (a staff screen in its queue's room and the printer's) would then get a
later seq before an earlier one, and a client resumes from the highest seq it saw
(SPEC §8): a drop in between would skip the earlier event for good. So a message for
such a socket waits while another of its topics still has an earlier event to hand
out, and waiting messages leave in seq order.

Only event sockets wait: a snapshot socket's next view holds whatever it missed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from kiosk.realtime.conn import EVENTS, Conn
from kiosk.realtime.frames import Message

# A socket waits only while another round reads, so this many waiting messages means
# something is stuck: it is given up on (1013) and resumes with `since`.
MAX_WAITING = 256


class SeqOrder:
    def __init__(
        self,
        first_unhanded: Callable[[str], int | None],
        deliver: Callable[[Conn, Message], None],
        give_up: Callable[[Conn], None],
    ) -> None:
        self._first_unhanded = first_unhanded  # topic -> its oldest event not yet handed out
        self._deliver = deliver
        self._give_up = give_up
        # Per socket, (seq, arrival, topic, message) kept sorted: arrival keeps equal
        # seqs in the order they came, and messages with no seq after all others.
        self._waiting: dict[Conn, list[tuple[float, int, str, Message]]] = {}
        self._arrivals = 0

    def deliver(self, conn: Conn, message: Message, topic: str) -> None:
        if conn.overflow != EVENTS or (
            conn not in self._waiting and not self._blocked(conn, message, topic)
        ):
            self._deliver(conn, message)
            return
        waiting = self._waiting.setdefault(conn, [])
        self._arrivals += 1
        seq = float("inf") if message.seq is None else message.seq
        bisect.insort(waiting, (seq, self._arrivals, topic, message), key=lambda w: w[:2])
        if len(waiting) > MAX_WAITING:
            del self._waiting[conn]
            self._give_up(conn)
            return
        self._drain(conn, waiting)

    def release(self) -> None:
        """A round has handed out its events: what waited on them may go."""
        for conn, waiting in list(self._waiting.items()):
            self._drain(conn, waiting)

    def forget(self, conn: Conn) -> None:
        self._waiting.pop(conn, None)

    def _drain(self, conn: Conn, waiting: list[tuple[float, int, str, Message]]) -> None:
        while waiting and (conn.closed or not self._blocked(conn, waiting[0][3], waiting[0][2])):
            message = waiting.pop(0)[3]
            if not conn.closed:
                self._deliver(conn, message)
        if not waiting:
            self._waiting.pop(conn, None)

    def _blocked(self, conn: Conn, message: Message, topic: str) -> bool:
        """Does another of the socket's topics still hold an event the message must
        follow? An event follows every lower seq; a view labelled S holds the state up
        to S, so it follows S itself as well (a resume from S would skip it)."""
        seq = message.seq
        if seq is None or len(conn.groups) < 2:
            return False
        for group in conn.groups:
            if group.topic == topic:
                continue  # a topic's own round keeps its own order
            first = self._first_unhanded(group.topic)
            if first is not None and (first < seq or (message.snapshot and first == seq)):
                return True
        return False
