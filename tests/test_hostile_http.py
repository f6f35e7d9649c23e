"""The HTTP edge against hostile clients (SPEC §16): DNS rebinding (Host), slow and
greedy clients, and listening on every address. Each test fails without its rule.

All traffic goes to the real server on 127.0.0.1 or ::1, over raw sockets where the
exact bytes matter (a Host header of our choosing, half a request).
"""

from __future__ import annotations

import socket
import sqlite3

import orjson
import pytest

from kiosk.appliance.discovery import host_name_for
from tests.kiosk_harness import Server

SERVER_ARGS = ("--allow-host", "kiosk.shop.lan", "--allow-host", "proxy.lan:8443")
OWNER_PIN = "482915"


def exchange(port: int, request: bytes, host: str = "127.0.0.1", timeout: float = 10) -> bytes:
    """Send exactly these bytes, return everything the server answers until it closes
    or goes quiet."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    if b" 101 " in head.split(b"\r\n", 1)[0]:
        return True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def status(data: bytes) -> int:
    assert data.startswith(b"HTTP/1."), data[:200]
    return int(data.split(b" ", 2)[1])


def body(data: bytes) -> bytes:
    return data.partition(b"\r\n\r\n")[2]


def request(
    method: str, path: str, host: str | None, headers: dict[str, str] | None = None, data=None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    payload = orjson.dumps(data) if data is not None else b""
    all_headers = {"Connection": "close", **(headers or {})}
    if data is not None:
        all_headers |= {"Content-Type": "application/json", "Content-Length": str(len(payload))}
    lines += [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def upgrade(path: str, host: str, origin: str | None = None) -> bytes:
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    if origin is not None:
        headers["Origin"] = origin
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def health_via(port: int, host: str | None) -> int:
    return status(exchange(port, request("GET", "/api/v1/health", host)))


def mdns_name(server: Server) -> str:
    db = sqlite3.connect(server.data_dir / "kiosk.sqlite3")
    try:
        (value,) = db.execute("SELECT value FROM setting WHERE key = 'install_id'").fetchone()
    finally:
        db.close()
    return host_name_for(orjson.loads(value)).rstrip(".")


@pytest.fixture(scope="module")
def session(server: Server) -> str:
    """The owner's cookie session, claimed from this PC (loopback, no Origin)."""
    resp = exchange(
        server.port,
        request("POST", "/api/v1/auth/setup", f"127.0.0.1:{server.port}", data={"pin": OWNER_PIN}),
    )
    assert status(resp) == 200, resp
    cookie = next(
        line for line in resp.split(b"\r\n") if line.lower().startswith(b"set-cookie: qk_session=")
    )
    return cookie.split(b":", 1)[1].strip().split(b";", 1)[0].decode()


# ---------------------------------------------------------------- Host (DNS rebinding)


def test_a_foreign_host_is_refused_with_421_before_any_handler(server):
    port = server.port
    evil = f"evil.example:{port}"
    api = exchange(port, request("GET", "/api/v1/health", evil))
    assert status(api) == 421
    assert orjson.loads(body(api))["error"]["code"] == "misdirected"
    page = exchange(port, request("GET", "/admin", evil))
    assert status(page) == 421 and b"content-type: text/plain" in page.lower()
    # Not even a 404 tells a foreign name what exists here.
    assert status(exchange(port, request("GET", "/api/v1/no-such-thing", evil))) == 421
    assert status(exchange(port, upgrade("/ws/queue/1", evil))) == 421
    assert status(exchange(port, request("GET", "/api/v1/health", "bad host name"))) == 421


def test_a_rebinding_page_cannot_use_the_owners_session(server, session):
    """The attack of the issue: evil.example now resolves to this box, so the page's
    requests carry Host and Origin of evil.example, which agree with each other."""
    port = server.port
    evil_host, evil_origin = f"evil.example:{port}", f"http://evil.example:{port}"
    write = request(
        "POST",
        "/api/v1/shops/1/queue",
        evil_host,
        {"Cookie": session, "Origin": evil_origin},
        {"full_name": "Rebound Victim"},
    )
    assert status(exchange(port, write)) == 421
    assert status(exchange(port, upgrade("/ws/connect", evil_host, evil_origin))) == 421
    ours = request(
        "POST",
        "/api/v1/shops/1/queue",
        f"127.0.0.1:{port}",
        {"Cookie": session, "Origin": f"http://127.0.0.1:{port}"},
        {"full_name": "Real Customer"},
    )
    assert status(exchange(port, ours)) == 201


