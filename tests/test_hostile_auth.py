"""Hostile tests of the owner's account (SPEC §16): the first-run claim, PIN guessing
from many addresses, admin PIN length, and `kiosk admin reset`.

Each test reproduces an attack that worked on release 1, against the real server on
127.0.0.1 (other loopback addresses, 127.0.0.N, stand in for other devices).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from kiosk.security.pins import hash_pin
from tests.kiosk_harness import Client, Server, kiosk_cmd

OWNER_PIN = "482915"
OTHER_SITE = "http://127.0.0.1:1"  # a page of another local site (another port)


@pytest.fixture
def srv(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        yield server
    finally:
        server.stop()
        server.kill()


def claimed(server: Server) -> bool:
    return server.client().get("/api/v1/auth/me").body["claimed"]


def setup_link(server: Server) -> str:
    text = (server.data_dir / "setup-link.txt").read_text()
    return re.search(r"/admin\?(?:setup|reset)=([\w-]+)", text).group(1)


# ---------------------------------------------------------------- the first-run claim


def test_a_cross_site_no_cors_post_cannot_claim_the_box(srv):
    """Release 1: `fetch(url, {method: 'POST', mode: 'no-cors', body: '{"pin": ...}'})`
    from another local site set the attacker's PIN. Such a request can only be
    text/plain, and carries the other site's Origin."""
    client = srv.client()
    body = b'{"pin": "666666"}'
    sneaky = client.post(
        "/api/v1/auth/setup",
        body=body,
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": OTHER_SITE},
    )
    assert sneaky.status == 415 and sneaky.error_code == "unsupported_media_type"
    as_json = client.post("/api/v1/auth/setup", body=body, headers={"Origin": OTHER_SITE})
    assert as_json.status == 403
    form = client.post(
        "/api/v1/auth/setup",
        body=b"pin=666666",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status == 415
    assert not claimed(srv)


def test_a_browser_on_the_pc_needs_the_printed_link(srv):
    """Loopback alone is not enough for a browser: any page it shows could be another
    site's. The link printed at start (and kept in setup-link.txt) is."""
    own = {"Origin": srv.base_url}
    refused = srv.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN}, headers=own)
    assert refused.status == 403 and "setup-link.txt" in refused.body["error"]["message"]
    wrong = {"pin": OWNER_PIN, "setup_token": "not-the-link"}
    assert srv.client().post("/api/v1/auth/setup", wrong, headers=own).status == 403
    link_file = srv.data_dir / "setup-link.txt"
    assert link_file.stat().st_mode & 0o777 == 0o600
    token = setup_link(srv)
    ok = srv.client().post(
        "/api/v1/auth/setup", {"pin": OWNER_PIN, "setup_token": token}, headers=own
    )
    assert ok.status == 200, ok.body
    assert claimed(srv) and not link_file.exists()


def test_login_takes_only_json_from_this_site(srv):
    assert srv.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN}).status == 200
    client = srv.client()
    form = client.post(
        "/api/v1/auth/login",
        body=b'{"pin": "482915"}',
        headers={"Content-Type": "text/plain", "Origin": OTHER_SITE},
    )
    assert form.status == 415
    foreign = client.post("/api/v1/auth/login", {"pin": OWNER_PIN}, headers={"Origin": OTHER_SITE})
    assert foreign.status == 403
    charset = client.post(
        "/api/v1/auth/login",
        body=b'{"pin": "482915"}',
        headers={"Content-Type": "application/json; charset=utf-8", "Origin": srv.base_url},
    )
    assert charset.status == 200, charset.body


# ---------------------------------------------------------------- PIN length


def test_a_new_admin_pin_has_at_least_six_digits(srv):
    short = srv.client().post("/api/v1/auth/setup", {"pin": "4829"})
    assert short.status == 422 and short.body["error"]["details"]["field"] == "pin"
    assert srv.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN}).status == 200
    admin = srv.client("admin")
    five = admin.post("/api/v1/staff", {"name": "Ada", "pin": "13579", "role": "admin"})
    assert five.status == 422
    staff = admin.post("/api/v1/staff", {"name": "Sam", "pin": "2468", "role": "staff"})
    assert staff.status == 201, staff.body


