"""What every dialect shares: the socket session and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from kiosk.domain.redaction import FULL, render, render_relayed, shown_to
from kiosk.domain.topics import topic_refusal
from kiosk.realtime.conn import Conn, Group
from kiosk.realtime.frames import Message
from kiosk.realtime.hub import Hub
from kiosk.realtime.rounds import Reader
from kiosk.security.principal import at_least
from kiosk.services import settings

MAX_ROOMS = 50

# Domain events become queue/appointment views; everything else in the log was
# relayed by POST /api/v1/events and goes out as it came in.
JOIN_EVENTS = frozenset({"queue_joined", "appointment_checked_in"})
# "Call again" (SPEC §9) changes no state: it is news for the displays, carried by the
# shop queue dialects as `announced` on their queue_update and by the event dialects
# as a `queue_announced` message of its own.
ANNOUNCED = "queue_announced"


def announced_entries(events: list, group, reads: dict) -> list[dict[str, Any]]:
    """The tickets called again in these events, as the group may see them."""
    return [visible(e.data["entries"][0], group, reads) for e in events if e.type == ANNOUNCED]


def changes_no_view(event) -> bool:
    """An event after which every view reads as before: nothing to re-render."""
    return relayed(event) or event.type == ANNOUNCED


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


# The owner's settings as committed, read in a round whose display-level views carry
# names but no queue snapshot (which has the settings as `display`).
SETTINGS_READ = (settings.load,)


def names_reads(group: Group) -> list[tuple]:
    """The read a group's rendering needs to know the owner's `display_names`."""
    return [] if group.audience == FULL else [SETTINGS_READ]


def display_names(reads: dict[tuple, Any]) -> str | None:
    """`display_names` as of this round's reads: the display settings a queue snapshot
    carries (so its body and its names agree), else the settings read; None when
    neither was read. A round's reads all concern one topic, so one shop at most."""
    for result in reads.values():
        if isinstance(result, dict) and isinstance(result.get("display"), dict):
            return result["display"].get("display_names")
    found = reads.get(SETTINGS_READ)
    return found.display_names if isinstance(found, settings.Settings) else None


def visible(value: Any, group: Group, reads: dict[tuple, Any]) -> Any:
    """Queue and appointment data as the group may see it. For display-level groups
    the owner's `display_names` comes from the round's own reads, so a change of the
    setting shows in the next rendering, and nothing known shows no names."""
    return render(value, shown_to(group.audience, display_names(reads)))


def visible_relayed(value: Any, group: Group, reads: dict[tuple, Any]) -> Any:
    """An integrator's event data as the group may see it (contact keys at any depth)."""
    return render_relayed(value, shown_to(group.audience, display_names(reads)))


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
