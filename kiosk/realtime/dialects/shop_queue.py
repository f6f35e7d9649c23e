"""Shop queue sockets (seeds 000 and 001): every message is the whole queue display.

`/ws/queue/{shop_id}` (seed 000) sends only `queue_update`: its client treats every
message as queue data. `/ws/queue/{shop_id}/` (seed 001, trailing slash) also sends
`new_entry` just before the `queue_update` of a join.
"""

from __future__ import annotations

from typing import Any

from kiosk.realtime.conn import SNAPSHOT, Group
from kiosk.realtime.dialects.base import (
    JOIN_EVENTS,
    Session,
    SocketDialect,
    announced_entries,
    answer_ping,
    failed,
    relayed,
    visible,
)
from kiosk.realtime.frames import Message
from kiosk.realtime.rounds import INITIAL, LIVE, PERIODIC
from kiosk.services import views
from kiosk.store.eventlog import Event


class ShopQueue(SocketDialect):
    NAME = "shop_queue_000"
    NAME_WITH_NEW_ENTRY = "shop_queue_001"
    overflow = SNAPSHOT

    def __init__(self, *, with_new_entry: bool):
        self.with_new_entry = with_new_entry
        self.name = self.NAME_WITH_NEW_ENTRY if with_new_entry else self.NAME

    async def open(self, session: Session) -> None:
        group = Group(self.name, f"queue:{session.params['shop_id']}", session.conn.audience)
        session.hub.subscribe(session.conn, group)
        session.send_messages(await session.hub.render_now(group, [], INITIAL))

    async def receive(self, session: Session, text: str) -> None:
        answer_ping(session, text, "queue updates")

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]:
        if mode == LIVE and all(relayed(e) for e in events):
            return []  # an integrator's event posted into a queue room changes no queue
        return [(views.queue_snapshot, int(group.topic.split(":")[1]))]

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        snapshot = reads.get((views.queue_snapshot, int(group.topic.split(":")[1])))
        if failed(snapshot):
            return []
        messages = []
        if self.with_new_entry and mode == LIVE:
            for event in events:
                if event.type in JOIN_EVENTS:
                    entry = visible(event.data["entries"][0], group, reads)
                    messages.append(
                        Message.of(
                            {
                                "type": "new_entry",
                                "shop_id": event.shop_id,
                                "seq": event.seq,
                                "queue_item": entry,
                            },
                            event.seq,
                            group.topic,
                        )
                    )
        if mode in (LIVE, PERIODIC, INITIAL):
            body = visible(snapshot, group, reads)
            announced = announced_entries(events, group, reads) if mode == LIVE else []
            if announced:  # an extra key: seed 000's client reads every message as the queue
                body = {**body, "announced": announced}
            messages.append(Message.of(body, snapshot["seq"], group.topic, snapshot=True))
        return messages
