"""Central monitor sockets (seed 002): `/api/v1/ws/queue` and `/api/v1/ws/queue/{provider_id}`.

Client actions: subscribe to a date (optionally one shop), unsubscribe, ping. The
server answers a subscribe with a `snapshot` at once, then sends an `update` on every
change for that date. `data` is seed 002's shape key for key, plus `walk_ins` per
doctor and `unassigned` at the top for tickets without an appointment.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kiosk.domain import clock
from kiosk.realtime.conn import SNAPSHOT, Group
from kiosk.realtime.dialects.base import (
    ANNOUNCED,
    Session,
    SocketDialect,
    failed,
    names_reads,
    parse_object,
    visible,
)
from kiosk.realtime.frames import Message
from kiosk.realtime.rounds import INITIAL, LIVE, PERIODIC
from kiosk.services import views
from kiosk.store.eventlog import Event

CHECKED_IN_OR_LATER = ("checked_in", "in_progress", "completed")


def _queue_view(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "position": entry["position_in_queue"],
        "checked_in_at": entry["checked_in_at"],
        "called_at": entry["called_at"],
        "completed_at": entry["completed_at"],
        "status": entry["status"].lower(),
        "ticket": entry["ticket"],
        "entry_id": entry["id"],
        "service_id": entry["service_id"],
        "priority": entry["priority"],
    }


def _walk_in(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "entry_id": entry["id"],
        "ticket": entry["ticket"],
        "full_name": entry["full_name"],
        "status": entry["status"].lower(),
        "position": entry["position_in_queue"],
        "checked_in_at": entry["checked_in_at"],
        "called_at": entry["called_at"],
        "completed_at": entry["completed_at"],
        "service_id": entry["service_id"],
        "priority": entry["priority"],
    }


def _doctor_block(provider, appointments, walk_ins) -> dict[str, Any]:
    # A cancelled appointment is neither counted nor listed, so a client that prints the
    # count and then the list agrees with itself (seed 002, issue 18). A ticket it had
    # stays in sight among the walk-ins.
    listed = [a for a in appointments if a["status"] != "cancelled"]
    kept = [a["entry"] for a in appointments if a["status"] == "cancelled" and a["entry"]]
    walk_ins = sorted([*walk_ins, *kept], key=lambda e: e["id"])
    return {
        "doctor": {
            "id": provider["id"],
            "name": provider["name"],
            "code": provider["code"],
            "specialty": provider["specialty"],
        },
        # Beside seed 002's doctor (kept exactly its shape): false for a deactivated
        # provider still named by this date's appointments or tickets.
        "active": provider["active"],
        "total_appointments": len(listed),
        "checked_in_count": sum(1 for a in listed if a["status"] in CHECKED_IN_OR_LATER),
        "appointments": [
            {
                "appointment_id": a["id"],
                "slot": a["slot"],
                "status": a["status"],
                "starts_at": a["starts_at"],
                "patient": a["customer"],
                "queue": _queue_view(a["entry"]),
            }
            for a in listed
        ],
        "walk_ins": [_walk_in(e) for e in walk_ins],
    }


def seed002_data(snapshot: dict[str, Any]) -> dict[str, Any]:
    appointments = defaultdict(list)
    for a in snapshot["appointments"]:
        appointments[a["provider_id"]].append(a)
    walk_ins = defaultdict(list)
    for e in snapshot["walk_ins"]:
        walk_ins[e["provider_id"]].append(e)
    doctors = [
        _doctor_block(p, appointments[p["id"]], walk_ins[p["id"]]) for p in snapshot["providers"]
    ]
    return {
        "date": snapshot["date"],
        "total_appointments": sum(d["total_appointments"] for d in doctors),
        "total_doctors": sum(1 for p in snapshot["providers"] if p["active"]),
        "unassigned": [_walk_in(e) for e in walk_ins[None]],
        "doctors": doctors,
        "timestamp": snapshot["timestamp"],
    }


class Central(SocketDialect):
    NAME = "central_002"
    NAME_PER_DOCTOR = "central_002_doctor"
    overflow = SNAPSHOT

    def __init__(self, *, per_doctor: bool):
        self.per_doctor = per_doctor
        self.name = self.NAME_PER_DOCTOR if per_doctor else self.NAME

    async def open(self, session: Session) -> None:
        """Nothing until the client subscribes to a date."""

    async def receive(self, session: Session, text: str) -> None:
        message = parse_object(text)
        if message is None:
            session.send({"type": "error", "message": "send a JSON object with an action"})
            return
        action = message.get("action")
        if action == "ping":
            session.send({"type": "pong", "timestamp": clock.iso_utc(clock.utcnow())})
        elif action == "subscribe":
            await self._subscribe(session, message)
        elif action == "unsubscribe":
            for group in [g for g in session.conn.groups if g.dialect == self.name]:
                session.hub.unsubscribe(session.conn, group)
            session.send({"type": "unsubscribed"})
        else:
            session.send(
                {
                    "type": "error",
                    "message": f"unknown action {action!r}; use subscribe, unsubscribe or ping",
                }
            )

    async def _subscribe(self, session: Session, message: dict[str, Any]) -> None:
        day = message.get("date")
        if not isinstance(day, str) or not clock.is_date(day):
            session.send(
                {
                    "type": "error",
                    "message": "date must be a calendar date in the format YYYY-MM-DD",
                }
            )
            return
        shop_id = message.get("shop_id")
        if shop_id is not None and (isinstance(shop_id, bool) or not isinstance(shop_id, int)):
            session.send({"type": "error", "message": "shop_id must be an integer"})
            return
        for group in [g for g in session.conn.groups if g.dialect == self.name]:
            session.hub.unsubscribe(session.conn, group)  # one date per socket, as seed 002
        provider_id = session.params.get("provider_id")
        group = Group(self.name, f"date:{day}", session.conn.audience, (shop_id, provider_id))
        hub, conn = session.hub, session.conn
        # Listening before the read: a change committed while it runs then comes as an
        # update (read before, it reached nobody). Held so the snapshot still goes first.
        hub.subscribe(conn, group)
        hub.hold(conn)
        try:
            messages = await hub.render_now(group, [], INITIAL)
            if not messages:
                hub.unsubscribe(conn, group)
                conn.holding = None  # nothing of a shop that does not exist
                session.send({"type": "error", "message": f"no shop {shop_id}"})
                return
            held, conn.holding = conn.holding, None  # the snapshot goes ahead of them
            session.send_messages(messages)
            conn.holding = held
        finally:
            hub.release(conn)

    def snapshot_reads(self, group: Group, events: list[Event], mode: str) -> list[tuple]:
        # PERIODIC comes only from a shop's day turning (realtime/days.py): today's view
        # gains the tickets carried over, yesterday's loses them, and `today` moves.
        if mode not in (LIVE, INITIAL, PERIODIC):
            return []
        if mode == LIVE and all(e.type == ANNOUNCED for e in events):
            return []  # a call again: the monitor's view reads as before
        day = group.topic.split(":", 1)[1]
        return [(views.central_snapshot, day, group.variant[0]), *names_reads(group)]

    def render(
        self, group: Group, events: list[Event], reads: dict[tuple, Any], mode: str
    ) -> list[Message]:
        key = (views.central_snapshot, group.topic.split(":", 1)[1], group.variant[0])
        snapshot = reads.get(key)
        if failed(snapshot):
            return []
        data = seed002_data(snapshot)
        provider_id = group.variant[1]
        if provider_id is not None:
            block = next((d for d in data["doctors"] if d["doctor"]["id"] == provider_id), None)
            if block is None:
                return []
            data = {**block, "date": data["date"], "timestamp": data["timestamp"]}
        body = {
            "type": "snapshot" if mode == INITIAL else "update",
            "seq": snapshot["seq"],
            "data": visible(data, group, reads),
            # Beside seed 002's `data`, which stays exactly its shape: the shops' own date
            # now, so a screen showing "today" follows it past midnight.
            "today": snapshot["today"],
        }
        return [Message.of(body, snapshot["seq"], f"{group.topic}:{group.variant}", snapshot=True)]
