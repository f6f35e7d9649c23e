"""Events relayed from integrators (POST /api/v1/events) to rooms, users or everyone."""

from __future__ import annotations

import re
from typing import Any

from kiosk.services.context import Ctx, append_event
from kiosk.store.database import Outcome

# Events relayed by POST /api/v1/events (seed 003's emit_*, seed 004's schedules).
RELAY_TYPE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
SEVERITIES = ("info", "success", "warning", "error")
# Types the appliance sends itself: a relayed event must not impersonate them.
RESERVED_TYPES = frozenset(
    {
        "queue_update",
        "new_entry",
        "appointment_update",
        "user_connected",
        "user_disconnected",
        "snapshot",
        "update",
        "pong",
        "error",
        "room_joined",
        "room_left",
        "subscribed",
        "unsubscribed",
        "connection:established",
        "connection:error",
    }
)


def relay(
    ctx: Ctx,
    type: str,
    room: str | None,
    user_id: int | None,
    severity: str | None,
    data: dict[str, Any],
) -> Outcome:
    """Log an integrator's event so it reaches a room, one user, or everyone, and can
    be replayed to a socket that resumes."""
    # A user named means that user only (the room, if any, is its label): otherwise a
    # member of the room who is also that user would get it twice.
    if user_id is not None:
        topics = [f"user:{user_id}"]
    elif room is not None:
        topics = [room]
    else:
        topics = ["*"]
    body = {"relayed": True, "room": room, "user_id": user_id, "severity": severity, "data": data}
    event = append_event(ctx, None, type, topics, **body)
    del body["relayed"]
    return Outcome({"type": type, **body}, (event,))
