"""Shop appointments socket (seed 001): `/ws/appointments/{shop_id}/`.

`{"type": "appointment_update", "appointments": [...]}` for today (or `?date=`), on
connect and on every change to the shop's appointments. "Today" is the shop's, read at
each rendering, so a socket without `?date` moves to the next day at local midnight
(the day chore, realtime/days.py, refreshes the topic then).
"""

from __future__ import annotations

from typing import Any

from kiosk.domain import clock
from kiosk.realtime.conn import SNAPSHOT, Group
from kiosk.realtime.dialects.base import (
    Session,
    SocketDialect,
    answer_ping,
    failed,
    names_reads,
    visible,
)
from kiosk.realtime.frames import Message
from kiosk.realtime.rounds import INITIAL, LIVE, PERIODIC
from kiosk.services import views
from kiosk.store.eventlog import Event


class Appointments(SocketDialect):
    name = "appointments_001"
    overflow = SNAPSHOT

    async def open(self, session: Session) -> None:
        shop_id, day = session.params["shop_id"], session.params.get("day")
        # No date: the group follows the shop's day (variant None) rather than keeping
        # the date of the moment it connected.
        if day is not None and not clock.is_date(day):
            # Said once; the socket stays open (it still answers ping) so the client
            # can see the message and reconnect with a good date.
            session.send(
                {
                    "type": "error",
                    "message": "date must be a calendar date in the format YYYY-MM-DD",
                }
            )
            return
        group = Group(self.name, f"appointments:{shop_id}", session.conn.audience, day)
        session.hub.subscribe(session.conn, group)
        session.send_messages(await session.hub.render_now(group, [], INITIAL))

    async def receive(self, session: Session, text: str) -> None:
        answer_ping(session, text, "appointment updates")

    @staticmethod
    def _concerns(event: Event, group: Group) -> bool:
        appointments = event.data.get("appointments")
        if not appointments:
            return event.type.startswith(("provider_", "shop_"))  # names shown beside them
        if group.variant is None:
            # The writer routed it to the queue topic iff the appointment was for the
            # shop's today when it committed (domain/topics.py).
            return f"queue:{group.topic.split(':')[1]}" in event.topics
        # A move (appointment_moved) also leaves the date it was on.
        moved_from = (event.data.get("previous") or {}).get("date")
        return moved_from == group.variant or any(
            a.get("date") == group.variant for a in appointments
        )

    @staticmethod
    def _read(group: Group) -> tuple:
        shop_id = int(group.topic.split(":")[1])
        if group.variant is None:
            return (views.appointments_today, shop_id)
        return (views.appointments_snapshot, group.variant, shop_id)

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]:
        if mode == LIVE and not any(self._concerns(e, group) for e in events):
            return []
        # A refresh without events is the shop's day turning: only "today" moved.
        if mode not in (LIVE, INITIAL) and not (mode == PERIODIC and group.variant is None):
            return []
        return [self._read(group), *names_reads(group)]

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        snapshot = reads.get(self._read(group))
        if failed(snapshot):
            return []
        body = {
            "type": "appointment_update",
            "shop_id": snapshot["shop_id"],
            "date": snapshot["date"],
            "seq": snapshot["seq"],
            "appointments": visible(snapshot["appointments"], group, reads),
        }
        return [Message.of(body, snapshot["seq"], f"{group.topic}:{group.variant}", snapshot=True)]
