"""The file: pragmas, the schema version and its frozen migration steps, and backups.

Steps are frozen SQL, never the current models, so an old shop's file upgrades the
same way however the models evolve. Every upgrade keeps a copy of the old file.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from kiosk.store.models import MODELS, database

log = logging.getLogger(__name__)

PRAGMAS = {
    "journal_mode": "wal",
    # FULL: a commit is on disk (WAL fsynced) before we answer; a 201 survives power loss.
    "synchronous": 2,
    "foreign_keys": 1,
    # `kiosk token create` may write from another process while the server runs.
    "busy_timeout": 5000,
    "cache_size": -16000,
}

SCHEMA_VERSION = 12

# Each step upgrades from version N-1 to N. Steps are frozen SQL, never the current
# models, so an old shop's file upgrades the same way however the models evolve.
MIGRATIONS: dict[int, list[str]] = {
    # v2: the event log gains a topic index, so resume can ask "what did topic T miss
    # since seq S" without scanning every event's JSON; wait estimates read a shop's
    # latest services through an index instead of sorting its whole history.
    2: [
        'CREATE INDEX IF NOT EXISTS "queue_entry_shop_id_completed_at" '
        'ON "queue_entry" ("shop_id", "completed_at")',
        'DROP INDEX IF EXISTS "queue_entry_shop_id_status_position_in_queue"',
        'CREATE INDEX IF NOT EXISTS "queue_entry_shop_id_status_position_in_queue_provider_id" '
        'ON "queue_entry" ("shop_id", "status", "position_in_queue", "provider_id")',
        'CREATE TABLE IF NOT EXISTS "event_topic" ("topic" TEXT NOT NULL, '
        '"seq" INTEGER NOT NULL, PRIMARY KEY ("topic", "seq"), '
        'FOREIGN KEY ("seq") REFERENCES "event" ("seq") ON DELETE CASCADE) WITHOUT ROWID',
        'INSERT OR IGNORE INTO "event_topic" ("topic", "seq") '
        'SELECT j.value, e.seq FROM "event" AS e, json_each(e.topics) AS j',
    ],
    # v3: people and devices. Staff members log in with a named PIN; a token may be a
    # script's API token, a paired tablet/TV, or a PIN login's session; pairing links.
    3: [
        'CREATE TABLE IF NOT EXISTS "staff" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"name" TEXT NOT NULL, "role" TEXT NOT NULL, "pin_hash" TEXT NOT NULL, '
        '"created_at" TEXT NOT NULL, "disabled_at" TEXT)',
        """ALTER TABLE "token" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'api'""",
        'ALTER TABLE "token" ADD COLUMN "expires_at" TEXT',
        'ALTER TABLE "token" ADD COLUMN "staff_id" INTEGER '
        'REFERENCES "staff" ("id") ON DELETE CASCADE',
        'CREATE INDEX IF NOT EXISTS "token_staff_id" ON "token" ("staff_id")',
        # Missing from v2 upgrades: without it every pruned event scans event_topic.
        'CREATE INDEX IF NOT EXISTS "event_topic_seq" ON "event_topic" ("seq")',
        'CREATE TABLE IF NOT EXISTS "pairing" ("code_hash" TEXT NOT NULL PRIMARY KEY, '
        '"role" TEXT NOT NULL, "name" TEXT NOT NULL, "expires_at" TEXT NOT NULL, '
        '"used_at" TEXT)',
    ],
    # v4: an admin PIN set under release 1 may be 4 digits; the first sign-in with one
    # marks it, and until it is changed that session may do nothing else.
    4: [
        'ALTER TABLE "staff" ADD COLUMN "must_change_pin" INTEGER NOT NULL DEFAULT 0',
    ],
    # v5: the shop's language for every screen (SPEC §14); release-1 shops keep English.
    5: [
        """ALTER TABLE "shop" ADD COLUMN "language" TEXT NOT NULL DEFAULT 'en'""",
    ],
    # v6: services, priority and honest waits (SPEC §10). Every existing ticket has no
    # service, is not priority, and was told no estimate we kept (null, not a guess).
    6: [
        'CREATE TABLE IF NOT EXISTS "service" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"shop_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "minutes" INTEGER NOT NULL, '
        '"provider_ids" TEXT NOT NULL, "active" INTEGER NOT NULL, "position" INTEGER NOT NULL, '
        'FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE)',
        'CREATE INDEX IF NOT EXISTS "service_shop_id" ON "service" ("shop_id")',
        'ALTER TABLE "queue_entry" ADD COLUMN "service_id" INTEGER REFERENCES "service" ("id")',
        'ALTER TABLE "queue_entry" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "queue_entry" ADD COLUMN "estimated_wait_at_join" INTEGER',
        'CREATE INDEX IF NOT EXISTS "queue_entry_service_id_completed_at" '
        'ON "queue_entry" ("service_id", "completed_at")',
        'CREATE TABLE IF NOT EXISTS "call_tally" ("shop_id" INTEGER NOT NULL PRIMARY KEY, '
        '"day" TEXT NOT NULL, "normal_calls" INTEGER NOT NULL, '
        'FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE)',
    ],
    # v7: the shop's kind picks the words on its screens (SPEC §9): customer or patient,
    # chair, room or counter. Release-1 shops are 'other', which keeps today's words.
    7: [
        """ALTER TABLE "shop" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'other'""",
    ],
    # v8: a pairing also has a 6-digit code the owner types on the tablet (SPEC §9),
    # kept only as a hash; links made before the upgrade simply have none.
    8: [
        'ALTER TABLE "pairing" ADD COLUMN "short_hash" TEXT',
        'CREATE INDEX IF NOT EXISTS "pairing_short_hash" ON "pairing" ("short_hash")',
    ],
    # v9: opening hours, schedules, breaks and time off (SPEC §11). Existing shops get
    # no hours (always open, as before), so nothing of theirs closes by itself.
    9: [
        'ALTER TABLE "shop" ADD COLUMN "opening_hours" TEXT',
        """ALTER TABLE "shop" ADD COLUMN "closures" TEXT NOT NULL DEFAULT '[]'""",
        'ALTER TABLE "shop" ADD COLUMN "last_join_minutes" INTEGER NOT NULL DEFAULT 15',
        'ALTER TABLE "queue_entry" ADD COLUMN "close_reason" TEXT',
        'CREATE TABLE IF NOT EXISTS "schedule" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"shop_id" INTEGER NOT NULL, "provider_id" INTEGER NOT NULL, "date" TEXT NOT NULL, '
        '"start" TEXT NOT NULL, "end" TEXT NOT NULL, "kind" TEXT NOT NULL, '
        'FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("provider_id") REFERENCES "provider" ("id") ON DELETE CASCADE)',
        'CREATE INDEX IF NOT EXISTS "schedule_shop_id_date" ON "schedule" ("shop_id", "date")',
        'CREATE INDEX IF NOT EXISTS "schedule_provider_id_date" '
        'ON "schedule" ("provider_id", "date")',
        'CREATE TABLE IF NOT EXISTS "time_off" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"shop_id" INTEGER NOT NULL, "provider_id" INTEGER NOT NULL, '
        '"start_date" TEXT NOT NULL, "end_date" TEXT NOT NULL, "reason" TEXT NOT NULL, '
        '"status" TEXT NOT NULL, '
        'FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("provider_id") REFERENCES "provider" ("id") ON DELETE CASCADE)',
        'CREATE INDEX IF NOT EXISTS "time_off_provider_id" ON "time_off" ("provider_id")',
        'CREATE INDEX IF NOT EXISTS "time_off_shop_id_start_date" '
        'ON "time_off" ("shop_id", "start_date")',
    ],
    # v10: webhooks and their outbox (SPEC §15); an upgraded shop starts with none.
    10: [
        'CREATE TABLE IF NOT EXISTS "webhook" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"url" TEXT NOT NULL, "events" TEXT NOT NULL, "secret" TEXT NOT NULL, '
        '"active" INTEGER NOT NULL, "include_contact" INTEGER NOT NULL, '
        '"created_at" TEXT NOT NULL, "last_attempt_at" TEXT, "last_status" INTEGER, '
        '"last_error" TEXT, "last_success_at" TEXT)',
        'CREATE TABLE IF NOT EXISTS "webhook_delivery" ("id" TEXT NOT NULL PRIMARY KEY, '
        '"webhook_id" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "type" TEXT NOT NULL, '
        '"created_at" REAL NOT NULL, "next_at" REAL NOT NULL, "attempts" INTEGER NOT NULL, '
        '"state" TEXT NOT NULL, "last_status" INTEGER, "last_error" TEXT, '
        'FOREIGN KEY ("webhook_id") REFERENCES "webhook" ("id") ON DELETE CASCADE)',
        'CREATE INDEX IF NOT EXISTS "webhook_delivery_webhook_id" '
        'ON "webhook_delivery" ("webhook_id")',
        'CREATE INDEX IF NOT EXISTS "webhook_delivery_state_next_at" '
        'ON "webhook_delivery" ("state", "next_at")',
    ],
    # v11: reports (SPEC §13) read a range of a shop's days from one covering index, so a
    # 90-day report reads no table rows.
    11: [
        'CREATE INDEX IF NOT EXISTS "queue_entry_report" ON "queue_entry" ("shop_id", '
        '"ticket_day", "status", "provider_id", "service_id", "checked_in_at", "called_at", '
        '"started_at", "completed_at", "estimated_wait_at_join", "close_reason")',
    ],
    # v12: when a ticket was last called again, carried in every queue body, so a TV
    # that missed the moment (a Wi-Fi drop, polling) repeats the call as it catches up.
    12: [
        'ALTER TABLE "queue_entry" ADD COLUMN "announced_at" TEXT',
    ],
}


class NewerDatabase(RuntimeError):
    """The file was written by a newer Queue Kiosk; we must not touch it."""

    def __init__(self, path: Path, version: int):
        super().__init__(
            f"{path} was written by a newer Queue Kiosk (schema version {version}; this program "
            f"knows up to {SCHEMA_VERSION}). Install the newer version to open it."
        )


def _refuse_newer(path: Path) -> None:
    # Read-only and before any pragma: a refused file keeps every byte (the WAL
    # pragma alone would rewrite its header).
    if not path.is_file():
        return
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version = probe.execute("PRAGMA user_version").fetchone()[0]
    finally:
        probe.close()
    if version > SCHEMA_VERSION:
        raise NewerDatabase(path, version)


def open_database(path: Path) -> None:
    """Bind the models to the file and bring its schema up to date (this thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_newer(path)
    database.init(str(path), pragmas=PRAGMAS)
    database.connect(reuse_if_open=True)
    migrate(path)


def schema_version() -> int:
    return database.execute_sql("PRAGMA user_version").fetchone()[0]


def migrate(path: Path) -> None:
    version = schema_version()
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise NewerDatabase(path, version)
    if version == 0 and not database.get_tables():
        with database.atomic():
            database.create_tables(MODELS)
            database.execute_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    copy = backup_beside(path, version)
    log.info(
        "upgrading %s from schema %d to %d (copy kept at %s)", path, version, SCHEMA_VERSION, copy
    )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        with database.atomic():
            for statement in MIGRATIONS[step]:
                database.execute_sql(statement)
            database.execute_sql(f"PRAGMA user_version = {step}")


def backup_beside(path: Path, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    backup_file(database.connection(), target)
    return target


def backup_file(source: sqlite3.Connection, target: Path) -> None:
    """A consistent copy while the database is in use (SQLite's online backup API)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)
    finally:
        dest.close()
