"""The `kiosk` command: serve flags and environment, token, backup, demo, clean stop."""

from __future__ import annotations

import os
import sqlite3
import subprocess

from tests.kiosk_harness import Server, kiosk_cmd, make_token


def test_token_create_prints_the_token_last_and_it_works_while_serving(tmp_path):
    srv = Server(tmp_path).start()
    try:
        token = make_token(tmp_path, "staff", "Front desk")
        assert token.startswith("qk_") and len(token) > 30
        resp = srv.client().post("/api/v1/shops/1/queue/call-next", token=token)
        assert resp.status == 404 and resp.error_code == "not_found"  # authorized, nobody waits
        stored = (
            sqlite3.connect(tmp_path / "kiosk.sqlite3")
            .execute("SELECT name, role, token_hash FROM token")
            .fetchall()
        )
        assert ("Front desk", "staff") in [(n, r) for n, r, _ in stored]
        assert all(token not in h for _, _, h in stored)  # only a hash is kept
    finally:
        assert srv.stop() == 0


def test_token_create_refuses_unknown_role(tmp_path):
    out = subprocess.run(
        kiosk_cmd("token", "create", "--role", "root", "--data-dir", str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "invalid choice" in out.stderr


def test_backup_is_a_consistent_copy_taken_while_serving(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        staff = srv.client("staff")
        names = [f"Backup Person {i}" for i in range(5)]
        for name in names:
            assert staff.post("/api/v1/shops/1/queue", {"full_name": name}).status == 201
        target = tmp_path / "copy.sqlite3"
        out = subprocess.run(
            kiosk_cmd("backup", str(target), "--data-dir", str(tmp_path / "data")),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        copy = sqlite3.connect(target)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = {r[0] for r in copy.execute("SELECT full_name FROM queue_entry")}
        assert set(names) <= copied
        # Refuses to overwrite an existing file rather than clobber an older backup.
        again = subprocess.run(
            kiosk_cmd("backup", str(target), "--data-dir", str(tmp_path / "data")),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode == 1 and "exists" in again.stderr
    finally:
        assert srv.stop() == 0


def test_backup_without_a_database_says_so(tmp_path):
    out = subprocess.run(
        kiosk_cmd("backup", str(tmp_path / "x.sqlite3"), "--data-dir", str(tmp_path / "none")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "no database" in out.stderr


def test_demo_fills_an_empty_shop_once(tmp_path):
    srv = Server(tmp_path, extra_args=("--demo",)).start()
    try:
        providers = srv.client().get("/api/v1/shops/1/providers").body
        assert len(providers) == 3
        queue = srv.client().get("/api/v1/shops/1/queue").body
        today = queue["appointments_today"]
        assert today["total"] >= 3 and len(today["appointments"]) == today["total"]
        assert len(queue["queue_items"]) >= 1
        seq_before = queue["seq"]
    finally:
        assert srv.stop() == 0
    srv.start()  # a restart with --demo changes nothing
    try:
        assert len(srv.client().get("/api/v1/shops/1/providers").body) == 3
        assert srv.client().get("/api/v1/shops/1/queue").body["seq"] == seq_before
    finally:
        assert srv.stop() == 0


def test_environment_variables_set_port_and_data_dir(tmp_path):
    env = {
        **os.environ,
        "KIOSK_PORT": "0",
        "KIOSK_DATA_DIR": str(tmp_path / "envdata"),
        "KIOSK_HOST": "127.0.0.1",
    }
    proc = subprocess.Popen(
        kiosk_cmd("serve", "--no-mdns", "--no-browser"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("Serving on http://127.0.0.1:"), line
        assert (tmp_path / "envdata" / "kiosk.sqlite3").is_file()
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
