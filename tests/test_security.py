"""Security rules of SPEC §5 and §8, each with a test that fails without the rule."""

from __future__ import annotations

import asyncio
import http.client
import re
import sqlite3
from http.cookies import SimpleCookie

import aiohttp
import orjson
import pytest

from tests import netns
from tests.kiosk_harness import Server, kiosk_cmd

OWNER_PIN = "482915"


@pytest.fixture
def srv(tmp_path):
    server = Server(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()
        server.kill()


def raw(server: Server, method: str, path: str, body=None, headers=None):
    """A request with exactly the headers given (cookies, Origin), nothing added."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(
            method,
            path,
            body=orjson.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (orjson.loads(data) if data[:1] in (b"{", b"[") else data), resp
    finally:
        conn.close()


def session_cookie(resp, name: str = "qk_session") -> tuple[str, str]:
    header = resp.getheader("Set-Cookie")
    assert header, "no cookie was set"
    cookie = SimpleCookie()
    cookie.load(header)
    return cookie[name].value, header


def claim(server: Server, pin: str = OWNER_PIN) -> str:
    status, body, resp = raw(server, "POST", "/api/v1/auth/setup", {"pin": pin, "name": "Olga"})
    assert status == 200, body
    return session_cookie(resp)[0]


def own_origin(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def patch_settings(server: Server, changes: dict) -> None:
    resp = server.client("admin").patch("/api/v1/settings", changes)
    assert resp.status == 200, resp.body


# ---------------------------------------------------------------- first run and PINs


def test_owner_claims_from_the_pc_and_gets_a_strict_httponly_session(srv):
    status, body, resp = raw(srv, "POST", "/api/v1/auth/setup", {"pin": OWNER_PIN})
    assert status == 200 and body["staff"]["role"] == "admin"
    value, header = session_cookie(resp)
    assert "HttpOnly" in header and "SameSite=Strict" in header
    status, me, _ = raw(srv, "GET", "/api/v1/auth/me", headers={"Cookie": f"qk_session={value}"})
    assert me["role"] == "admin" and me["authenticated"] and me["claimed"]
    # Only once: a second claim, even from the PC, is refused.
    status, body, _ = raw(srv, "POST", "/api/v1/auth/setup", {"pin": "111111"})
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_pins_are_stored_as_salted_slow_hashes(srv):
    claim(srv)
    rows = (
        sqlite3.connect(srv.data_dir / "kiosk.sqlite3")
        .execute("SELECT pin_hash FROM staff")
        .fetchall()
    )
    assert rows and all(OWNER_PIN not in h and h.startswith("scrypt$") for (h,) in rows)


def test_nobody_else_on_the_lan_can_claim_without_the_printed_link(tmp_path):
    """The appliance runs in one namespace, a 'customer phone' in another."""
    with netns.lab() as lab:
        shop, phone = lab.pair()
        proc = netns.NsProcess(
            shop,
            kiosk_cmd(
                "serve",
                "--host",
                "0.0.0.0",
                "--port",
                "8731",
                "--data-dir",
                str(tmp_path),
                "--no-mdns",
                "--no-browser",
            ),
            env=_env(),
        )
        try:
            lines = [proc.read_line(30), proc.read_line(30)]
            link = next(line for line in lines if line and "setup=" in line)
            secret = re.search(r"setup=([\w-]+)", link).group(1)
            address = shop.addresses[0]
            with netns.entered(phone):
                refused = _post(address, 8731, "/api/v1/auth/setup", {"pin": "123456"})
                forged = _post(
                    address,
                    8731,
                    "/api/v1/auth/setup",
                    {"pin": "123456", "setup_token": "not-the-secret"},
                )
                allowed = _post(
                    address, 8731, "/api/v1/auth/setup", {"pin": "123456", "setup_token": secret}
                )
            assert refused[0] == 403 and forged[0] == 403
            assert allowed[0] == 200 and allowed[1]["staff"]["role"] == "admin"
        finally:
            proc.cleanup()


def _env():
    import os

    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _post(host: str, port: int, path: str, body: dict):
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.request(
            "POST", path, body=orjson.dumps(body), headers={"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        return resp.status, orjson.loads(resp.read())
    finally:
        conn.close()


def test_each_staff_member_logs_in_with_a_named_pin_and_the_audit_names_them(srv):
    cookie = claim(srv)
    admin = {"Cookie": f"qk_session={cookie}", "Origin": own_origin(srv)}
    status, body, _ = raw(
        srv, "POST", "/api/v1/staff", {"name": "Sam", "pin": "2468", "role": "staff"}, admin
    )
    assert status == 201, body
    status, body, _ = raw(srv, "POST", "/api/v1/staff", {"name": "Dup", "pin": "2468"}, admin)
    assert status == 409  # a login is a PIN alone: two people cannot share one
    status, body, resp = raw(srv, "POST", "/api/v1/auth/login", {"pin": "2468"})
    assert status == 200 and body["staff"]["name"] == "Sam"
    sam = {"Cookie": f"qk_session={session_cookie(resp)[0]}", "Origin": own_origin(srv)}
    status, entry, _ = raw(srv, "POST", "/api/v1/shops/1/queue", {"full_name": "Ann Audit"}, sam)
    assert status == 201
    status, trail, _ = raw(srv, "GET", "/api/v1/audit?limit=20", headers=admin)
    assert status == 200
    join = next(e for e in trail if e["seq"] == entry["seq"])
    assert join["actor"]["name"] == "Sam" and join["actor"]["role"] == "staff"
    assert any(e["type"] == "staff_logged_in" for e in trail)
    # Staff may run the queue but not read the audit trail.
    status, body, _ = raw(srv, "GET", "/api/v1/audit", headers=sam)
    assert status == 403


def test_brute_forcing_a_pin_locks_the_address_out(srv):
    claim(srv)
    patch_settings(srv, {"limits": {"login_attempts": 3, "login_lockout_s": 60}})
    for _ in range(3):
        status, body, _ = raw(srv, "POST", "/api/v1/auth/login", {"pin": "0000"})
        assert status == 401
    status, body, resp = raw(srv, "POST", "/api/v1/auth/login", {"pin": OWNER_PIN})
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert int(resp.getheader("Retry-After")) >= 1


def test_parallel_guesses_cannot_slip_past_the_lockout(srv):
    claim(srv)
    patch_settings(srv, {"limits": {"login_attempts": 3, "login_lockout_s": 60}})

    async def burst():
        async with aiohttp.ClientSession() as session:

            async def guess(pin):
                async with session.post(
                    f"{srv.base_url}/api/v1/auth/login", json={"pin": pin}
                ) as resp:
                    return resp.status

            return await asyncio.gather(*(guess(f"{i:04d}") for i in range(20)))

    statuses = asyncio.run(burst())
    assert statuses.count(401) <= 3 and statuses.count(429) >= 17


def test_logout_ends_the_session(srv):
    cookie = claim(srv)
    headers = {"Cookie": f"qk_session={cookie}", "Origin": own_origin(srv)}
    assert raw(srv, "GET", "/api/v1/tokens", headers=headers)[0] == 200
    assert raw(srv, "POST", "/api/v1/auth/logout", headers=headers)[0] == 200
    status, me, _ = raw(srv, "GET", "/api/v1/auth/me", headers=headers)
    assert not me["authenticated"]
    assert raw(srv, "GET", "/api/v1/tokens", headers=headers)[0] == 401


# ---------------------------------------------------------------- cookies and origins


def test_cookie_writes_need_this_servers_origin(srv):
    cookie = {"Cookie": f"qk_session={claim(srv)}"}
    body = {"full_name": "Csrf Victim"}
    missing = raw(srv, "POST", "/api/v1/shops/1/queue/call-next", {}, cookie)
    foreign = raw(
        srv, "POST", "/api/v1/shops/1/queue", body, {**cookie, "Origin": "http://evil.example"}
    )
    ours = raw(srv, "POST", "/api/v1/shops/1/queue", body, {**cookie, "Origin": own_origin(srv)})
    assert missing[0] == 403 and foreign[0] == 403
    assert foreign[1]["error"]["code"] == "forbidden"
    assert ours[0] == 201
    # Reads need no Origin; a Bearer token (not a browser cookie) needs none either.
    assert raw(srv, "GET", "/api/v1/tokens", headers=cookie)[0] == 200
    assert srv.client("staff").post("/api/v1/shops/1/queue", body).status == 201


async def _handshake(server: Server, path: str, headers: dict) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(f"{server.base_url}{path}", headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


def test_cross_site_websockets_are_refused(srv):
    paths = [
        "/ws/queue/1",
        "/ws/queue/1/",
        "/ws/appointments/1/",
        "/api/v1/ws/queue",
        "/ws/connect",
        f"/ws?token={srv.token('staff')}",
    ]
    for path in paths:
        assert asyncio.run(_handshake(srv, path, {"Origin": "http://evil.example"})) == 403, path
        assert asyncio.run(_handshake(srv, path, {"Origin": own_origin(srv)})) == 101, path
        assert asyncio.run(_handshake(srv, path, {})) == 101, path  # not a browser
    patch_settings(srv, {"allowed_origins": ["http://signage.example:3000"]})
    allowed = {"Origin": "http://signage.example:3000"}
    assert asyncio.run(_handshake(srv, "/ws/queue/1", allowed)) == 101


# ---------------------------------------------------------------- tokens and devices


def test_a_revoked_token_stops_working_at_once(srv):
    admin = srv.client("admin")
    made = admin.post("/api/v1/tokens", {"role": "staff", "name": "Back office script"})
    assert made.status == 201 and made.body["token"].startswith("qk_")
    secret = made.body["token"]
    listed = admin.get("/api/v1/tokens").body
    assert any(t["name"] == "Back office script" and "token" not in t for t in listed)
    assert srv.client().get("/api/v1/shops/1/queue", token=secret).status == 200
    assert admin.delete(f"/api/v1/tokens/{made.body['id']}").status == 200
    resp = srv.client().post("/api/v1/shops/1/queue/call-next", token=secret)
    assert resp.status == 401 and resp.error_code == "unauthorized"


def test_pairing_makes_a_kiosk_device_that_can_join_and_nothing_else(srv):
    admin = srv.client("admin")
    pairing = admin.post("/api/v1/pairing", {"role": "kiosk", "name": "Desk tablet"})
    assert pairing.status == 201 and "<svg" in pairing.body["qr_svg"]
    path = "/pair/" + pairing.body["url"].rsplit("/pair/", 1)[1]
    status, _, resp = raw(srv, "GET", path)
    assert status == 303 and resp.getheader("Location") == "/kiosk"
    device_secret, header = session_cookie(resp, "qk_device")
    assert "HttpOnly" in header and "SameSite=Strict" in header
    device = {"Cookie": f"qk_device={device_secret}", "Origin": own_origin(srv)}
    status, entry, _ = raw(
        srv, "POST", "/api/v1/shops/1/queue", {"full_name": "Pat Paired"}, device
    )
    assert status == 201 and entry["source"] == "kiosk"
    status, body, _ = raw(srv, "POST", "/api/v1/shops/1/queue/call-next", {}, device)
    assert status == 403
    # One time only.
    assert raw(srv, "GET", path)[0] == 404
    devices = admin.get("/api/v1/tokens").body
    tablet = next(t for t in devices if t["name"] == "Desk tablet")
    assert tablet["kind"] == "device" and tablet["role"] == "kiosk"
    assert tablet["last_seen_at"] is not None  # seen at once, not only after a minute
    trail = admin.get("/api/v1/audit?limit=10").body
    assert next(e for e in trail if e["type"] == "device_paired")["actor"]["name"] == "Desk tablet"


def test_a_staff_login_on_a_paired_tablet_leaves_it_paired_after_logout(srv):
    claim(srv)
    pairing = srv.client("admin").post("/api/v1/pairing", {"role": "kiosk", "name": "Front"})
    _, _, resp = raw(srv, "GET", "/pair/" + pairing.body["url"].rsplit("/pair/", 1)[1])
    device = f"qk_device={session_cookie(resp, 'qk_device')[0]}"
    _, _, resp = raw(
        srv,
        "POST",
        "/api/v1/auth/login",
        {"pin": OWNER_PIN},
        {"Cookie": device, "Origin": own_origin(srv)},
    )
    both = {"Cookie": f"{device}; qk_session={session_cookie(resp)[0]}", "Origin": own_origin(srv)}
    assert raw(srv, "GET", "/api/v1/auth/me", headers=both)[1]["role"] == "admin"
    assert raw(srv, "POST", "/api/v1/auth/logout", headers=both)[0] == 200
    # The browser drops the session cookie; the pairing is still there.
    me = raw(srv, "GET", "/api/v1/auth/me", headers={"Cookie": device})[1]
    assert me["role"] == "kiosk" and me["kind"] == "device"


# ---------------------------------------------------------------- socket limits


def test_a_flood_of_socket_messages_closes_the_socket_with_1008(srv):
    patch_settings(srv, {"limits": {"ws_messages_per_s": 2, "ws_burst": 5}})

    async def flood():
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{srv.base_url}/ws/connect")
            for _ in range(50):
                if ws.closed:
                    break
                await ws.send_str('{"command": "ping"}')
            while True:
                msg = await asyncio.wait_for(ws.receive(), 10)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    return ws.close_code

    assert asyncio.run(flood()) == 1008


def test_an_oversized_socket_message_closes_with_1009(srv):
    async def big():
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{srv.base_url}/ws/connect")
            await ws.send_str("x" * (64 * 1024 + 1))
            msg = await asyncio.wait_for(ws.receive(), 10)
            return msg.type, ws.close_code

    kind, code = asyncio.run(big())
    assert kind in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and code == 1009


def test_too_many_sockets_from_one_address_get_429(srv):
    patch_settings(srv, {"limits": {"ws_per_address": 3}})

    async def many():
        async with aiohttp.ClientSession() as session:
            open_ = [await session.ws_connect(f"{srv.base_url}/ws/queue/1") for _ in range(3)]
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"{srv.base_url}/ws/queue/1")
            await open_[0].close()
            # A closed socket frees its place.
            again = await _retry_connect(session, f"{srv.base_url}/ws/queue/1")
            for ws in open_[1:] + [again]:
                await ws.close()
            return refused.value.status

    assert asyncio.run(many()) == 429


async def _retry_connect(session, url):
    for _ in range(100):
        try:
            return await session.ws_connect(url)
        except aiohttp.WSServerHandshakeError:
            await asyncio.sleep(0.05)  # the server notices the close asynchronously
    raise AssertionError("the freed socket place never came back")


def test_a_peer_that_never_answers_pings_is_closed_after_two_missed(srv):
    patch_settings(srv, {"limits": {"heartbeat_s": 1.0}})

    async def silent_and_healthy():
        async with aiohttp.ClientSession() as session:
            silent = await session.ws_connect(f"{srv.base_url}/ws/queue/1", autoping=False)
            healthy = await session.ws_connect(f"{srv.base_url}/ws/queue/1")
            texts: asyncio.Queue[str] = asyncio.Queue()

            async def keep_reading():  # aiohttp answers pings only while receive() runs
                async for msg in healthy:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        texts.put_nowait(msg.data)

            reader = asyncio.create_task(keep_reading())
            pings = 0
            while True:
                msg = await asyncio.wait_for(silent.receive(), 10)
                if msg.type is aiohttp.WSMsgType.PING:
                    pings += 1  # heard, deliberately not answered
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            # The healthy socket outlived several heartbeats and is still served.
            resp = await asyncio.to_thread(
                srv.client("staff").post, "/api/v1/shops/1/queue", {"full_name": "Still Live"}
            )
            while f'"seq":{resp.body["seq"]}' not in await asyncio.wait_for(texts.get(), 10):
                pass
            code = silent.close_code
            await healthy.close()
            await reader
            return pings, code

    pings, code = asyncio.run(silent_and_healthy())
    assert pings >= 2 and code == 4408


# ---------------------------------------------------------------- self check-in and settings


def test_self_checkin_switched_off_refuses_anonymous_joins_but_not_kiosks(srv):
    patch_settings(srv, {"self_checkin": False})
    resp = srv.client().post("/api/v1/shops/1/queue", {"full_name": "Phone User"})
    assert resp.status == 401 and "switched off" in resp.body["error"]["message"]
    assert srv.client("kiosk").post("/api/v1/shops/1/queue", {"full_name": "Desk"}).status == 201
    assert srv.client().get("/api/v1/settings").body == {
        "self_checkin": False,
        "display_names": "initial",
        "display_voice": True,
        "priority_at_kiosk": False,
    }


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"self_checkin": "yes"}, "self_checkin"),
        ({"display_names": "full"}, "display_names"),
        ({"allowed_origins": ["javascript:alert(1)"]}, "allowed_origins"),
        ({"limits": {"ws_burst": 0}}, "limits.ws_burst"),
        ({"limits": {"nope": 1}}, "limits.nope"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(server, changes, field):
    resp = server.client("admin").patch("/api/v1/settings", changes)
    assert resp.status == 422 and resp.body["error"]["details"]["field"] == field


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/tokens", {"role": "staff"}),
        ("DELETE", "/api/v1/tokens/1", None),
        ("GET", "/api/v1/staff", None),
        ("POST", "/api/v1/staff", {"name": "X", "pin": "1234"}),
        ("DELETE", "/api/v1/staff/1", None),
        ("POST", "/api/v1/pairing", {"role": "kiosk"}),
        ("PATCH", "/api/v1/settings", {"self_checkin": False}),
        ("GET", "/api/v1/audit", None),
    ],
)
@pytest.mark.parametrize(
    "role, status", [(None, 401), ("display", 403), ("kiosk", 403), ("staff", 403)]
)
def test_admin_endpoints_refuse_lower_roles(server, method, path, body, role, status):
    resp = server.client(role).request(method, path, body)
    assert resp.status == status and resp.error_code in ("unauthorized", "forbidden")


# ---------------------------------------------------------------- redaction, everywhere


def test_a_display_client_never_sees_a_phone_number_or_surname(srv):
    staff = srv.client("staff")
    provider = srv.client("admin").post("/api/v1/shops/1/providers", {"name": "Chair 1"}).body
    secret_phone, surname = "+1 555 7788", "Wellington-Smythe"
    joined = staff.post(
        "/api/v1/shops/1/queue", {"full_name": f"Arthur {surname}", "phone": secret_phone}
    ).body
    today = staff.get("/api/v1/shops/1/queue").body["appointments_today"]["date"]
    booked = staff.post(
        "/api/v1/appointments",
        {
            "provider_id": provider["id"],
            "date": today,
            "patient": {
                "name": f"Beatrix {surname}",
                "phone": secret_phone,
                "age": 44,
                "gender": "female",
            },
        },
    ).body
    seen: list[str] = []

    async def watch():
        async with aiohttp.ClientSession() as session:
            sockets = [
                await session.ws_connect(f"{srv.base_url}{p}")
                for p in (
                    "/ws/queue/1",
                    "/ws/queue/1/",
                    "/ws/appointments/1/",
                    "/api/v1/ws/queue",
                    f"/api/v1/ws/queue/{provider['id']}",
                    "/ws/connect",
                )
            ]
            await sockets[3].send_json({"action": "subscribe", "date": today})
            await sockets[4].send_json({"action": "subscribe", "date": today})
            await sockets[5].send_json({"command": "join_room", "room": "queue:1"})
            await sockets[5].send_json({"command": "join_room", "room": "appointments:1"})
            for ws in sockets:  # the first message of each, before any change
                seen.append((await asyncio.wait_for(ws.receive(), 10)).data)
            changes = [
                staff.post("/api/v1/checkins", {"appointment_id": booked["id"]}).body["seq"],
                staff.patch(f"/api/v1/queue/{joined['id']}", {"status": "CALLED"}).body["seq"],
            ]
            for ws in sockets:
                # Until the check-in shows (every one of these sockets hears it; only some
                # hear the call, and a snapshot may already cover both changes).
                while True:
                    msg = await asyncio.wait_for(ws.receive(), 10)
                    seen.append(msg.data)
                    seqs = [int(n) for n in re.findall(r'"seq":(\d+)', msg.data)]
                    if seqs and max(seqs) >= changes[0]:
                        break
            for ws in sockets:
                await ws.close()

    asyncio.run(watch())
    anonymous = srv.client()
    display = srv.client("display")
    kiosk = srv.client("kiosk")
    for client in (anonymous, display):
        seen.append(client.get("/api/v1/shops/1/queue").raw.decode())
    seen.append(anonymous.get(f"/api/v1/tickets/{joined['claim']}").raw.decode())
    seen.append(kiosk.get(f"/api/v1/appointments?date={today}&shop_id=1").raw.decode())
    text = "\n".join(seen)
    assert "Arthur W." in text and "Beatrix W." in text  # the names did arrive, redacted
    assert surname not in text and secret_phone not in text
    assert '"age":44' not in text and '"gender":"female"' not in text
    # ... while staff see everything.
    assert surname in staff.get("/api/v1/shops/1/queue").raw.decode()
