"""Daily copies of the database in the data folder, and putting one back.

The shop PC may sleep, reboot for updates, or lose its disk: a consistent copy a day
(SQLite's online backup API, while the appliance serves) keeps a week of history next
to the database, ready to be copied off the PC. Restoring refuses to run while a
server uses the folder, and keeps a copy of what it replaces.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from kiosk.store import lock
from kiosk.store.schema import SCHEMA_VERSION, backup_file

FOLDER = "backups"
KEEP = 7
PREFIX = "kiosk-"
SUFFIX = ".sqlite3"


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def existing(data_dir: Path) -> list[Path]:
    """Backups, oldest first (their names sort by time)."""
    return sorted(folder(data_dir).glob(f"{PREFIX}*{SUFFIX}"))


def take(db_path: Path, data_dir: Path, now: datetime | None = None) -> Path:
    """One online copy, then only the newest KEEP are kept. Runs off the event loop."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    target = folder(data_dir) / f"{PREFIX}{stamp}{SUFFIX}"
    partial = target.with_suffix(".partial")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        backup_file(source, partial)
    finally:
        source.close()
    partial.replace(target)  # a copy cut short by a power loss never looks complete
    for old in existing(data_dir)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def newest_age_s(data_dir: Path, now: datetime | None = None) -> float | None:
    found = existing(data_dir)
    if not found:
        return None
    taken = datetime.fromtimestamp(found[-1].stat().st_mtime, UTC)
    return ((now or datetime.now(UTC)) - taken).total_seconds()


class NotABackup(ValueError):
    pass


def check(candidate: Path) -> int:
    """The schema version of a file that can be restored, or NotABackup saying why."""
    if not candidate.is_file():
        raise NotABackup(f"{candidate} does not exist")
    try:
        probe = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
        try:
            if probe.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise NotABackup(f"{candidate} is damaged (quick_check failed)")
            tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
            version = probe.execute("PRAGMA user_version").fetchone()[0]
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise NotABackup(f"{candidate} is not a Queue Kiosk database ({exc})") from exc
    if not {"event", "queue_entry", "shop"} <= tables:
        raise NotABackup(f"{candidate} is not a Queue Kiosk database")
    if version > SCHEMA_VERSION:
        raise NotABackup(f"{candidate} was written by a newer Queue Kiosk (schema {version})")
    return version


def restore(candidate: Path, db_path: Path, data_dir: Path) -> Path | None:
    """Put `candidate` in place of the database; returns the copy of what it replaced.
    An older schema is upgraded by the next start, as any old file is."""
    check(candidate)
    with lock.held(data_dir):  # no server may start meanwhile either
        kept = None
        if db_path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}.bak")
            current = sqlite3.connect(str(db_path))
            try:
                backup_file(current, kept)  # includes what the WAL still holds
            finally:
                current.close()
        staged = db_path.with_name(db_path.name + ".restoring")
        source = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
        try:
            backup_file(source, staged)
        finally:
            source.close()
        for leftover in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            leftover.unlink(missing_ok=True)
        staged.replace(db_path)
        return kept
