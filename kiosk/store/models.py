"""The tables. peewee models bound to one deferred database (initialised in store/schema.py)."""

from __future__ import annotations

import orjson
from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CompositeKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

# Deferred: schema.open_database calls `database.init(path, pragmas=...)` at start, so importing
# the models never touches a file.
database = SqliteDatabase(None)


class JSONField(TextField):
    """JSON stored as text; orjson because events are encoded on every write."""

    def db_value(self, value):
        return None if value is None else orjson.dumps(value).decode()

    def python_value(self, value):
        return None if value is None else orjson.loads(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Setting(BaseModel):
    """Appliance-wide key/value settings (install id, self check-in switch, ...)."""

    key = TextField(primary_key=True)
    value = JSONField()


class Shop(BaseModel):
    id = AutoField()
    name = TextField()
    timezone = TextField()
    # Moves on every change to this shop's queue; a reorder carries the version it
    # was based on, so a stale drag-and-drop is refused instead of overwriting.
    queue_version = IntegerField(default=0)
    default_service_minutes = IntegerField(default=15)
    created_at = TextField()
    # Every screen's language (SPEC §14); SQL-side default so upgraded files match.
    language = TextField(default="en", constraints=[SQL("DEFAULT 'en'")])
    # Which words the screens use (SPEC §9): barber, clinic, counter or other.
    kind = TextField(default="other", constraints=[SQL("DEFAULT 'other'")])
    # SPEC §11: null hours mean "always open" (release 1's behaviour); closures are
    # [{date, reason}]; self-service joins stop this many minutes before a closing.
    opening_hours = JSONField(null=True)
    closures = JSONField(default=list, constraints=[SQL("DEFAULT '[]'")])
    last_join_minutes = IntegerField(default=15, constraints=[SQL("DEFAULT 15")])


class Provider(BaseModel):
    id = AutoField()
    shop = ForeignKeyField(Shop, backref="providers", on_delete="CASCADE")
    name = TextField()
    code = TextField(default="")
    specialty = TextField(default="")
    active = BooleanField(default=True)


class Service(BaseModel):
    """What a customer comes for (SPEC §10): the owner's first guess of its length and
    who offers it (an empty list: every provider)."""

    id = AutoField()
    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    name = TextField()
    minutes = IntegerField()
    provider_ids = JSONField()
    active = BooleanField(default=True)
    position = IntegerField(default=0)


class Customer(BaseModel):
    id = AutoField()
    name = TextField()
    phone = TextField(null=True)
    age = IntegerField(null=True)
    gender = TextField(null=True)


class Appointment(BaseModel):
    id = AutoField()
    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    provider = ForeignKeyField(Provider)
    customer = ForeignKeyField(Customer)
    date = TextField()  # YYYY-MM-DD, the shop's local date
    slot = IntegerField()
    starts_at = TextField(null=True)
    status = TextField(default="scheduled")

    class Meta:
        indexes = ((("shop", "date"), False), (("provider", "date"), False))


class QueueEntry(BaseModel):
    id = AutoField()
    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    provider = ForeignKeyField(Provider, null=True)
    customer = ForeignKeyField(Customer)
    full_name = TextField()
    ticket = TextField()
    ticket_day = TextField()  # local day the code was issued; codes are unique per day
    position_in_queue = IntegerField(null=True)
    status = TextField()
    source = TextField()
    appointment = ForeignKeyField(Appointment, null=True)
    claim_hash = TextField(unique=True)
    checked_in_at = TextField()
    called_at = TextField(null=True)
    started_at = TextField(null=True)
    completed_at = TextField(null=True)
    # SPEC §10, added by ALTER TABLE (so last, with SQL-side defaults): what the
    # customer came for, whether staff gave them priority, and the wait they were told.
    service = ForeignKeyField(Service, null=True, index=False)
    priority = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])
    estimated_wait_at_join = IntegerField(null=True)
    # "day_closed" when the next day's opening closed it (SPEC §11); null otherwise.
    close_reason = TextField(null=True)
    # When staff last pressed "Call again" (SPEC §9): in every queue body, so a TV that
    # was offline or polling at that moment still repeats the call when it catches up.
    announced_at = TextField(null=True)

    class Meta:
        indexes = (
            (("shop", "ticket_day", "ticket"), True),
            # A service's latest lengths, for its typical minutes (services/waits.py).
            (("service", "completed_at"), False),
            # Covering: "who is ahead of me, for which provider" reads only the index.
            (("shop", "status", "position_in_queue", "provider"), False),
            (("provider", "completed_at"), False),
            (("shop", "completed_at"), False),
        )


# Reports (SPEC §13) read a range of days from this index alone: every column they use
# is in it, so a 90-day report never visits the table's rows.
QueueEntry.add_index(
    QueueEntry.index(
        QueueEntry.shop,
        QueueEntry.ticket_day,
        QueueEntry.status,
        QueueEntry.provider,
        QueueEntry.service,
        QueueEntry.checked_in_at,
        QueueEntry.called_at,
        QueueEntry.started_at,
        QueueEntry.completed_at,
        QueueEntry.estimated_wait_at_join,
        QueueEntry.close_reason,
        name="queue_entry_report",
    )
)


class TicketCounter(BaseModel):
    shop = ForeignKeyField(Shop, on_delete="CASCADE")
    day = TextField()
    prefix = TextField()
    last = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("shop", "day", "prefix")


class CallTally(BaseModel):
    """Normal tickets called since the last priority one, per shop, for its local day:
    the c of SPEC §10's "ratio:N" rule. Kept as a count because calls within one second
    cannot be ordered by their stamps."""

    shop = ForeignKeyField(Shop, primary_key=True, on_delete="CASCADE")
    day = TextField()
    normal_calls = IntegerField()


