"""How a topic's events read to the event dialects (rooms, channels).

Rooms and channels share one namespace (SPEC §8): `queue:{shop}` carries `new_entry`
and `queue_update`, `appointments:{shop}` carries `appointment_update`, and events
relayed by POST /api/v1/events go out under their own type. Both dialects render
the same views, each in its own envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.realtime.conn import BROADCAST, Group
from kiosk.realtime.dialects.base import (
    JOIN_EVENTS,
    Session,
    appointments_topic_shop,
    failed,
    names_reads,
    queue_topic_shop,
    relayed,
    visible,
    visible_relayed,
)
from kiosk.realtime.rounds import LIVE, REPLAY
from kiosk.services.views import appointments_today, queue_snapshot
from kiosk.store import eventlog
from kiosk.store.eventlog import Event


@dataclass(frozen=True)
class View:
    type: str
    body: Any
    seq: int | None
    snapshot: bool = False
    severity: str | None = None
    room: str | None = None  # a relayed event's own room label


def private_topic(topic: str) -> bool:
    """Topics every socket holds implicitly (everyone, its own user): never shown."""
    return topic == BROADCAST or topic.startswith("user:")


def _snapshot_read(group: Group, events: list[Event], mode: str) -> tuple | None:
    """The view a change of the appliance's own data shows on this topic, if any."""
    if mode not in (LIVE, REPLAY) or all(relayed(e) for e in events):
        return None
    shop = queue_topic_shop(group.topic)
    if shop is not None:
        return (queue_snapshot, shop)
    shop = appointments_topic_shop(group.topic)
    if shop is not None:
        return (appointments_today, shop)
    return None


def reads_for(group: Group, events: list[Event], mode: str) -> list[tuple]:
    snapshot = _snapshot_read(group, events, mode)
    if snapshot is not None and snapshot[0] is queue_snapshot:
        return [snapshot]  # it carries the display settings itself
    reads = [] if snapshot is None else [snapshot]
    if snapshot is not None or (mode in (LIVE, REPLAY) and any(relayed(e) for e in events)):
        # Names to show, and nothing in what is rendered says how: ask the settings.
        reads += names_reads(group)
    return reads


def views(group: Group, events: list[Event], reads: dict[tuple, Any], mode: str) -> list[View]:
    out: list[View] = []
    queue_shop = queue_topic_shop(group.topic)
    for event in events:
        if relayed(event):
            out.append(
                View(
                    event.type,
                    visible_relayed(event.data.get("data", {}), group, reads),
                    event.seq,
                    severity=event.data.get("severity"),
                    room=event.data.get("room"),
                )
            )
        elif queue_shop is not None and event.type in JOIN_EVENTS:
            out.append(
                View("new_entry", visible(event.data["entries"][0], group, reads), event.seq)
            )
    read = _snapshot_read(group, events, mode)
    snapshot = None if read is None else reads.get(read)
    if not failed(snapshot):
        if queue_shop is not None:
            out.append(View("queue_update", visible(snapshot, group, reads), snapshot["seq"], True))
        else:
            out.append(
                View("appointment_update", visible(snapshot, group, reads), snapshot["seq"], True)
            )
    return out


async def replay(session: Session, group: Group, send_error) -> None:
    """Bring a resuming socket up to date on one topic: the events it missed since
    `session.since`, once each, in order; live messages wait until it is done."""
    since = session.since
    if since is None:
        return
    hub, conn = session.hub, session.conn
    hub.hold(conn)
    try:
        oldest, newest = await session.read(eventlog.bounds)
        if since > newest or (oldest is not None and since < oldest - 1):
            send_error(
                "resync",
                f"cannot resume from seq {since} (the log holds "
                f"{oldest}..{newest}); fetch the state again",
            )
            return
        events = await session.read(eventlog.since, since, [group.topic])
        missed = await hub.render_now(group, events, REPLAY)
        # The replay goes out now, ahead of what was held meanwhile: through the hold it
        # would be taken for live duplicates of itself and dropped by `release` (issue #3).
        held, conn.holding = conn.holding, None
        session.send_messages(missed)
        conn.holding = held
    finally:
        hub.release(conn)  # what arrived meanwhile; `deliver` drops what the replay sent
