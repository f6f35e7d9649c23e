"""Rooms socket (seed 003): `/ws/connect`.

Client commands `join_room`, `leave_room`, `ping`; server messages
`{"type", "data", "room", "timestamp", "seq"}`. Every rooms socket also hears events
sent to everyone, events for its own user, and `user_connected` /
`user_disconnected` when a token's first socket opens or last one closes.
"""

from __future__ import annotations

from typing import Any

from kiosk.domain.redaction import principal_name
from kiosk.domain.topics import ROOM_NAME
from kiosk.realtime.conn import BROADCAST, EVENTS, Conn, Group
from kiosk.realtime.dialects import event_views
from kiosk.realtime.dialects.base import (
    MAX_ROOMS,
    Session,
    SocketDialect,
    now_iso,
    parse_object,
    refusal,
)
from kiosk.realtime.frames import Message
from kiosk.realtime.hub import Hub
from kiosk.store.eventlog import Event


class Rooms(SocketDialect):
    name = "rooms_003"
    overflow = EVENTS

    def _group(self, conn: Conn, topic: str) -> Group:
        return Group(self.name, topic, conn.audience)

    async def open(self, session: Session) -> None:
        conn = session.conn
        implicit = [self._group(conn, BROADCAST)]
        if conn.user_id is not None:
            implicit.append(self._group(conn, f"user:{conn.user_id}"))
        for group in implicit:
            session.hub.subscribe(conn, group)
        # Events sent to everyone or to this user are missed like any room's.
        await event_views.replay(
            session, implicit, lambda code, text: self._error(session, text, code)
        )

    def _error(self, session: Session, message: str, code: str = "bad_request") -> None:
        session.send({"type": "error", "code": code, "message": message})

    def _rooms_of(self, conn: Conn) -> set[str]:
        return (
            {g.topic for g in conn.groups if g.dialect == self.name}
            - {BROADCAST}
            - {f"user:{conn.user_id}"}
        )

    async def receive(self, session: Session, text: str) -> None:
        message = parse_object(text)
        if message is None:
            self._error(session, "send a JSON object with a command")
            return
        command = message.get("command")
        if command == "ping":
            session.send({"type": "pong", "timestamp": now_iso()})
            return
        if command not in ("join_room", "leave_room"):
            self._error(session, f"unknown command {command!r}; use join_room, leave_room or ping")
            return
        room = message.get("room")
        if not isinstance(room, str) or not ROOM_NAME.match(room):
            self._error(session, "room must be 1-64 characters of a-z, 0-9, ':', '_' or '-'")
            return
        conn = session.conn
        group = self._group(conn, room)
        if command == "leave_room":
            session.hub.unsubscribe(conn, group)
            session.send({"type": "room_left", "room": room, "timestamp": now_iso()})
            return
        refused = refusal(conn, room)
        if refused is not None:
            self._error(session, refused, "forbidden")
            return
        if room not in self._rooms_of(conn) and len(self._rooms_of(conn)) >= MAX_ROOMS:
            self._error(session, f"at most {MAX_ROOMS} rooms per socket", "too_many_rooms")
            return
        session.hub.subscribe(conn, group)
        session.send({"type": "room_joined", "room": room, "timestamp": now_iso()})
        await event_views.replay(
            session, [group], lambda code, text: self._error(session, text, code)
        )

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]:
        return event_views.reads_for(group, events, mode)

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        room = None if event_views.private_topic(group.topic) else group.topic
        messages = []
        for view in event_views.views(group, events, reads, mode):
            body = {
                "type": view.type,
                "data": view.body,
                "room": view.room or room,
                "timestamp": now_iso(),
                "seq": view.seq,
            }
            if view.severity is not None:
                body["severity"] = view.severity
            messages.append(Message.of(body, view.seq, group.topic, view.snapshot))
        return messages

    def presence(self, hub: Hub, conn: Conn, connected: bool) -> None:
        """Tell every rooms socket that a user came or went (not part of the log).

        A token's or staff member's name is for staff screens only: a display-level
        socket hears that someone came or went, not who (SPEC §16)."""
        rendered: dict[str, Message] = {}  # one rendering per audience, as for events
        for group in hub.topic_groups(BROADCAST):
            if group.dialect != self.name:
                continue
            message = rendered.get(group.audience)
            if message is None:
                message = rendered[group.audience] = Message.of(
                    {
                        "type": "user_connected" if connected else "user_disconnected",
                        "data": {
                            "user_id": conn.user_id,
                            "name": principal_name(conn.principal.name, group.audience),
                        },
                        "room": None,
                        "timestamp": now_iso(),
                        # Not an event of the log: the seq up to which every event
                        # has gone out, so a socket resuming from it skips none.
                        "seq": hub.settled_seq,
                    }
                )
            for member in list(hub.members(group)):
                if member is not conn:
                    hub.deliver(member, message)
