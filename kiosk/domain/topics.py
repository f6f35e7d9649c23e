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
