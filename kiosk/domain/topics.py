"""Which topics an event about a shop's queue, appointments or settings touches."""

from __future__ import annotations

import re

from kiosk.domain.clock import Located, shop_today


def topics_for_queue(shop: Located) -> list[str]:
    # The central monitor (date topic) lists today's walk-ins, so queue changes touch it.
    return [f"queue:{shop.id}", f"date:{shop_today(shop)}"]


def topics_for_appointment(shop: Located, day: str) -> list[str]:
    topics = [f"appointments:{shop.id}", f"date:{day}"]
    if day == shop_today(shop):  # today's appointments are part of the queue display
        topics.append(f"queue:{shop.id}")
    return topics


def topics_for_shop(shop: Located) -> list[str]:
    return [*topics_for_queue(shop), f"appointments:{shop.id}"]


# A room or channel a client may name: relays and the rooms/channels sockets share it.
ROOM_NAME = re.compile(r"^[a-z0-9:_-]{1,64}$")

# Rooms/channels whose events speak of staff rotas, absences and the ticket printer.
STAFF_TOPICS = frozenset({"schedules", "timeoff", "printer"})
USER_TOPIC_PREFIX = "user:"


def topic_refusal(topic: str, user_id: int | None, staff: bool) -> str | None:
    """Why a socket may not join (or replay) a room or channel, or None when it may
    (SPEC §15). `user_id` is the socket's own user (its token), `staff` whether its
    principal is staff or admin. Both event dialects ask here, so they cannot differ."""
    if topic.startswith(USER_TOPIC_PREFIX):
        if user_id is None or topic != f"{USER_TOPIC_PREFIX}{user_id}":
            return f"{topic} is another user's private room; a socket may join only its own"
        return None
    if topic in STAFF_TOPICS and not staff:
        return f"{topic} is for staff; connect with a staff or admin token"
    return None
