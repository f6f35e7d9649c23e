"""Schema migrations on real files, through the real server.

A shop upgrading the appliance keeps its old database: the server must upgrade it in
place (copy beside it first), keep every row, back-fill what the new schema derives
from old data, and end with exactly the schema a fresh install gets. A file from a
NEWER program must be refused without being touched.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import orjson

from kiosk.config import DB_FILENAME
from kiosk.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.kiosk_harness import Server, kiosk_cmd, make_token

V1_SQL = Path(__file__).parent / "data" / "schema_v1.sql"
V1_STAFF_TOKEN = "qk_v1-staff-token-for-migration-tests"  # hashed in schema_v1.sql
V1_ADA_CLAIM = "v1-claim-ada-lovelace-0001"  # likewise


def build_v1(data_dir: Path, *, recent_events: bool = True) -> Path:
    """A v1 database as the old appliance left it (WAL, like every kiosk file).

    The fixture's events are dated 2026-01-10; `recent_events` moves them to the last
    hour, or the server's retention pruning (at start) would drop them before we look.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DB_FILENAME
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = wal")
        con.executescript(V1_SQL.read_text())
        if recent_events:
            with con:
                con.execute(
                    "UPDATE event SET at = strftime('%Y-%m-%dT%H:%M:%S.000+00:00', 'now', "
                    "'-' || (60 - seq) || ' minutes')"
                )
    finally:
        con.close()
    return path


def query(path: Path, sql: str, *args: Any) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def tables(path: Path) -> set[str]:
    rows = query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def schema_of(path: Path) -> dict[str, dict[str, Any]]:
    """Tables, columns, indexes and foreign keys, as SQLite itself reports them."""
    con = sqlite3.connect(path)
    try:
        out: dict[str, dict[str, Any]] = {}
        names = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        for name, sql in names:
            columns = [
                (col[1], col[2].upper(), col[3], col[4], col[5])  # name, type, notnull, default, pk
                for col in con.execute(f'PRAGMA table_info("{name}")')
            ]
            indexes = {}
            for _, index, unique, origin, partial in con.execute(f'PRAGMA index_list("{name}")'):
                cols = [c[2] for c in con.execute(f'PRAGMA index_info("{index}")')]
                indexes[index] = (unique, origin, partial, cols)
            foreign_keys = sorted(
                tuple(fk[2:]) for fk in con.execute(f'PRAGMA foreign_key_list("{name}")')
            )
            out[name] = {
                "columns": columns,
                "indexes": indexes,
                "foreign_keys": foreign_keys,
                "without_rowid": "WITHOUT ROWID" in sql.upper(),
            }
        return out
    finally:
        con.close()


