"""Channels socket (seed 004): `/ws?token=...`.

Envelope both ways: `{"type", "payload", "timestamp", "id"}`. A token is required;
without a good one the client gets `connection:error` and a close with 1008.
"""

from __future__ import annotations

import uuid
from typing import Any

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
from kiosk.store.eventlog import Event


def envelope(type: str, payload: Any, seq: int | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "type": type,
        "payload": payload,
        "timestamp": now_iso(),
        "id": f"evt-{seq}" if seq is not None else uuid.uuid4().hex,
    }
    if seq is not None:
        body["seq"] = seq
    body.update(extra)
    return body


class Channels(SocketDialect):
    name = "channels_004"
    overflow = EVENTS
    requires_token = True

    def _group(self, conn: Conn, topic: str) -> Group:
        return Group(self.name, topic, conn.audience)

    def _channels_of(self, conn: Conn) -> list[str]:
        hidden = {BROADCAST, f"user:{conn.user_id}"}
        return sorted(
            g.topic for g in conn.groups if g.dialect == self.name and g.topic not in hidden
        )

    async def open(self, session: Session) -> None:
        conn = session.conn
        implicit = [self._group(conn, BROADCAST), self._group(conn, f"user:{conn.user_id}")]
        for group in implicit:
            session.hub.subscribe(conn, group)
        session.send(
            envelope(
                "connection:established", {"connection_id": str(conn.id), "user_id": conn.user_id}
            )
        )
        # Events sent to everyone or to this user are missed like any channel's.
        await event_views.replay(
            session, implicit, lambda code, text: self._error(session, code, text)
        )

    def error(self, code: str, message: str) -> dict[str, Any]:
        return envelope("error", {"code": code, "message": message})

    def _error(self, session: Session, code: str, message: str) -> None:
        session.send(self.error(code, message))

    async def receive(self, session: Session, text: str) -> None:
        message = parse_object(text)
        if message is None:
            self._error(session, "bad_json", "send a JSON object envelope {type, payload}")
            return
        kind = message.get("type")
        payload = message.get("payload") or {}
        if kind == "ping":
            session.send(envelope("pong", {}))
            return
        if kind not in ("subscribe", "unsubscribe"):
            self._error(
                session,
                "unknown_type",
                f"unknown type {kind!r}; use subscribe, unsubscribe or ping",
            )
            return
        channels = payload.get("channels") if isinstance(payload, dict) else None
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) and ROOM_NAME.match(c) for c in channels)
        ):
            self._error(
                session,
                "invalid_channels",
                "payload.channels must be a list of names of 1-64 characters "
                "of a-z, 0-9, ':', '_' or '-'",
            )
            return
        conn = session.conn
        if kind == "unsubscribe":
            for channel in channels:
                session.hub.unsubscribe(conn, self._group(conn, channel))
            session.send(
                envelope(
                    "unsubscribed", {"channels": channels, "total": len(self._channels_of(conn))}
                )
            )
            return
        # All or nothing, like the channel cap: a client never has to work out which
        # of its channels went through.
        refused = [r for r in (refusal(conn, c) for c in dict.fromkeys(channels)) if r]
        if refused:
            self._error(session, "forbidden", "; ".join(refused))
            return
        new = [c for c in dict.fromkeys(channels) if c not in self._channels_of(conn)]
        if len(self._channels_of(conn)) + len(new) > MAX_ROOMS:
            self._error(session, "too_many_channels", f"at most {MAX_ROOMS} channels per socket")
            return
        for channel in new:
            session.hub.subscribe(conn, self._group(conn, channel))
        session.send(
            envelope("subscribed", {"channels": channels, "total": len(self._channels_of(conn))})
        )
        await event_views.replay(
            session,
            [self._group(conn, channel) for channel in new],
            lambda code, text: self._error(session, code, text),
        )

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]:
        return event_views.reads_for(group, events, mode)

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        messages = []
        channel = None if event_views.private_topic(group.topic) else group.topic
        for view in event_views.views(group, events, reads, mode):
            extra = {"channel": view.room or channel}
            if view.severity is not None:
                extra["severity"] = view.severity
            body = envelope(view.type, view.body, view.seq, **extra)
            messages.append(Message.of(body, view.seq, group.topic, view.snapshot))
        return messages
