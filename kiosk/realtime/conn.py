"""One socket as the hub sees it, and the groups it listens in."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kiosk.domain.redaction import Audience
from kiosk.realtime.frames import Message
from kiosk.security.principal import Principal

# How a socket that falls behind catches up: snapshot dialects skip to the newest
# view; event dialects cannot skip, so they are closed (1013) and resume with `since`.
SNAPSHOT = "snapshot"
EVENTS = "events"
BROADCAST = "*"  # the topic of an event posted with neither room nor user


@dataclass(frozen=True)
class Group:
    """Sockets that receive the same bytes: one rendering per group and change."""

    dialect: str
    topic: str
    audience: Audience
    variant: Any = None  # a dialect's own parameter: a date, a provider, a shop filter

    @property
    def keys(self) -> tuple[str, ...]:
        """The message keys the dialects use for this group (`Message.key`): its topic,
        or topic and variant when one topic is shown several ways (dates, filters)."""
        if self.variant is None:
            return (self.topic,)
        return (self.topic, f"{self.topic}:{self.variant}")


@dataclass(eq=False)
class Conn:
    ws: web.WebSocketResponse
    transport: asyncio.Transport
    dialect: str
    principal: Principal
    address: str | None
    overflow: str  # SNAPSHOT or EVENTS
    id: int = 0  # given by the registry when the socket is attached
    groups: set[Group] = field(default_factory=set)
    outbox: deque[Message] = field(default_factory=deque)
    writer: asyncio.Task | None = None
    # While a resume replays the log, live messages wait here (then deduplicated).
    holding: list[Message] | None = None
    newest: dict[str, int] = field(default_factory=dict)  # snapshot key -> seq sent
    # Event messages of one key go out in seq order, so one at or below the last sent
    # is a duplicate: e.g. a live round that read its events before this socket
    # subscribed, delivering after the socket's replay already sent them.
    newest_event: dict[str, int] = field(default_factory=dict)
    closed: bool = False
    sent: int = 0
    dropped: int = 0
    missed_heartbeats: int = 0

    @property
    def audience(self) -> Audience:
        return self.principal.audience

    def forget_sent(self, left: Group) -> None:
        """Drop what was last sent under the keys of a group just left, unless a group
        the socket still holds uses the same key."""
        kept = {key for group in self.groups for key in group.keys}
        for key in left.keys:
            if key not in kept:
                self.newest.pop(key, None)
                self.newest_event.pop(key, None)

    @property
    def user_id(self) -> int | None:
        return self.principal.token_id