def serve_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Start the real server on `data_dir` and let it run to its end (here: a refusal)."""
    return subprocess.run(
        kiosk_cmd(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--no-mdns",
            "--no-browser",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh_database(data_dir: Path) -> Path:
    """A database exactly as a new install creates it (through the real CLI)."""
    make_token(data_dir, "display", "fresh")
    return data_dir / DB_FILENAME


def test_v1_fixture_is_what_v2_migrates_from(tmp_path: Path) -> None:
    """Guards the fixture itself: version 1, no event_topic, the old rows."""
    path = build_v1(tmp_path)
    assert query(path, "PRAGMA user_version") == [(1,)]
    assert "event_topic" not in tables(path)
    assert query(path, "SELECT count(*) FROM event") == [(8,)]
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "PRAGMA foreign_key_check") == []


def test_server_upgrades_a_v1_database_in_place(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = build_v1(data_dir)
    old_events = query(path, "SELECT seq, topics FROM event ORDER BY seq")
    old_entries = query(path, "SELECT * FROM queue_entry ORDER BY id")
    srv = Server(data_dir).start()
    try:
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        assert staff.get("/api/v1/health").status == 200
        queue = staff.get("/api/v1/shops/1/queue")
        assert queue.status == 200, queue.body
        assert queue.body["shop_name"] == "Corner Barber" and queue.body["version"] == 5
        # Release 1 spoke English on every screen, and an upgrade keeps it so (SPEC §14).
        assert queue.body["language"] == "en"
        # ... and its words: kind 'other' says "customer" as release 1 did (SPEC §9).
        assert queue.body["kind"] == "other"
        assert staff.get("/api/v1/shops/1").body["kind"] == "other"
        assert staff.get("/api/v1/auth/me").body["must_change_pin"] is False
        items = {e["id"]: e for e in queue.body["queue_items"]}
        assert set(items) == {1}, "only Ada is still open"
        ada = items[1]
        assert (ada["ticket"], ada["full_name"], ada["status"], ada["position_in_queue"]) == (
            "A001",
            "Ada Lovelace",
            "CHECKED_IN",
            1,
        )
        assert ada["phone"] == "+1 555 0100", "the staff token (a v1 row) sees the phone"
        # Her claim (hashed in v1) still opens her ticket.
        mine = srv.client().get(f"/api/v1/tickets/{V1_ADA_CLAIM}")
        assert mine.status == 200 and mine.body["ticket"] == "A001"
        # The upgraded file takes new work: the seq carries on, and today's first code
        # is A002, because Ada's open ticket from the old day still holds A001 (a code
        # held by an open ticket is never issued again, SPEC §11).
        joined = staff.post("/api/v1/shops/1/queue", {"full_name": "Alan Turing"})
        assert joined.status == 201, joined.body
        assert joined.body["seq"] == 9 and joined.body["position_in_queue"] == 2
        assert joined.body["ticket"] == "A002"
        assert srv.stop() == 0
        # Restarting an upgraded file changes nothing and copies nothing again.
        srv.start(port=0)
        again = staff.__class__(srv.port, V1_STAFF_TOKEN).get("/api/v1/shops/1/queue")
        assert [e["id"] for e in again.body["queue_items"]] == [1, joined.body["id"]]
        assert srv.stop() == 0
    finally:
        srv.kill()

    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]  # every step ran
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "PRAGMA foreign_key_check") == []
    # Old rows are all still there, unchanged; v6 gave each ticket no service, no
    # priority and no estimate told at join (none was kept then); v9 no close reason;
    # v12 never called again.
    upgraded = query(path, "SELECT * FROM queue_entry WHERE id <= 2 ORDER BY id")
    assert [row[: len(old_entries[0])] for row in upgraded] == old_entries
    assert [row[len(old_entries[0]) :] for row in upgraded] == [(None, 0, None, None, None)] * 2
    # event_topic was back-filled from the old events' JSON topics, and new events
    # are indexed as they are written.
    expected = {(topic, seq) for seq, topics in old_events for topic in orjson.loads(topics)}
    assert len(expected) == 18
    indexed = set(query(path, "SELECT topic, seq FROM event_topic WHERE seq <= 8"))
    assert indexed == expected
    everything = {
        (topic, seq)
        for seq, topics in query(path, "SELECT seq, topics FROM event")
        for topic in orjson.loads(topics)
    }
    assert set(query(path, "SELECT topic, seq FROM event_topic")) == everything
    assert ("queue:1", 9) in everything
    # One copy of the v1 file was kept beside it, before anything changed.
    copies = sorted(data_dir.glob(f"{DB_FILENAME}.v1-*.bak"))
    assert len(copies) == 1, copies
    copy = copies[0]
    assert query(copy, "PRAGMA user_version") == [(1,)]
    assert "event_topic" not in tables(copy)
    assert query(copy, "SELECT * FROM queue_entry ORDER BY id") == old_entries
    assert query(copy, "SELECT count(*) FROM event") == [(8,)]
    assert query(copy, "PRAGMA integrity_check") == [("ok",)]


def test_migrated_schema_equals_a_fresh_install(tmp_path: Path) -> None:
    migrated = build_v1(tmp_path / "old")
    srv = Server(tmp_path / "old").start()
    try:
        assert srv.client().get("/api/v1/health").status == 200
        assert srv.stop() == 0
    finally:
        srv.kill()
    fresh = fresh_database(tmp_path / "new")
    assert query(migrated, "PRAGMA user_version") == query(fresh, "PRAGMA user_version")
    old_schema, new_schema = schema_of(migrated), schema_of(fresh)
    assert sorted(old_schema) == sorted(new_schema), "tables differ"
    for table in new_schema:
        for part in ("columns", "foreign_keys", "without_rowid"):
            assert old_schema[table][part] == new_schema[table][part], f"{table} {part}"
        assert old_schema[table]["indexes"] == new_schema[table]["indexes"], (
            f"{table}: indexes of the migrated file differ from a fresh install's"
        )


def test_a_failed_upgrade_leaves_the_old_file_usable(tmp_path: Path) -> None:
    """An event whose topics are not JSON makes the back-fill fail: the server must not
    start half-upgraded, and the file must stay a consistent v1 file."""
    data_dir = tmp_path / "data"
    path = build_v1(data_dir)
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE event SET topics = 'queue:1 (not json)' WHERE seq = 5")
    con.close()
    result = serve_once(data_dir)
    assert result.returncode != 0
    assert "Serving on" not in result.stdout
    assert query(path, "PRAGMA user_version") == [(1,)]
    assert "event_topic" not in tables(path)
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "SELECT count(*) FROM queue_entry") == [(2,)]
    # queue_entry's indexes are exactly v1's (the index changes were rolled back too).
    v1 = schema_of(build_v1(tmp_path / "pristine"))
    assert schema_of(path)["queue_entry"] == v1["queue_entry"]


def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = fresh_database(data_dir)  # WAL, like every file a kiosk (or `kiosk backup`) writes
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = file_digest(path)
    result = serve_once(data_dir)
    assert result.returncode != 0, result.stdout
    assert "Serving on" not in result.stdout
    message = result.stdout + result.stderr
    assert "schema version 99" in message and "newer" in message, message[-2000:]
    assert file_digest(path) == before, "the newer file was modified"
    assert not list(data_dir.glob("*.bak")), "a refused file must not be copied/migrated"
    assert query(path, "PRAGMA user_version") == [(99,)]


def test_a_newer_database_is_refused_in_plain_words(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = fresh_database(data_dir)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    result = serve_once(data_dir)
    assert result.returncode != 0
    assert "newer" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-1500:]


def build_version(data_dir: Path, version: int) -> Path:
    """A file as the release at schema `version` left it: v1 brought up by the frozen
    steps 2 to `version`."""
    path = build_v1(data_dir)
    con = sqlite3.connect(path)
    try:
        for step in range(2, version + 1):
            with con:
                for statement in MIGRATIONS[step]:
                    con.execute(statement)
                con.execute(f"PRAGMA user_version = {step}")
    finally:
        con.close()
    return path


def test_server_upgrades_a_v5_database_to_services_and_priority(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 5)
    assert "service" not in tables(path)
    srv = Server(data_dir).start()
    try:
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        ada = item_of(staff.get("/api/v1/shops/1/queue").body, 1)
        # Tickets from before services: none, no priority, and no estimate kept at join.
        assert (ada["service_id"], ada["priority"], ada["estimated_wait_at_join"]) == (
            None,
            False,
            None,
        )
        assert ada["estimated_wait_minutes"] == 0
        admin = srv.client("admin")
        made = admin.post("/api/v1/shops/1/services", {"name": "Cut", "minutes": 20})
        assert made.status == 201, made.body
        joined = staff.post(
            "/api/v1/shops/1/queue",
            {"full_name": "Alan Turing", "service_id": made.body["id"], "priority": True},
        )
        assert joined.status == 201, joined.body
        assert joined.body["position_in_queue"] == 1 and joined.body["priority"] is True
        assert joined.body["estimated_wait_at_join"] == joined.body["estimated_wait_minutes"]
        assert srv.stop() == 0
    finally:
        srv.kill()
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(path, "PRAGMA foreign_key_check") == []
    assert len(list(data_dir.glob(f"{DB_FILENAME}.v5-*.bak"))) == 1
    fresh = schema_of(fresh_database(tmp_path / "new"))
    assert schema_of(path) == fresh


def item_of(queue: dict[str, Any], entry_id: int) -> dict[str, Any]:
    return next(e for e in queue["queue_items"] if e["id"] == entry_id)


def test_v8_keeps_an_open_pairing_link_and_new_pairings_get_a_typed_code(tmp_path: Path) -> None:
    """Step 8 (the pairing's 6-digit code) on a v7 file: a link the owner made before the
    upgrade still pairs its tablet, and new pairings answer a code that pairs too."""
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 7)
    link = "link-made-before-the-upgrade"
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO pairing (code_hash, role, name, expires_at) VALUES (?, ?, ?, ?)",
            (hashlib.sha256(link.encode()).hexdigest(), "kiosk", "Old link", "2999-01-01T00:00Z"),
        )
    db.close()
    srv = Server(data_dir).start()
    try:
        opened = srv.client().get(f"/pair/{link}")
        assert opened.status == 303 and opened.headers["location"] == "/kiosk"
        started = srv.client("admin").post("/api/v1/pairing", {"role": "kiosk", "name": "New"})
        assert started.status == 201 and len(started.body["short_code"]) == 6
        paired = srv.client().post(
            "/api/v1/pairing/redeem",
            {"code": started.body["short_code"]},
            headers={"Origin": srv.base_url},
        )
        assert paired.status == 200 and paired.body["name"] == "New", paired.body
        assert srv.stop() == 0
    finally:
        srv.kill()
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert schema_of(path) == schema_of(fresh_database(tmp_path / "new"))


def test_server_upgrades_a_v8_database_to_opening_hours_and_schedules(tmp_path: Path) -> None:
    """The step before opening hours (v8 -> v9): shops stay always open with no hours,
    their tickets keep no close reason, an old open ticket is never closed by the next
    day, and schedules and time off can be written at once."""
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 8)
    assert "schedule" not in tables(path) and "time_off" not in tables(path)
    srv = Server(data_dir).start()
    try:
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        shop = staff.get("/api/v1/shops/1").body
        assert (shop["opening_hours"], shop["closures"], shop["last_join_minutes"]) == (
            None,
            [],
            15,
        )
        queue = staff.get("/api/v1/shops/1/queue").body
        assert queue["hours"]["open"] is True and queue["hours"]["hours_set"] is False
        ada = item_of(queue, 1)
        assert (ada["status"], ada["close_reason"]) == ("CHECKED_IN", None)
        assert all(p["on_duty"] for p in queue["providers"])
        provider = queue["providers"][0]["id"]
        made = staff.post(
            "/api/v1/shops/1/schedules",
            {"provider_id": provider, "date": "2026-12-24", "start": "09:00", "end": "13:00"},
        )
        assert made.status == 201, made.body
        asked = staff.post(
            "/api/v1/shops/1/timeoff", {"provider_id": provider, "start_date": "2026-12-27"}
        )
        assert asked.status == 201 and asked.body["status"] == "requested", asked.body
        assert srv.stop() == 0
    finally:
        srv.kill()
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(path, "PRAGMA foreign_key_check") == []
    assert len(list(data_dir.glob(f"{DB_FILENAME}.v8-*.bak"))) == 1
    assert schema_of(path) == schema_of(fresh_database(tmp_path / "new"))


def test_v10_adds_webhooks_to_a_v9_file(tmp_path: Path) -> None:
    """Step 10 (webhooks and their outbox, SPEC §15) on a v9 file: it starts with none,
    the owner can register one, a join owes it a delivery, and the file then has the
    schema a fresh install has."""
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 9)
    assert "webhook" not in tables(path) and "webhook_delivery" not in tables(path)
    srv = Server(data_dir).start()
    try:
        admin = srv.client()
        admin.token = make_token(data_dir, "admin", "upgrade")
        assert admin.get("/api/v1/webhooks").body["webhooks"] == []
        made = admin.post(
            "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["queue_joined"]}
        )
        assert made.status == 201, made.body
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        assert staff.post("/api/v1/shops/1/queue", {"full_name": "New Comer"}).status == 201
        assert srv.stop() == 0
    finally:
        srv.kill()
    owed = query(path, "SELECT type, state FROM webhook_delivery")
    assert owed and owed[0][0] == "queue_joined", owed
    assert schema_of(path) == schema_of(fresh_database(tmp_path / "new"))


def test_v11_reports_old_tickets_through_the_new_index(tmp_path: Path) -> None:
    """Step 11 (the reports' covering index) on a v10 file: the tickets kept from before
    are reported, the report reads them from the index, and the schema is a fresh one's."""
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 10)
    assert "queue_entry_report" not in schema_of(path)["queue_entry"]["indexes"]
    srv = Server(data_dir).start()
    try:
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        got = staff.get("/api/v1/shops/1/reports?from=2026-01-10&to=2026-01-10")
        assert got.status == 200, got.body
        # The v1 fixture's day: Ada still waiting, Grace served.
        totals = got.body["totals"]
        assert (totals["tickets"], totals["served"]) == (2, 1)
        assert srv.stop() == 0
    finally:
        srv.kill()
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    plan = query(
        path,
        "EXPLAIN QUERY PLAN SELECT status, called_at, estimated_wait_at_join FROM queue_entry "
        "WHERE shop_id = 1 AND ticket_day BETWEEN '2026-01-01' AND '2026-03-31'",
    )
    assert "COVERING INDEX queue_entry_report" in plan[0][-1]
    assert schema_of(path) == schema_of(fresh_database(tmp_path / "new"))


def test_v12_keeps_when_a_ticket_was_called_again(tmp_path: Path) -> None:
    """Step 12 (`announced_at`) on a v11 file: tickets from before were never called
    again (null), a call again of one kept from before is stored and shown in the
    queue body, and the schema is a fresh one's."""
    data_dir = tmp_path / "data"
    path = build_version(data_dir, 11)
    assert "announced_at" not in [c[0] for c in schema_of(path)["queue_entry"]["columns"]]
    srv = Server(data_dir).start()
    try:
        staff = srv.client()
        staff.token = V1_STAFF_TOKEN
        queue = staff.get("/api/v1/shops/1/queue").body
        assert [e["announced_at"] for e in queue["queue_items"]] == [None]
        ada = queue["queue_items"][0]["id"]  # the v1 fixture's Ada, still waiting
        assert staff.patch(f"/api/v1/queue/{ada}", {"status": "CALLED"}).status == 200
        again = staff.post(f"/api/v1/queue/{ada}/announce")
        assert again.status == 200 and again.body["announced_at"], again.body
        shown = staff.get("/api/v1/shops/1/queue").body["queue_items"]
        assert [e["announced_at"] for e in shown] == [again.body["announced_at"]]
        assert srv.stop() == 0
    finally:
        srv.kill()
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert schema_of(path) == schema_of(fresh_database(tmp_path / "new"))