class Schedule(BaseModel):
    """A provider's shift or break on a local date, in local HH:MM (SPEC §11)."""

    id = AutoField()
    # Indexed with the date below, which serves lookups by shop or provider alone too.
    shop = ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    provider = ForeignKeyField(Provider, on_delete="CASCADE", index=False)
    date = TextField()
    start = TextField()
    end = TextField()
    kind = TextField()  # shift | break

    class Meta:
        indexes = ((("shop", "date"), False), (("provider", "date"), False))


class TimeOff(BaseModel):
    """A provider's days away: requested by staff, approved or rejected by the owner."""

    id = AutoField()
    shop = ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    provider = ForeignKeyField(Provider, on_delete="CASCADE")
    start_date = TextField()
    end_date = TextField()
    reason = TextField(default="")
    status = TextField()  # requested | approved | rejected | cancelled

    class Meta:
        indexes = ((("shop", "start_date"), False),)


class Event(BaseModel):
    """One row per use case, written in the same transaction as its changes.

    The spine of the system: broadcasts, resume after reconnect and the audit trail
    all read it. `data` holds every changed resource in full (unredacted) plus the
    shop's queue `version`; redaction happens when a dialect renders it.
    """

    # INTEGER PRIMARY KEY takes MAX + 1, and pruning always keeps the newest event
    # (eventlog.prune), so a seq is never handed out twice.
    seq = AutoField()
    at = TextField()
    shop_id = IntegerField(null=True)
    type = TextField()
    actor = JSONField()  # {role, token_id, name, address}
    topics = JSONField()  # ["queue:1", "date:2026-11-22", ...]
    data = JSONField()


class EventTopic(BaseModel):
    """Routing index of the log: which events touched a topic, for resume by topic."""

    topic = TextField()
    seq = ForeignKeyField(Event, column_name="seq", on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("topic", "seq")
        without_rowid = True


class Staff(BaseModel):
    """A person with a PIN: the owner (admin) and the staff who run the queue."""

    id = AutoField()
    name = TextField()
    role = TextField()  # staff | admin
    pin_hash = TextField()  # scrypt, salted (security/pins.py)
    created_at = TextField()
    disabled_at = TextField(null=True)
    # Set when an admin signs in with a PIN shorter than a new admin's may be.
    must_change_pin = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])


class Token(BaseModel):
    """Anything that authenticates: a script's API token, a paired tablet or TV, or a
    staff member's PIN-login session (the cookie)."""

    id = AutoField()
    name = TextField()
    role = TextField()
    token_hash = TextField(unique=True)  # sha256 of the secret; the secret is shown once
    created_at = TextField()
    last_seen_at = TextField(null=True)
    revoked_at = TextField(null=True)
    # SQL-side default so files upgraded by ALTER TABLE match fresh ones exactly.
    kind = TextField(default="api", constraints=[SQL("DEFAULT 'api'")])  # api|device|session
    expires_at = TextField(null=True)
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")


class Pairing(BaseModel):
    """A one-time link, and its 6-digit code, that turn a tablet or TV into a paired
    device (10 minutes; either one uses up both)."""

    code_hash = TextField(primary_key=True)
    role = TextField()
    name = TextField()
    expires_at = TextField()
    used_at = TextField(null=True)
    short_hash = TextField(null=True, index=True)


class IdempotencyKey(BaseModel):
    scope = TextField()  # token id, or the caller's address when anonymous
    key = TextField()
    fingerprint = TextField()  # method + path + body hash: "the same request"
    status = IntegerField()
    body = TextField()
    created_at = IntegerField()  # unix seconds, for the 24 h expiry

    class Meta:
        primary_key = CompositeKey("scope", "key")
        indexes = ((("created_at",), False),)


class Webhook(BaseModel):
    """An integrator's URL that gets the shop's events POSTed to it (SPEC §15)."""

    id = AutoField()
    url = TextField()
    events = JSONField()  # event types, or ["*"]
    secret = TextField()  # signs every delivery; shown to the owner once
    active = BooleanField(default=True)
    include_contact = BooleanField(default=False)
    created_at = TextField()
    # The newest outcome, for /admin: when, the receiver's HTTP status, or what failed.
    last_attempt_at = TextField(null=True)
    last_status = IntegerField(null=True)
    last_error = TextField(null=True)
    last_success_at = TextField(null=True)


class WebhookDelivery(BaseModel):
    """The outbox: one row per (event, webhook), written in the event's transaction, so
    a delivery owed survives a crash or restart. Its id is the delivery id every retry
    repeats."""

    id = TextField(primary_key=True)
    webhook = ForeignKeyField(Webhook, on_delete="CASCADE")
    seq = IntegerField()
    type = TextField()
    created_at = FloatField()  # unix seconds: retries stop 24 h after this
    next_at = FloatField()  # unix seconds of the next attempt
    attempts = IntegerField(default=0)
    state = TextField(default="pending")  # pending, delivered or failed
    last_status = IntegerField(null=True)
    last_error = TextField(null=True)

    class Meta:
        indexes = ((("state", "next_at"), False),)


MODELS: list[type[BaseModel]] = [
    Setting,
    Shop,
    Provider,
    Service,
    Customer,
    Appointment,
    QueueEntry,
    TicketCounter,
    CallTally,
    Schedule,
    TimeOff,
    Event,
    EventTopic,
    Staff,
    Token,
    Pairing,
    IdempotencyKey,
    Webhook,
    WebhookDelivery,
]

__all__ = ["MODELS", "database", "JSONField"] + [m.__name__ for m in MODELS]