def test_every_own_name_is_accepted_with_or_without_the_port(server):
    port = server.port
    machine = socket.gethostname().lower().split(".", 1)[0]
    names = [
        "127.0.0.1",
        "127.0.0.42",
        "[::1]",
        "localhost",
        "LOCALHOST.",
        mdns_name(server),
        machine,
        f"{machine}.local",
        "kiosk.shop.lan",  # --allow-host
    ]
    for name in names:
        assert health_via(port, name) == 200, name
        assert health_via(port, f"{name}:{port}") == 200, name
    assert health_via(port, "proxy.lan:8443") == 200  # --allow-host with its own port
    # Our names under another port are another server (what the browser would think).
    assert health_via(port, f"localhost:{port + 1}") == 421
    assert health_via(port, "proxy.lan:9999") == 421
    assert health_via(port, f"127.0.0.1.evil.example:{port}") == 421


def test_a_request_without_any_host_is_a_tool_and_is_served(server):
    resp = exchange(server.port, b"GET /api/v1/health HTTP/1.0\r\n\r\n")
    assert status(resp) == 200


def test_the_owner_adds_host_names_in_the_settings(server):
    port = server.port
    admin = server.client("admin")
    assert health_via(port, f"signage.lan:{port}") == 421
    resp = admin.patch("/api/v1/settings", {"allowed_hosts": ["Signage.LAN.", "tv.lan:8080"]})
    assert resp.status == 200, resp.body
    assert resp.body["allowed_hosts"] == ["signage.lan", "tv.lan:8080"]
    assert health_via(port, f"signage.lan:{port}") == 200
    assert health_via(port, "tv.lan:8080") == 200
    assert admin.patch("/api/v1/settings", {"allowed_hosts": []}).status == 200
    assert health_via(port, f"signage.lan:{port}") == 421


@pytest.mark.parametrize(
    "value",
    [
        "kiosk.lan",
        ["evil host"],
        ["http://kiosk.lan"],
        ["kiosk.lan/admin"],
        ["kiosk.lan:99999"],
        ["-kiosk.lan"],
        ["a" * 300],
        [5],
        ["x.lan"] * 51,
    ],
)
def test_bad_allowed_hosts_are_refused_with_the_field_named(server, value):
    resp = server.client("admin").patch("/api/v1/settings", {"allowed_hosts": value})
    assert resp.status == 422, resp.body
    assert "allowed_hosts" in orjson.dumps(resp.body).decode()


def test_an_origin_under_another_of_our_names_is_this_server(server, session):
    """SPEC §15: the page at http://localhost:PORT talks to 127.0.0.1:PORT."""
    port = server.port

    def cookie_write(origin: str, host: str = f"127.0.0.1:{port}") -> int:
        write = request(
            "POST",
            "/api/v1/shops/1/queue",
            host,
            {"Cookie": session, "Origin": origin},
            {"full_name": "Same Site"},
        )
        return status(exchange(port, write))

    assert cookie_write(f"http://localhost:{port}") == 201
    assert cookie_write(f"http://127.0.0.1:{port}", host=f"localhost:{port}") == 201
    assert cookie_write(f"http://kiosk.shop.lan:{port}") == 201
    assert (
        status(
            exchange(port, upgrade("/ws/queue/1", f"127.0.0.1:{port}", f"http://localhost:{port}"))
        )
        == 101
    )
    # Another port, scheme or site is another origin, whatever Host says.
    assert cookie_write(f"http://localhost:{port + 1}") == 403
    assert cookie_write(f"https://localhost:{port}") == 403
    assert cookie_write("null") == 403
    assert cookie_write(f"http://kiosk.shop.lan:{port}", host=f"kiosk.shop.lan:{port}") == 201
    assert cookie_write(f"http://evil.example:{port}", host=f"kiosk.shop.lan:{port}") == 403
