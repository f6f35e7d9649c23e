"""Property test of the service layer: random sequences of use cases on a real SQLite file.

A hypothesis state machine drives `kiosk.services` directly (no HTTP), each use case
run the way the database thread runs it: inside a transaction, in its own savepoint.
Next to the real database it keeps a small reference model of SPEC §2 (who waits in
which order, every ticket's and appointment's status) and after EVERY step checks:

* the shop's line: CHECKED_IN positions are exactly 1..n, in the model's order; CALLED,
  IN_SERVICE and closed tickets have no position;
* ticket codes never repeat within (shop, day); A for walk-ins, B for check-ins,
  numbered 001, 002, ... per shop per local day (a fake clock lets time pass, so runs
  cross midnights and services take minutes);
* the event log: exactly one new row per successful use case and none for a refused
  one (which also leaves every table byte-for-byte as it was), strictly increasing
  seq, topics indexed in event_topic, `queue:{shop}` on every queue change, the
  shop's queue version moved by exactly one, and every changed ticket/appointment in
  the event's data as committed, with the same estimated waits as the display;
* `queue_snapshot(shop)` agrees with the database.

Invalid moves are tried on purpose and must raise the documented error.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.domain import clock, tickets
from kiosk.domain.errors import (
    Conflict,
    InvalidField,
    InvalidTransition,
    KioskError,
    NotFound,
    StaleVersion,
)
from kiosk.domain.tickets import CALLED, CHECKED_IN, IN_SERVICE, OPEN
from kiosk.services import appointments, context, queue, rows, shops, views
from kiosk.store import eventlog
from kiosk.store.database import Outcome
from kiosk.store.eventlog import Actor
from kiosk.store.models import Appointment, EventTopic, QueueEntry, Shop, database
from kiosk.store.models import Event as EventRow
from kiosk.store.schema import open_database

STAFF = context.Ctx(Actor(role="staff", token_id=7, name="front desk", address="127.0.0.1"))
KIOSK = context.Ctx(Actor(role="kiosk", token_id=8, name="tablet", address="10.0.0.5"))
SYSTEM = context.Ctx(eventlog.SYSTEM)

# Two shops on different local days most of the time (UTC and UTC+14): ticket days
# and "today" are per shop.
REAL_UTCNOW = clock.utcnow

SHOP_ZONES = ("UTC", "Pacific/Kiritimati")
PROVIDERS_PER_SHOP = (2, 1)

EXITS = (tickets.LEFT, tickets.NO_SHOW, tickets.CANCELLED)
PATCHABLE_APPOINTMENT = ("confirmed", "in_progress", "completed", "cancelled", "no_show")

# What each ticket status does to the fields the event must report.
ENTRY_FIELDS = (
    "status",
    "position_in_queue",
    "provider_id",
    "called_at",
    "started_at",
    "completed_at",
)


def _dump() -> dict[str, list[tuple]]:
    """Every row of every table, for "a refused use case changes nothing"."""
    tables = [
        name
        for (name,) in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    return {
        t: sorted(database.execute_sql(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
    }


def _entries_state() -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in QueueEntry.select(
            QueueEntry.id,
            QueueEntry.status,
            QueueEntry.position_in_queue,
            QueueEntry.provider,
            QueueEntry.called_at,
            QueueEntry.started_at,
            QueueEntry.completed_at,
        ).tuples()
    }


def _appointments_state() -> dict[int, str]:
    return dict(Appointment.select(Appointment.id, Appointment.status).tuples())


def _versions() -> dict[int, int]:
    return dict(Shop.select(Shop.id, Shop.queue_version).tuples())


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="kiosk-props-"))
        # One file per run; `database` is the models' single deferred database.
        if not database.deferred:
            database.close()
        open_database(self.tmp / "kiosk.sqlite3")
        # Durability is test_durability's job; here fsyncs would only slow shrinking.
        database.execute_sql("PRAGMA synchronous = OFF")
        # A clock of our own: time passes between steps (service durations, midnight).
        self.now = datetime.now(UTC).replace(microsecond=0)
        clock.utcnow = lambda: self.now
        self.successes = 0  # use cases that committed, each must have written one event
        self.shops: list[int] = []
        self.providers: dict[int, list[int]] = {}
        try:
            self._create_shops()
        except BaseException:
            self.teardown()
            raise
        # The reference model.
        self.line: dict[int, list[int]] = {s: [] for s in self.shops}  # waiting, in order
        self.entries: dict[int, dict[str, Any]] = {}  # id -> shop, provider, status, ...
        self.claims: dict[int, str] = {}
        self.appointments: dict[int, dict[str, Any]] = {}  # id -> shop, date, status, entry

    def _create_shops(self) -> None:
        for zone, count in zip(SHOP_ZONES, PROVIDERS_PER_SHOP, strict=True):
            shop = self._ok(shops.create_shop, SYSTEM, f"Shop {zone}", zone, type="shop_created")
            self.shops.append(shop["id"])
            self.providers[shop["id"]] = [
                self._ok(
                    shops.create_provider,
                    SYSTEM,
                    shop["id"],
                    {"name": f"Chair {i}", "code": f"C{i}"},
                    type="provider_created",
                )["id"]
                for i in range(count)
            ]

    def teardown(self) -> None:
        clock.utcnow = REAL_UTCNOW
        database.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ running use cases

    def _run(
        self,
        fn,
        *args,
        expect: type[KioskError] | tuple | None = None,
        type: str | None = None,
        queue_shop: int | None = None,
        changes_appointments: bool = False,
    ) -> Any:
        """Run one use case as the database thread does and check the event contract.

        `expect`: the error it must raise (then nothing may change). `type`: the
        event type it must write. `queue_shop`: the shop whose queue it changes."""
        before_dump = _dump()
        before_entries = _entries_state()
        before_appointments = _appointments_state()
        before_versions = _versions()
        before_last = eventlog.last_seq()
        before_count = EventRow.select().count()
        error: KioskError | None = None
        outcome = None
        with database.atomic():  # the batch transaction
            try:
                with database.atomic():  # the job's savepoint
                    outcome = fn(*args)
            except KioskError as exc:
                error = exc
        if expect is not None:
            assert error is not None, f"{fn.__name__}{args} should have raised {expect}"
            assert isinstance(error, expect), f"{fn.__name__} raised {error!r}, expected {expect}"
            assert EventRow.select().count() == before_count, "a refused use case wrote an event"
            assert _dump() == before_dump, "a refused use case changed the database"
            return error
        if error is not None:
            raise AssertionError(f"{fn.__name__}{args} unexpectedly raised {error!r}")
        self.successes += 1
        assert isinstance(outcome, Outcome)
        assert len(outcome.events) == 1, f"{fn.__name__} returned {len(outcome.events)} events"
        event = outcome.events[0]
        assert EventRow.select().count() == before_count + 1, "not exactly one event row"
        assert event.seq > before_last, "seq did not increase"
        assert eventlog.last_seq() == event.seq
        row = EventRow.get_by_id(event.seq)
        assert row.type == event.type and tuple(row.topics) == event.topics
        assert row.data == event.data
        indexed = {
            t
            for (t,) in EventTopic.select(EventTopic.topic)
            .where(EventTopic.seq == event.seq)
            .tuples()
        }
        assert indexed == set(event.topics), "event_topic does not match the event's topics"
        if type is not None:
            assert event.type == type, f"event type {event.type}, expected {type}"
        versions = _versions()
        if queue_shop is not None:
            assert f"queue:{queue_shop}" in event.topics, f"{event.type} lacks queue:{queue_shop}"
            assert versions[queue_shop] == before_versions[queue_shop] + 1, "version must move by 1"
            assert event.data.get("version") == versions[queue_shop]
        for shop_id, version in versions.items():
            if shop_id != queue_shop:
                assert version == before_versions.get(shop_id, version), (
                    f"{event.type} moved the version of shop {shop_id}"
                )
        # Every changed ticket is in the event's data, as committed.
        after_entries = _entries_state()
        changed = {i for i, s in after_entries.items() if before_entries.get(i) != s}
        reported = {e["id"]: e for e in event.data.get("entries", [])}
        assert changed <= set(reported), (
            f"{event.type}: changed {changed}, reported {set(reported)}"
        )
        for entry_id, body in reported.items():
            now = dict(zip(ENTRY_FIELDS, after_entries[entry_id], strict=True))
            assert {k: body[k] for k in ENTRY_FIELDS} == now, f"{event.type} data is stale"
        # ... and its estimated waits are the ones the queue display shows.
        shops = {body["shop_id"] for body in reported.values()}
        shown = {
            e["id"]: e["estimated_wait_minutes"]
            for shop_id in shops
            for e in views.queue_snapshot(shop_id)["queue_items"]
        }
        for entry_id, body in reported.items():
            if body["status"] == CHECKED_IN:
                assert body["estimated_wait_minutes"] == shown[entry_id], (
                    f"{event.type} says ticket {entry_id} waits "
                    f"{body['estimated_wait_minutes']} min, the display says {shown[entry_id]}"
                )
        after_appointments = _appointments_state()
        changed_a = {i for i, s in after_appointments.items() if before_appointments.get(i) != s}
        reported_a = {a["id"]: a for a in event.data.get("appointments") or []}
        assert changed_a <= set(reported_a), f"{event.type}: appointments {changed_a} unreported"
        for appointment_id, body in reported_a.items():
            assert body["status"] == after_appointments[appointment_id]
        if changed_a:
            shop_of = {a["shop_id"] for a in reported_a.values()}
            assert all(f"appointments:{s}" in event.topics for s in shop_of)
        assert changes_appointments or not changed_a
        return outcome.value

    def _ok(self, fn, *args, **kw) -> Any:
        return self._run(fn, *args, **kw)

    # ------------------------------------------------------------ model helpers

    def _today(self, shop_id: int) -> str:
        return clock.shop_today(rows.get_shop(shop_id))

    def _ids(self, *statuses: str) -> list[int]:
        return sorted(i for i, e in self.entries.items() if e["status"] in statuses)

    def _move_ticket(self, entry_id: int, target: str) -> None:
        """The model of `_transition`: the line, the status and the appointment."""
        entry = self.entries[entry_id]
        assert tickets.can_move(entry["status"], target)
        line = self.line[entry["shop"]]
        if entry["status"] == CHECKED_IN:
            line.remove(entry_id)
        if target == CHECKED_IN:
            line.insert(0, entry_id)  # recall: back in line, at the front
        entry["status"] = target
        follow = tickets.APPOINTMENT_FOR_TICKET.get(target)
        if entry["appointment"] is not None and follow:
            self.appointments[entry["appointment"]]["status"] = follow

    def _provider_choice(self, shop_id: int, choice: int | None, foreign: bool) -> int | None:
        if foreign:
            other = next(s for s in self.shops if s != shop_id)
            return self.providers[other][0]
        if choice is None:
            return None
        ids = self.providers[shop_id]
        return ids[choice % len(ids)]

    # ------------------------------------------------------------ time

    @rule(minutes=st.integers(1, 12 * 60))
    def time_passes(self, minutes: int) -> None:
        """Services take minutes (wait estimates learn from them); days roll over."""
        self.now += timedelta(minutes=minutes)

    # ------------------------------------------------------------ queue rules

    # Joining is what a queue mostly sees: two rules, so it is drawn twice as often.
    @rule(shop=st.integers(0, 1), ctx=st.sampled_from([STAFF, KIOSK]))
    def join_anyone(self, shop: int, ctx: context.Ctx) -> None:
        self._join(shop, None, False, ctx)

    @rule(
        shop=st.integers(0, 1),
        provider=st.integers(0, 2),
        foreign=st.integers(0, 5).map(lambda n: n == 0),
    )
    def join_for_provider(self, shop: int, provider: int, foreign: bool) -> None:
        self._join(shop, provider, foreign, KIOSK)

    def _join(self, shop: int, provider: int | None, foreign: bool, ctx: context.Ctx) -> None:
        shop_id = self.shops[shop]
        provider_id = self._provider_choice(shop_id, provider, foreign)
        name = f"Guest {len(self.entries) + 1} Walker"
        args = (ctx, shop_id, name, None, provider_id, "kiosk")
        if foreign:
            self._run(queue.join, *args, expect=InvalidField)
            return
        body = self._run(queue.join, *args, type="queue_joined", queue_shop=shop_id)
        assert body["status"] == CHECKED_IN and body["full_name"] == name
        assert body["provider_id"] == provider_id
        assert body["ticket"].startswith(tickets.WALK_IN_PREFIX)
        assert isinstance(body["claim"], str) and len(body["claim"]) >= 16
        self.entries[body["id"]] = {
            "shop": shop_id,
            "provider": provider_id,
            "status": CHECKED_IN,
            "appointment": None,
            "prefix": tickets.WALK_IN_PREFIX,
        }
        self.claims[body["id"]] = body["claim"]
        self.line[shop_id].append(body["id"])
        assert body["position_in_queue"] == len(self.line[shop_id])
        self._check_wait(body)

    @precondition(lambda self: self._ids(CHECKED_IN))
    @rule(pick=st.integers(0, 10**6))
    def call(self, pick: int) -> None:
        """Call any waiting ticket, out of order too."""
        ids = self._ids(CHECKED_IN)
        entry_id = ids[pick % len(ids)]
        shop_id = self.entries[entry_id]["shop"]
        body = self._run(
            queue.update_entry,
            STAFF,
            entry_id,
            CALLED,
            None,
            False,
            type="queue_called",
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["status"] == CALLED and body["position_in_queue"] is None
        assert body["called_at"]
        self._move_ticket(entry_id, CALLED)

    @precondition(lambda self: any(self.line.values()))
    @rule(shop=st.integers(0, 1), provider=st.none() | st.integers(0, 2))
    def call_next(self, shop: int, provider: int | None) -> None:
        shop_id = self.shops[shop]
        provider_id = self._provider_choice(shop_id, provider, False)
        eligible = [
            i
            for i in self.line[shop_id]
            if provider_id is None or self.entries[i]["provider"] in (None, provider_id)
        ]
        args = (STAFF, shop_id, provider_id)
        if not eligible:
            self._run(queue.call_next, *args, expect=NotFound)
            return
        body = self._run(
            queue.call_next,
            *args,
            type="queue_called",
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["id"] == eligible[0], "call-next must take the first eligible waiting ticket"
        assert body["status"] == CALLED
        if provider_id is not None:
            self.entries[body["id"]]["provider"] = provider_id
        assert body["provider_id"] == self.entries[body["id"]]["provider"]
        self._move_ticket(body["id"], CALLED)

    @precondition(lambda self: self._ids(CALLED))
    @rule(pick=st.integers(0, 10**6))
    def recall(self, pick: int) -> None:
        ids = self._ids(CALLED)
        entry_id = ids[pick % len(ids)]
        shop_id = self.entries[entry_id]["shop"]
        body = self._run(
            queue.update_entry,
            STAFF,
            entry_id,
            CHECKED_IN,
            None,
            False,
            type="queue_recalled",
            queue_shop=shop_id,
        )
        assert body["status"] == CHECKED_IN and body["position_in_queue"] == 1
        assert body["called_at"] is None
        self._move_ticket(entry_id, CHECKED_IN)

    @precondition(lambda self: self._ids(CHECKED_IN, CALLED))
    @rule(pick=st.integers(0, 10**6))
    def start(self, pick: int) -> None:
        ids = self._ids(CHECKED_IN, CALLED)
        entry_id = ids[pick % len(ids)]
        shop_id = self.entries[entry_id]["shop"]
        body = self._run(
            queue.update_entry,
            STAFF,
            entry_id,
            IN_SERVICE,
            None,
            False,
            type="queue_started",
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["status"] == IN_SERVICE and body["started_at"]
        self._move_ticket(entry_id, IN_SERVICE)

    @precondition(lambda self: self._ids(IN_SERVICE))
    @rule(pick=st.integers(0, 10**6))
    def complete(self, pick: int) -> None:
        ids = self._ids(IN_SERVICE)
        entry_id = ids[pick % len(ids)]
        shop_id = self.entries[entry_id]["shop"]
        body = self._run(
            queue.update_entry,
            STAFF,
            entry_id,
            tickets.COMPLETED,
            None,
            False,
            type="queue_completed",
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["status"] == tickets.COMPLETED and body["completed_at"]
        self._move_ticket(entry_id, tickets.COMPLETED)

    @precondition(lambda self: self._ids(*OPEN))
    @rule(pick=st.integers(0, 10**6), exit_status=st.sampled_from(EXITS))
    def leave_no_show_or_cancel(self, pick: int, exit_status: str) -> None:
        target = exit_status
        ids = self._ids(*OPEN)
        entry_id = ids[pick % len(ids)]
        shop_id = self.entries[entry_id]["shop"]
        body = self._run(
            queue.update_entry,
            STAFF,
            entry_id,
            target,
            None,
            False,
            type=queue.EVENT_FOR_STATUS[target],
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["status"] == target and body["position_in_queue"] is None
        self._move_ticket(entry_id, target)

    @precondition(lambda self: self.claims)
    @rule(pick=st.integers(0, 10**6))
    def leave_by_claim(self, pick: int) -> None:
        """The customer's own phone leaves; a closed ticket cannot leave again."""
        open_ids = [i for i in sorted(self.claims) if self.entries[i]["status"] in OPEN]
        ids = open_ids if open_ids and pick % 4 else sorted(self.claims)  # mostly open ones
        entry_id = ids[pick % len(ids)]
        entry = self.entries[entry_id]
        if entry["status"] not in OPEN:
            self._run(queue.leave_by_claim, KIOSK, self.claims[entry_id], expect=InvalidTransition)
            return
        self._run(
            queue.leave_by_claim,
            KIOSK,
            self.claims[entry_id],
            type="queue_left",
            queue_shop=entry["shop"],
            changes_appointments=True,
        )
        self._move_ticket(entry_id, tickets.LEFT)

    @precondition(lambda self: self.entries)
    @rule(pick=st.integers(0, 10**6), choice=st.integers(0, 10**6))
    def invalid_transition(self, pick: int, choice: int) -> None:
        """Any move the status machine does not allow is refused and says what is."""
        if choice % 10 == 0:  # now and then, a ticket that does not exist
            self._run(
                queue.update_entry, STAFF, 10_000 + pick, CALLED, None, False, expect=NotFound
            )
            return
        ids = sorted(self.entries)
        entry_id = ids[pick % len(ids)]
        current = self.entries[entry_id]["status"]
        refused = [s for s in tickets.STATUSES if not tickets.can_move(current, s)]
        wanted = refused[choice % len(refused)]
        error = self._run(
            queue.update_entry, STAFF, entry_id, wanted, None, False, expect=InvalidTransition
        )
        assert error.details["from"] == current and error.details["to"] == wanted
        assert error.details["allowed"] == list(tickets.allowed(current))

    @rule(
        shop=st.integers(0, 1),
        rnd=st.randoms(use_true_random=False),
        mode=st.sampled_from(["ok", "ok", "stale", "wrong_set"]),
    )
    def reorder(self, shop: int, rnd: random.Random, mode: str) -> None:
        shop_id = self.shops[shop]
        version = Shop.get_by_id(shop_id).queue_version
        order = list(self.line[shop_id])
        rnd.shuffle(order)
        if mode == "stale":
            old = version - rnd.randint(1, 3) if version > 0 else version + 1
            error = self._run(queue.reorder, STAFF, shop_id, order, old, expect=StaleVersion)
            assert error.details == {"version": version, "entry_ids": self.line[shop_id]}
            return
        if mode == "wrong_set":
            closed = [i for i, e in self.entries.items() if e["status"] not in OPEN]
            if order and rnd.random() < 0.5:
                order = order[1:]  # one missing
            elif order and rnd.random() < 0.5:
                order = order + order[:1]  # one twice
            else:
                order = order + ([rnd.choice(closed)] if closed else [99_999])  # a stranger
            self._run(queue.reorder, STAFF, shop_id, order, version, expect=InvalidField)
            return
        body = self._run(
            queue.reorder,
            STAFF,
            shop_id,
            order,
            version,
            type="queue_reordered",
            queue_shop=shop_id,
        )
        self.line[shop_id] = order
        waiting = [e["id"] for e in body["queue_items"] if e["status"] == CHECKED_IN]
        assert waiting == order
        assert body["version"] == version + 1

    @precondition(lambda self: self.entries)
    @rule(
        pick=st.integers(0, 10**6),
        provider=st.none() | st.integers(0, 2),
        foreign=st.integers(0, 5).map(lambda n: n == 0),
    )
    def move(self, pick: int, provider: int | None, foreign: bool) -> None:
        """Move a ticket to another provider (or to anyone); a closed one cannot move."""
        ids = sorted(self.entries)
        entry_id = ids[pick % len(ids)]
        entry = self.entries[entry_id]
        provider_id = self._provider_choice(entry["shop"], provider, foreign)
        args = (STAFF, entry_id, None, provider_id, True)
        if entry["status"] not in OPEN:
            self._run(queue.update_entry, *args, expect=Conflict)
            return
        if foreign:
            self._run(queue.update_entry, *args, expect=InvalidField)
            return
        body = self._run(queue.update_entry, *args, type="queue_moved", queue_shop=entry["shop"])
        assert body["provider_id"] == provider_id and body["status"] == entry["status"]
        entry["provider"] = provider_id

    # ------------------------------------------------------------ appointments

    @rule(
        shop=st.integers(0, 1),
        provider=st.integers(0, 2),
        when=st.sampled_from(["today", "today", "tomorrow"]),
    )
    def book(self, shop: int, provider: int, when: str) -> None:
        shop_id = self.shops[shop]
        provider_id = self._provider_choice(shop_id, provider, False)
        day = self._today(shop_id)
        if when == "tomorrow":
            day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        patient = {
            "name": f"Patient {len(self.appointments) + 1} Booked",
            "phone": "555",
            "age": 40,
            "gender": None,
        }
        body = self._run(
            appointments.book,
            STAFF,
            provider_id,
            day,
            None,
            None,
            patient,
            None,
            type="appointment_created",
            changes_appointments=True,
        )
        assert body["status"] == "scheduled" and body["date"] == day
        self.appointments[body["id"]] = {
            "shop": shop_id,
            "date": day,
            "status": "scheduled",
            "provider": provider_id,
            "entry": None,
        }

    @precondition(lambda self: self.appointments)
    @rule(pick=st.integers(0, 10**6))
    def check_in(self, pick: int) -> None:
        ids = sorted(self.appointments)
        appointment_id = ids[pick % len(ids)]
        appointment = self.appointments[appointment_id]
        shop_id = appointment["shop"]
        wrong_status = appointment["status"] not in ("scheduled", "confirmed")
        wrong_day = appointment["date"] != self._today(shop_id)
        if wrong_status or wrong_day:
            expect: tuple = ()
            if wrong_status:
                expect += (InvalidTransition,)
            if wrong_day:
                expect += (Conflict,)
            self._run(appointments.check_in, KIOSK, appointment_id, None, expect=expect)
            return
        body = self._run(
            appointments.check_in,
            KIOSK,
            appointment_id,
            None,
            type="appointment_checked_in",
            queue_shop=shop_id,
            changes_appointments=True,
        )
        assert body["ticket"].startswith(tickets.APPOINTMENT_PREFIX)
        assert body["appointment_id"] == appointment_id and body["source"] == "appointment"
        assert body["provider_id"] == appointment["provider"]
        self.entries[body["id"]] = {
            "shop": shop_id,
            "provider": appointment["provider"],
            "status": CHECKED_IN,
            "appointment": appointment_id,
            "prefix": tickets.APPOINTMENT_PREFIX,
        }
        self.claims[body["id"]] = body["claim"]
        self.line[shop_id].append(body["id"])
        appointment["status"] = "checked_in"
        appointment["entry"] = body["id"]
        self._check_wait(body)

    @precondition(lambda self: self.appointments)
    @rule(pick=st.integers(0, 10**6), status=st.sampled_from(PATCHABLE_APPOINTMENT))
    def appointment_patch(self, pick: int, status: str) -> None:
        """PATCH an appointment; its open ticket follows in the same transaction."""
        ids = sorted(self.appointments)
        appointment_id = ids[pick % len(ids)]
        appointment = self.appointments[appointment_id]
        shop_id = appointment["shop"]
        allowed = tickets.APPOINTMENT_TRANSITIONS[appointment["status"]]
        entry_id = appointment["entry"]
        if entry_id is not None and self.entries[entry_id]["status"] not in OPEN:
            entry_id = None
        follow = tickets.TICKET_FOR_APPOINTMENT.get(status)
        ticket_moves = entry_id is not None and follow is not None
        args = (STAFF, appointment_id, status)
        if status not in allowed or (
            ticket_moves and not tickets.can_move(self.entries[entry_id]["status"], follow)
        ):
            self._run(appointments.update_appointment, *args, expect=InvalidTransition)
            return
        body = self._run(
            appointments.update_appointment,
            *args,
            type="appointment_updated",
            queue_shop=shop_id if ticket_moves else None,
            changes_appointments=True,
        )
        assert body["status"] == status
        if ticket_moves:
            self._move_ticket(entry_id, follow)
        appointment["status"] = status

    # ------------------------------------------------------------ invariants

    def _check_wait(self, body: dict[str, Any]) -> None:
        """A ticket's answer shows the same estimated wait as the queue display."""
        snapshot = views.queue_snapshot(body["shop_id"])
        shown = {e["id"]: e["estimated_wait_minutes"] for e in snapshot["queue_items"]}
        assert body["estimated_wait_minutes"] == shown[body["id"]], (
            f"ticket answer says {body['estimated_wait_minutes']} min, "
            f"the display says {shown[body['id']]}"
        )

    @invariant()
    def line_positions_are_1_to_n_in_model_order(self) -> None:
        for shop_id in self.shops:
            rows = list(
                QueueEntry.select(QueueEntry.id, QueueEntry.position_in_queue)
                .where((QueueEntry.shop == shop_id) & (QueueEntry.status == CHECKED_IN))
                .order_by(QueueEntry.position_in_queue)
                .tuples()
            )
            positions = [p for _, p in rows]
            assert positions == list(range(1, len(rows) + 1)), f"shop {shop_id}: {positions}"
            assert [i for i, _ in rows] == self.line[shop_id], (
                f"shop {shop_id} line {[i for i, _ in rows]} != model {self.line[shop_id]}"
            )

    @invariant()
    def statuses_providers_and_null_positions(self) -> None:
        rows = {
            r.id: r
            for r in QueueEntry.select(
                QueueEntry.id,
                QueueEntry.status,
                QueueEntry.position_in_queue,
                QueueEntry.provider,
                QueueEntry.shop,
            )
        }
        assert set(rows) == set(self.entries)
        for entry_id, model in self.entries.items():
            row = rows[entry_id]
            assert row.status == model["status"], f"entry {entry_id}"
            assert row.provider_id == model["provider"], f"entry {entry_id} provider"
            assert row.shop_id == model["shop"]
            if row.status != CHECKED_IN:
                assert row.position_in_queue is None, (
                    f"{row.status} entry {entry_id} has a position"
                )
        for appointment_id, model in self.appointments.items():
            assert Appointment.get_by_id(appointment_id).status == model["status"], (
                f"appointment {appointment_id}"
            )

    @invariant()
    def ticket_codes_never_repeat_within_a_shop_day(self) -> None:
        rows = list(
            QueueEntry.select(
                QueueEntry.id, QueueEntry.shop, QueueEntry.ticket_day, QueueEntry.ticket
            )
            .order_by(QueueEntry.id)
            .tuples()
        )
        keys = [(shop, day, ticket) for _, shop, day, ticket in rows]
        assert len(keys) == len(set(keys)), "a ticket code repeats within a shop's day"
        last: dict[tuple, int] = {}
        issued: dict[tuple, list[str]] = {}  # (shop, ticket) -> the days it was issued
        for _, shop, day, ticket in rows:
            issued.setdefault((shop, ticket), []).append(day)
        for entry_id, shop, day, ticket in rows:
            prefix, number = ticket[0], ticket[1:]
            assert prefix == self.entries[entry_id]["prefix"], f"{ticket} has the wrong prefix"
            assert number.isdigit() and len(number) >= 3, ticket
            # Counted per shop per local day: 001, 002, ... restarting daily, with a gap
            # only where an earlier day's ticket held the code (SPEC §11).
            for skipped in range(last.get((shop, day, prefix), 0) + 1, int(number)):
                code = tickets.ticket_code(prefix, skipped)
                assert any(d < day for d in issued.get((shop, code), ())), (
                    f"{ticket} on {day} skipped {code}, which no earlier day's ticket held"
                )
            assert int(number) > last.get((shop, day, prefix), 0), f"{ticket} on {day} repeats"
            last[(shop, day, prefix)] = int(number)

    @invariant()
    def event_log_one_row_per_use_case(self) -> None:
        seqs = [s for (s,) in EventRow.select(EventRow.seq).order_by(EventRow.seq).tuples()]
        assert len(seqs) == self.successes
        assert all(a < b for a, b in zip(seqs, seqs[1:], strict=False))
        topics = {
            (t, row.seq)
            for row in EventRow.select(EventRow.seq, EventRow.topics)
            for t in row.topics
        }
        indexed = set(EventTopic.select(EventTopic.topic, EventTopic.seq).tuples())
        assert indexed == topics, "event_topic disagrees with the events' topics"
        queue_types = {
            "queue_joined",
            "queue_reordered",
            "appointment_checked_in",
            *queue.EVENT_FOR_STATUS.values(),
            "queue_moved",
        }
        for row in EventRow.select().where(EventRow.type.in_(queue_types)):
            assert f"queue:{row.shop_id}" in row.topics, f"{row.type} lacks queue:{row.shop_id}"

    @invariant()
    def snapshot_agrees_with_database(self) -> None:
        for shop_id in self.shops:
            snap = views.queue_snapshot(shop_id)
            shop = Shop.get_by_id(shop_id)
            assert snap["shop_id"] == shop_id and snap["version"] == shop.queue_version
            assert snap["seq"] == eventlog.last_seq()
            items = snap["queue_items"]
            busy = [e for e in items if e["status"] in (CALLED, IN_SERVICE)]
            waiting = [e for e in items if e["status"] == CHECKED_IN]
            assert items == busy + waiting, "called and in-service come first"
            assert [e["status"] for e in busy] == sorted(
                (e["status"] for e in busy), key=lambda s: s != IN_SERVICE
            ), "in service before called"
            open_ids = {
                i
                for i, e in self.entries.items()
                if e["shop"] == shop_id and e["status"] in (CALLED, IN_SERVICE)
            }
            assert {e["id"] for e in busy} == open_ids
            assert [e["id"] for e in snap["now_serving"]] == [e["id"] for e in busy]
            assert [e["id"] for e in waiting] == self.line[shop_id]
            assert [e["position_in_queue"] for e in waiting] == list(range(1, len(waiting) + 1))
            for e in busy:
                assert e["position_in_queue"] is None and e["estimated_wait_minutes"] is None
            for e in waiting:
                wait = e["estimated_wait_minutes"]
                assert isinstance(wait, int) and wait >= 0
            for e in items:
                model = self.entries[e["id"]]
                assert e["provider_id"] == model["provider"] and e["shop_id"] == shop_id
            today = self._today(shop_id)
            listed = {a["id"]: a for a in snap["appointments_today"]["appointments"]}
            expected = {
                i: a
                for i, a in self.appointments.items()
                if a["shop"] == shop_id and a["date"] == today
            }
            assert set(listed) == set(expected)
            for appointment_id, a in listed.items():
                assert a["status"] == expected[appointment_id]["status"]
                entry_id = expected[appointment_id]["entry"]
                open_entry = (
                    entry_id if entry_id and self.entries[entry_id]["status"] in OPEN else None
                )
                assert a["queue_entry_id"] == open_entry
            statuses = [a["status"] for a in expected.values()]
            assert snap["appointments_today"]["total"] == sum(s != "cancelled" for s in statuses)
            assert snap["appointments_today"]["checked_in"] == sum(
                s in ("checked_in", "in_progress", "completed") for s in statuses
            )
            note(f"shop {shop_id}: line {self.line[shop_id]} busy {sorted(open_ids)}")


QueueMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestQueueStateMachine = QueueMachine.TestCase


# ---------------------------------------------------------------- pinned regressions


@contextlib.contextmanager
def _service_database(tmp_path: Path):
    if not database.deferred:
        database.close()
    open_database(tmp_path / "kiosk.sqlite3")
    try:
        yield
    finally:
        database.close()


def _use(fn, *args):
    with database.atomic():
        return fn(*args)


def test_event_waits_match_the_queue_display(tmp_path: Path) -> None:
    """An event's tickets carry the wait the display shows (those being served count)."""
    with _service_database(tmp_path):
        shop = _use(shops.create_shop, SYSTEM, "Solo", "UTC").value
        _use(shops.create_provider, SYSTEM, shop["id"], {"name": "Chair"})
        first = _use(queue.join, STAFF, shop["id"], "Ann Able", None, None, "kiosk").value
        second = _use(queue.join, STAFF, shop["id"], "Bob Baker", None, None, "kiosk").value
        called = _use(queue.update_entry, STAFF, first["id"], CALLED, None, False)
        in_event = {e["id"]: e for e in called.events[0].data["entries"]}
        shown = {e["id"]: e for e in views.queue_snapshot(shop["id"])["queue_items"]}
        # One chair, one customer called ahead whose 15-minute service has not begun.
        assert shown[second["id"]]["estimated_wait_minutes"] == 15
        assert in_event[second["id"]]["estimated_wait_minutes"] == 15
