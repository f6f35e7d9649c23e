"""How a topic's events read to the event dialects (rooms, channels).

Rooms and channels share one namespace (SPEC §8): `queue:{shop}` carries `new_entry`
and `queue_update`, `appointments:{shop}` carries `appointment_update`, and events
relayed by POST /api/v1/events go out under their own type. Both dialects render
the same views, each in its own envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.domain.topics import STAFF_TOPICS
from kiosk.realtime.conn import BROADCAST, Group
from kiosk.realtime.dialects.base import (
    ANNOUNCED,
    JOIN_EVENTS,
    Session,
    announced_entries,
    appointments_topic_shop,
    changes_no_view,
    failed,
    names_reads,
    queue_topic_shop,
    relayed,
    visible,
    visible_relayed,
)
from kiosk.realtime.rounds import LIVE, REPLAY, read_all
from kiosk.services.views import appointments_today, queue_snapshot
from kiosk.store import eventlog
from kiosk.store.eventlog import Event

# A replay reads at most this many events; a socket further behind is told to resync
# rather than be left short without knowing it.
REPLAY_LIMIT = 10_000


@dataclass(frozen=True)
class View:
    type: str
    body: Any
    seq: int | None
    snapshot: bool = False
    severity: str | None = None
    room: str | None = None  # a relayed event's own room label


# The appliance's own schedule and time-off events, in seed 004's payload shape:
# event type -> (the resource's key in the event, the payload's id key).
STAFF_EVENT_PAYLOADS = {
    "schedule_created": ("schedule", "scheduleId"),
    "schedule_updated": ("schedule", "scheduleId"),
    "schedule_deleted": ("schedule", "scheduleId"),
    "timeoff_created": ("timeoff", "timeoffId"),
    "timeoff_updated": ("timeoff", "timeoffId"),
}


def staff_payload(event: Event) -> dict[str, Any]:
    """`{"schedule": {...}, "scheduleId": id}`: exactly what seed 004's dashboard reads."""
    key, id_key = STAFF_EVENT_PAYLOADS[event.type]
    resource = event.data[key]
    return {key: resource, id_key: resource["id"]}


def private_topic(topic: str) -> bool:
    """Topics every socket holds implicitly (everyone, its own user): never shown."""
    return topic == BROADCAST or topic.startswith("user:")


def _snapshot_read(group: Group, events: list[Event], mode: str) -> tuple | None:
    """The view a change of the appliance's own data shows on this topic, if any."""
    if mode not in (LIVE, REPLAY) or all(changes_no_view(e) for e in events):
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
    if snapshot is not None or (mode in (LIVE, REPLAY) and any(changes_no_view(e) for e in events)):
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
        elif event.type in STAFF_EVENT_PAYLOADS and group.topic in STAFF_TOPICS:
            out.append(View(event.type, staff_payload(event), event.seq))
        elif queue_shop is not None and event.type in JOIN_EVENTS:
            out.append(
                View("new_entry", visible(event.data["entries"][0], group, reads), event.seq)
            )
        elif queue_shop is not None and event.type == ANNOUNCED:
            entry = announced_entries([event], group, reads)[0]
            out.append(View(ANNOUNCED, {"shop_id": event.shop_id, "queue_item": entry}, event.seq))
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


def _touching(group: Group, events: list[Event]) -> list[Event]:
    return [e for e in events if group.topic in e.topics]


def _replay_reads(since: int, groups: tuple[Group, ...], limit: int) -> tuple:
    """Run on the database thread: what a resume shows, read in one job, so its views
    hold exactly the events read (their seq is the newest committed, as is the log's).
    Returns (oldest, newest, events or None when `since` cannot be served, reads)."""
    oldest, newest = eventlog.bounds()
    if since > newest or (oldest is not None and since < oldest - 1):
        return oldest, newest, None, {}
    events = eventlog.since(since, [g.topic for g in groups], limit + 1)
    if len(events) > limit:
        return oldest, newest, events, {}
    wanted = tuple(
        dict.fromkeys(read for g in groups for read in reads_for(g, _touching(g, events), REPLAY))
    )
    return oldest, newest, events, read_all(wanted)


async def replay(session: Session, groups: list[Group], send_error) -> None:
    """Bring a resuming socket up to date on some topics at once: the events it missed
    since `session.since`, once each, in order; live messages wait until it is done.

    All topics in one go: replayed one after another, a live event on the second that
    arrived during the first's replay went out first and made the second's missed
    events look like duplicates (issue "Correctness at the edges": 20 of 20 lost)."""
    since = session.since
    if since is None or not groups:
        return
    hub, conn = session.hub, session.conn
    hub.hold(conn)
    try:
        oldest, newest, events, reads = await hub.rounds.read(
            _replay_reads, since, tuple(groups), REPLAY_LIMIT
        )
        if events is None:
            send_error(
                "resync",
                f"cannot resume from seq {since} (the log holds "
                f"{oldest}..{newest}); fetch the state again",
            )
            return
        if len(events) > REPLAY_LIMIT:
            # Cut short, the replay would look complete while missing the rest.
            send_error(
                "resync",
                f"more than {REPLAY_LIMIT} events were missed since seq {since}; "
                "fetch the state again",
            )
            return
        hub.rounds.note_failures(reads)
        rendered = [
            message
            for group in groups
            for message in hub.rounds.render(group, _touching(group, events), reads, REPLAY)
        ]
        # One order for all topics, as they happened; sorted() keeps each topic's view
        # after that topic's events of the same seq.
        missed = sorted(rendered, key=lambda m: -1 if m.seq is None else m.seq)
        # The replay goes out now, ahead of what was held meanwhile: through the hold it
        # would be taken for live duplicates of itself and dropped by `release` (issue #3).
        held, conn.holding = conn.holding, None
        session.send_messages(missed)
        conn.holding = held
    finally:
        hub.release(conn)  # what arrived meanwhile; `deliver` drops what the replay sent
