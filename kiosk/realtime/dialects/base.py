"""What every dialect shares: the socket session and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from kiosk.domain.redaction import render as redact_for
from kiosk.domain.topics import topic_refusal
from kiosk.realtime.conn import Conn, Group
from kiosk.realtime.frames import Message
from kiosk.realtime.hub import Hub
from kiosk.realtime.rounds import Reader
from kiosk.security.principal import at_least

MAX_ROOMS = 50

# Domain events become queue/appointment views; everything else in the log was
# relayed by POST /api/v1/events and goes out as it came in.
JOIN_EVENTS = frozenset({"queue_joined", "appointment_checked_in"})


class SocketDialect:
    """What every dialect shares: its name, how it catches up, and how it says "no"."""

    name: str
    overflow: str  # SNAPSHOT (skip to the newest view) or EVENTS (close and resume)
    requires_token = False

    async def open(self, session: Session) -> None:
        """Subscribe the new socket and send its first view, if the dialect has one."""

    def error(self, code: str, message: str) -> dict[str, Any]:
        return {"type": "error", "code": code, "message": message}


@dataclass
class Session:
    """One socket's view of the world, handed to its dialect."""

    hub: Hub
    conn: Conn
    request: web.Request
    read: Reader
    since: int | None = None
    params: dict[str, Any] = field(default_factory=dict)  # from the socket's path

    def send(self, body: dict[str, Any], seq: int | None = None) -> None:
        self.hub.send(self.conn, body, seq)

    def send_messages(self, messages: list[Message]) -> None:
        for message in messages:
            self.hub.deliver(self.conn, message)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_object(text: str) -> dict[str, Any] | None:
    """The client's message as a JSON object, or None when it is not one."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def answer_ping(session: Session, text: str, what: str) -> None:
    """The one thing a send-only socket takes is a ping; anything else is explained."""
    message = parse_object(text)
    if message is not None and "ping" in (message.get("type"), message.get("action")):
        session.send({"type": "pong", "timestamp": now_iso()})
        return
    session.send(
        {
            "type": "error",
            "message": f"this socket only sends {what}; the one message it takes is "
            '{"type": "ping"}',
        }
    )


def refusal(conn: Conn, topic: str) -> str | None:
    """Why this socket may not join or replay `topic` (None: it may)."""
    return topic_refusal(topic, conn.user_id, at_least(conn.principal.role, "staff"))


def visible(value: Any, group: Group) -> Any:
    return redact_for(value, group.audience)


def failed(read_result: Any) -> bool:
    return read_result is None or isinstance(read_result, Exception)


def relayed(event) -> bool:
    return bool(event.data.get("relayed"))


def queue_topic_shop(topic: str) -> int | None:
    prefix, _, rest = topic.partition(":")
    if prefix == "queue" and rest.isdigit():
        return int(rest)
    return None


def appointments_topic_shop(topic: str) -> int | None:
    prefix, _, rest = topic.partition(":")
    if prefix == "appointments" and rest.isdigit():
        return int(rest)
    return None