def test_an_upgraded_four_digit_admin_pin_must_be_changed_first(tmp_path):
    """A release-1 owner kept a 4-digit PIN: it still signs in, but that session may
    only change it; the new PIN then works and the old one does not."""
    data = tmp_path / "data"
    first = Server(data).start()
    first.stop()
    pin_hash = hash_pin("4829")
    with sqlite3.connect(data / "kiosk.sqlite3") as db:  # as release 1 left it
        db.execute(
            "INSERT INTO staff (name, role, pin_hash, created_at) VALUES (?, 'admin', ?, ?)",
            ("Olga", pin_hash, "2026-01-01T00:00:00Z"),
        )
    srv = Server(data).start()
    try:
        client = srv.client()
        login = client.post("/api/v1/auth/login", {"pin": "4829"})
        assert login.status == 200 and login.body["staff"]["must_change_pin"] is True
        cookie = {"Cookie": login.headers["set-cookie"].split(";")[0], "Origin": srv.base_url}
        me = client.get("/api/v1/auth/me", headers=cookie).body
        assert me["must_change_pin"] is True
        blocked = client.get("/api/v1/tokens", headers=cookie)
        assert blocked.status == 403 and blocked.error_code == "pin_change_required"
        four = client.post("/api/v1/auth/pin", {"pin": "4829", "new_pin": "1357"}, headers=cookie)
        assert four.status == 422
        wrong = client.post(
            "/api/v1/auth/pin", {"pin": "0000", "new_pin": OWNER_PIN}, headers=cookie
        )
        assert wrong.status == 401
        done = client.post(
            "/api/v1/auth/pin", {"pin": "4829", "new_pin": OWNER_PIN}, headers=cookie
        )
        assert done.status == 200 and done.body["must_change_pin"] is False
        assert client.get("/api/v1/tokens", headers=cookie).status == 200
        assert client.post("/api/v1/auth/login", {"pin": "4829"}).status == 401
        assert client.post("/api/v1/auth/login", {"pin": OWNER_PIN}).status == 200
    finally:
        srv.stop()
        srv.kill()


# ---------------------------------------------------------------- guessing from many devices


def test_rotating_addresses_does_not_multiply_guesses(srv):
    """Release 1 locked out per address only: 5 guesses each from 28 addresses found a
    4-digit PIN in 24 s. Now failures anywhere slow every login, up to a minute."""
    assert srv.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN}).status == 200
    answers = []
    for n in range(2, 30):  # 28 "devices", 2 guesses each: bounded, and far below a lockout
        device = Client(srv.port, source=f"127.0.0.{n}")
        for guess in ("0000", "1111"):
            answers.append(device.post("/api/v1/auth/login", {"pin": guess}))
    wrong = [a for a in answers if a.status == 401]
    slowed = [a for a in answers if a.status == 429]
    # 10 free, then one each time the doubling wait has passed (a slow machine may
    # squeeze in one or two more while it runs the loop).
    assert len(wrong) <= 14, f"{len(wrong)} guesses were checked"
    assert len(wrong) + len(slowed) == len(answers)
    waits = [int(a.headers["retry-after"]) for a in slowed]
    assert waits and all(1 <= w <= 60 for w in waits)
    # A device that never guessed waits too: the backoff is appliance-wide.
    fresh = Client(srv.port, source="127.0.0.77").post("/api/v1/auth/login", {"pin": OWNER_PIN})
    assert fresh.status == 429 and 1 <= int(fresh.headers["retry-after"]) <= 60


# ---------------------------------------------------------------- lost PIN


def test_kiosk_admin_reset_prints_a_one_time_link_for_a_new_admin_pin(srv):
    assert srv.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN}).status == 200
    old = srv.client().post("/api/v1/auth/login", {"pin": OWNER_PIN})
    old_cookie = {"Cookie": old.headers["set-cookie"].split(";")[0]}
    out = subprocess.run(
        kiosk_cmd("admin", "reset", "--data-dir", str(srv.data_dir), "--port", str(srv.port)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    url = out.stdout.strip().splitlines()[-1]
    assert url.startswith(f"http://127.0.0.1:{srv.port}/admin?reset=")
    secret = url.rsplit("=", 1)[1]
    assert setup_link(srv) == secret
    assert (srv.data_dir / "setup-link.txt").stat().st_mode & 0o777 == 0o600
    new_pin = "918273"
    browser = {"Origin": srv.base_url}
    reset = srv.client().post(
        "/api/v1/auth/setup", {"pin": new_pin, "setup_token": secret}, headers=browser
    )
    assert reset.status == 200, reset.body
    client = srv.client()
    assert client.post("/api/v1/auth/login", {"pin": OWNER_PIN}).status == 401
    assert client.post("/api/v1/auth/login", {"pin": new_pin}).status == 200
    assert client.get("/api/v1/auth/me", headers=old_cookie).body["authenticated"] is False
    again = srv.client().post(
        "/api/v1/auth/setup", {"pin": "564738", "setup_token": secret}, headers=browser
    )
    assert again.status == 403
    assert not (srv.data_dir / "setup-link.txt").exists()


def test_admin_reset_without_a_database_says_so(tmp_path: Path):
    out = subprocess.run(
        kiosk_cmd("admin", "reset", "--data-dir", str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "no database" in out.stderr
