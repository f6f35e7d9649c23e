"""Data safety (issue "Correctness at the edges"): a backup a day in the data folder,
the last 7 kept; `kiosk restore` refuses while the appliance runs and keeps a copy of
what it replaces; one appliance per data folder."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.store import backups
from tests.kiosk_harness import Server, kiosk_cmd, wait_until


def names_in(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {r[0] for r in conn.execute("SELECT full_name FROM queue_entry")}


def join(server: Server, name: str) -> None:
    r = server.client("staff").post("/api/v1/shops/1/queue", {"full_name": name})
    assert r.status == 201, r.body


def test_a_backup_is_taken_at_start_and_only_the_newest_seven_are_kept(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        taken = wait_until(lambda: backups.existing(data), timeout=15, message="first backup")
        assert len(taken) == 1 and backups.check(taken[0]) >= 1
        join(server, "Ada Backup")
        base = datetime(2026, 1, 1, tzinfo=UTC)
        for day in range(9):  # older copies of past days, taken while serving
            backups.take(data / "kiosk.sqlite3", data, now=base + timedelta(days=day))
        kept = backups.existing(data)
        assert len(kept) == backups.KEEP
        assert kept[-1] == taken[0]  # today's stays; the oldest days went
        assert kept[0].name == "kiosk-20260104-000000.sqlite3"
        assert "Ada Backup" in names_in(kept[-2])  # a copy taken while serving is whole
    finally:
        server.stop()


def test_restore_refuses_while_running_and_keeps_what_it_replaces(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        join(server, "Before Backup")
        backup = tmp_path / "before.sqlite3"
        out = subprocess.run(
            kiosk_cmd("backup", str(backup), "--data-dir", str(data)),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        join(server, "After Backup")
        refused = subprocess.run(
            kiosk_cmd("restore", str(backup), "--data-dir", str(data)),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1 and "stop it first" in refused.stderr
    finally:
        assert server.stop() == 0
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"hello")
    wrong = subprocess.run(
        kiosk_cmd("restore", str(bad), "--data-dir", str(data)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 1 and "Cannot restore" in wrong.stderr
    done = subprocess.run(
        kiosk_cmd("restore", str(backup), "--data-dir", str(data)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    kept = next(data.glob("kiosk.sqlite3.before-restore-*.bak"))
    assert {"Before Backup", "After Backup"} <= names_in(kept)
    again = Server(data).start()
    try:
        names = {
            e["full_name"]
            for e in again.client("staff").get("/api/v1/shops/1/queue").body["queue_items"]
        }
        assert "Before Backup" in names and "After Backup" not in names
    finally:
        again.stop()


def test_a_second_appliance_on_the_same_data_folder_is_refused_in_plain_words(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    try:
        second = subprocess.run(
            kiosk_cmd(
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                str(data),
                "--no-mdns",
                "--no-browser",
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "another Queue Kiosk is running" in second.stderr
        assert "Traceback" not in second.stderr
        assert server.client().get("/api/v1/health").status == 200
    finally:
        server.stop()
