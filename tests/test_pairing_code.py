"""Pairing a desk tablet by typing a 6-digit code (SPEC §9), against the real appliance.

`POST /api/v1/pairing` answers a `short_code` beside its link; `POST
/api/v1/pairing/redeem {code}` turns the browser that sends it into the paired device
(the same cookie `/pair/{code}` sets). The code and the link share one fate, and wrong
codes are throttled like wrong PINs.
"""

from __future__ import annotations

import re
import sqlite3
from http.cookies import SimpleCookie

import pytest

from tests.kiosk_harness import Client, Server

pytestmark = pytest.mark.timeout(120)


def own_origin(server: Server) -> dict[str, str]:
    return {"Origin": server.base_url}


def start(server: Server, role: str = "kiosk", name: str = "Desk tablet") -> dict:
    made = server.client("admin").post("/api/v1/pairing", {"role": role, "name": name})
    assert made.status == 201, made.body
    return made.body


def redeem(server: Server, code, source: str | None = None):
    return Client(server.port, source=source).post(
        "/api/v1/pairing/redeem", {"code": code}, headers=own_origin(server)
    )


def device_cookie(resp) -> str:
    jar = SimpleCookie(resp.headers["set-cookie"])
    assert "qk_device" in jar, resp.headers["set-cookie"]
    assert jar["qk_device"]["httponly"] and jar["qk_device"]["samesite"] == "Strict"
    return jar["qk_device"].value


def unused_code(*taken: str) -> str:
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in taken)


def test_a_pairing_answers_a_six_digit_code_valid_ten_minutes(server):
    started = start(server)
    assert re.fullmatch(r"\d{6}", started["short_code"]), started
    assert started["url"].rsplit("/pair/", 1)[1] == started["code"]
    # Only a hash is kept: the file never holds the digits.
    rows = (
        sqlite3.connect(server.data_dir / "kiosk.sqlite3")
        .execute("SELECT * FROM pairing")
        .fetchall()
    )
    assert rows and not any(started["short_code"] in str(cell) for row in rows for cell in row)


def test_the_code_pairs_this_browser_once_and_uses_up_the_link(server):
    started = start(server, name="Front desk")
    paired = redeem(server, started["short_code"])
    assert paired.status == 200, paired.body
    assert paired.body["role"] == "kiosk" and paired.body["name"] == "Front desk"
    assert "secret" not in paired.body, "the device secret travels only as an HttpOnly cookie"
    cookie = {"Cookie": f"qk_device={device_cookie(paired)}", **own_origin(server)}
    me = Client(server.port).get("/api/v1/auth/me", headers=cookie)
    assert me.body["role"] == "kiosk" and me.body["kind"] == "device"
    # One use, and the link shares its fate.
    again = redeem(server, started["short_code"])
    assert again.status == 404 and again.error_code == "not_found"
    assert Client(server.port).get(f"/pair/{started['code']}").status == 404


def test_opening_the_link_uses_up_the_code(server):
    started = start(server)
    assert Client(server.port).get(f"/pair/{started['code']}").status == 303
    assert redeem(server, started["short_code"]).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": 123456},
        {"code": "12345"},
        {"code": "1234567"},
        {"code": "12a456"},
        {"code": "１２３４５６"},
        {"code": "123456", "role": "admin"},
    ],
)
def test_a_malformed_code_is_a_clear_422(server, body):
    resp = Client(server.port).post("/api/v1/pairing/redeem", body, headers=own_origin(server))
    assert resp.status == 422, resp.body
    assert resp.error_code == "invalid_field"


def test_not_json_or_from_another_site_is_refused(server):
    code = start(server)["short_code"]
    form = Client(server.port).post(
        "/api/v1/pairing/redeem",
        body=f"code={code}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **own_origin(server)},
    )
    assert form.status == 415, form.body
    other = Client(server.port).post(
        "/api/v1/pairing/redeem", {"code": code}, headers={"Origin": "http://evil.example"}
    )
    assert other.status == 403, other.body
    assert redeem(server, code).status == 200, "the refused tries did not use it up"


def test_wrong_codes_are_throttled_like_wrong_pins(fresh_server):
    srv = fresh_server.start()
    srv.client("admin").patch("/api/v1/settings", {"limits": {"login_attempts": 3}})
    code = start(srv)["short_code"]
    wrong = unused_code(code)
    answers = [redeem(srv, wrong, source="127.0.0.7") for _ in range(3)]
    assert [a.status for a in answers] == [404, 404, 404], [a.body for a in answers]
    locked = redeem(srv, wrong, source="127.0.0.7")
    assert locked.status == 429 and locked.error_code == "rate_limited", locked.body
    assert int(locked.headers["retry-after"]) >= 1
    # Locked out, even the right code is not tried: a brute force learns nothing.
    assert redeem(srv, code, source="127.0.0.7").status == 429
    # Another device is not locked out by that one.
    assert redeem(srv, code, source="127.0.0.8").status == 200


def test_an_expired_code_is_404(fresh_server):
    srv = fresh_server.start()
    code = start(srv)["short_code"]
    db = sqlite3.connect(srv.data_dir / "kiosk.sqlite3")
    db.execute("UPDATE pairing SET expires_at = '2000-01-01T00:00:00Z'")
    db.commit()
    db.close()
    resp = redeem(srv, code)
    assert resp.status == 404 and resp.error_code == "not_found"
