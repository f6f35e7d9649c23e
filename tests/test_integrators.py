"""SPEC §15 for integrators: CORS and preflight on the REST API for allowed origins, this
server's other names being this server, `/ws/stats` rooms, and the central monitor's
count and list agreeing.

Raw HTTP shows the headers exactly; real Chromium on a page served from another
127.0.0.1 port shows that a browser really lets seed 001's polling fallback through
(and keeps a page the owner did not allow out).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.browser import shot
from tests.kiosk_harness import Client, Server
from tests.ws_client import WS, book, new_provider, new_shop, ok, today_of

pytest_plugins = ("tests.browser",)

ALLOWED = "http://shop.example:3000"
SERVER_ARGS = ("--allow-origin", ALLOWED)


def shop_id(server: Server) -> int:
    return server.client("admin").post("/api/v1/shops", {"name": "Cors"}).body["id"]


# ---------------------------------------------------------------- raw HTTP


def test_an_allowed_origin_gets_cors_headers_and_others_get_none(server: Server):
    sid = shop_id(server)
    anon = Client(server.port)
    got = anon.get(f"/api/v1/shops/{sid}/queue", headers={"Origin": ALLOWED})
    assert got.status == 200
    assert got.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in got.headers["vary"].lower()
    assert "x-seq" in got.headers["access-control-expose-headers"].lower()

    foreign = anon.get(f"/api/v1/shops/{sid}/queue", headers={"Origin": "http://evil.example"})
    assert foreign.status == 200  # a plain GET still answers; the browser hides it
    assert not any(k.startswith("access-control-") for k in foreign.headers), foreign.headers

    # Seed 003's statistics are read by dashboards of other sites too.
    stats = server.client("staff").get("/ws/stats", headers={"Origin": ALLOWED})
    assert stats.status == 200 and stats.headers["access-control-allow-origin"] == ALLOWED

    # Errors carry the headers too, so the allowed page can read what went wrong.
    missing = anon.get("/api/v1/shops/999999/queue", headers={"Origin": ALLOWED})
    assert missing.status == 404 and missing.error_code == "not_found"
    assert missing.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/v1/shops/{sid}/queue", "POST"),
        ("/api/v1/shops/{sid}/queue", "GET"),
        ("/api/v1/queue/1", "PATCH"),
        ("/api/v1/shops/{sid}/queue/order", "PUT"),
        ("/api/v1/tickets/abc", "DELETE"),
    ],
)
def test_preflight_answers_204_with_the_allow_headers(server: Server, path: str, method: str):
    sid = shop_id(server)
    got = Client(server.port).request(
        "OPTIONS",
        path.format(sid=sid),
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert got.status == 204, (got.status, got.body)
    assert got.headers["access-control-allow-origin"] == ALLOWED
    assert method in got.headers["access-control-allow-methods"]
    allowed_headers = got.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key"):
        assert header in allowed_headers
    assert int(got.headers["access-control-max-age"]) > 0


def test_preflight_from_a_foreign_origin_is_refused_without_cors_headers(server: Server):
    sid = shop_id(server)
    got = Client(server.port).request(
        "OPTIONS",
        f"/api/v1/shops/{sid}/queue",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert got.status == 403 and got.error_code == "forbidden"
    assert not any(k.startswith("access-control-") for k in got.headers), got.headers


def test_preflight_of_an_unknown_endpoint_is_a_readable_404(server: Server):
    got = Client(server.port).request(
        "OPTIONS",
        "/api/v1/no/such/thing",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
    )
    assert got.status == 404 and got.error_code == "not_found"
    assert got.headers["access-control-allow-origin"] == ALLOWED


def test_this_servers_other_names_are_this_server(server: Server):
    """Origin: http://localhost:PORT sent to 127.0.0.1:PORT is this server: a cookie
    write from it is accepted and its fetches get CORS (the browser sees two origins)."""
    admin = server.client("admin")
    pin = "482916"
    staff = admin.post("/api/v1/staff", {"name": "Ana Cors", "role": "staff", "pin": pin})
    assert staff.status == 201, staff.body
    login = Client(server.port).post(
        "/api/v1/auth/login", {"pin": pin}, headers={"Origin": f"http://127.0.0.1:{server.port}"}
    )
    assert login.status == 200, login.body
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    sid = shop_id(server)
    for origin in (f"http://localhost:{server.port}", f"http://127.0.0.1:{server.port}"):
        joined = Client(server.port).post(
            f"/api/v1/shops/{sid}/queue",
            {"full_name": "Alias Test"},
            headers={"Origin": origin, "Cookie": cookie},
        )
        assert joined.status == 201, (origin, joined.body)
        assert joined.headers["access-control-allow-origin"] == origin
    # The same name on another port is another site.
    other = Client(server.port).post(
        f"/api/v1/shops/{sid}/queue",
        {"full_name": "Alias Test"},
        headers={"Origin": f"http://localhost:{server.port + 1}", "Cookie": cookie},
    )
    assert other.status == 403 and "access-control-allow-origin" not in other.headers


async def test_a_socket_from_localhost_on_our_port_is_accepted(server: Server):
    sid = shop_id(server)
    sock = await WS.connect(
        server, f"/ws/queue/{sid}", headers={"Origin": f"http://localhost:{server.port}"}
    )
    try:
        assert (await sock.expect("queue_update"))["shop_id"] == sid
    finally:
        await sock.close()


# ---------------------------------------------------------------- /ws/stats rooms


async def test_ws_stats_rooms_lists_named_rooms_only(server: Server):
    sid = shop_id(server)
    staff = server.token("staff")
    queue = await WS.connect(server, f"/ws/queue/{sid}")
    rooms = await WS.connect(server, "/ws/connect", token=staff)
    try:
        await queue.expect("queue_update")
        await rooms.send({"command": "join_room", "room": "orders"})
        await rooms.wait_for("room_joined")
        body = server.client("staff").get("/ws/stats").body
        assert body["rooms"].get("orders") == 1, body
        for name in body["rooms"]:
            assert name != "*" and not name.startswith(("user:", "queue:", "date:")), body
        assert body["topics"].get(f"queue:{sid}") == 1, body
        assert any(t.startswith("user:") or t == "*" for t in body["topics"]), body
    finally:
        await queue.close()
        await rooms.close()


# ---------------------------------------------------------------- central: count == list


async def test_the_central_monitor_lists_only_the_appointments_it_counts(server: Server):
    shop = await new_shop(server)
    doctor = await new_provider(server, shop["id"])
    day = await today_of(server, shop["id"])
    kept = await book(server, doctor, day)
    dropped = await book(server, doctor, day, name="Carl Bo Dee")
    await ok(server, "PATCH", f"/api/v1/appointments/{dropped['id']}", {"status": "cancelled"})
    monitor = await WS.connect(server, "/api/v1/ws/queue", token=server.token("staff"))
    try:
        await monitor.send({"action": "subscribe", "date": day, "shop_id": shop["id"]})
        data = (await monitor.expect("snapshot"))["data"]
    finally:
        await monitor.close()
    block = next(d for d in data["doctors"] if d["doctor"]["id"] == doctor["id"])
    listed = [a["appointment_id"] for a in block["appointments"]]
    assert listed == [kept["id"]], block
    assert block["total_appointments"] == len(listed) == 1
    assert data["total_appointments"] == sum(len(d["appointments"]) for d in data["doctors"])
    polled = server.client("staff").get(f"/api/v1/monitor?date={day}&shop_id={shop['id']}")
    assert [a["appointment_id"] for a in polled.body["data"]["doctors"][0]["appointments"]] == [
        kept["id"]
    ]


# ---------------------------------------------------------------- a real second origin


class _Foreign(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<!doctype html><title>another site</title><p>seed 001's front end</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def foreign_sites() -> Iterator[list[str]]:
    """Two sites on other 127.0.0.1 ports: one the owner will allow, one not."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Foreign) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


POLL_AND_JOIN = """async ([base, sid, token]) => {
  // Seed 001's fallback: poll the queue over REST; then a kiosk join with a retry key.
  const polled = await (await fetch(`${base}/api/v1/shops/${sid}/queue`)).json();
  const joined = await fetch(`${base}/api/v1/shops/${sid}/queue`, {
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token}`,
              "Idempotency-Key": "browser-1"},
    body: JSON.stringify({full_name: "Cross Origin"}),
  });
  return {polled_type: polled.type, status: joined.status, seq: joined.headers.get("X-Seq"),
          body: await joined.json()};
}"""

POLL_ONLY = """async ([base, sid]) => {
  try { await fetch(`${base}/api/v1/shops/${sid}/queue`); return "read"; }
  catch (e) { return "blocked"; }
}"""


def test_a_page_of_an_allowed_site_polls_and_joins_in_chromium(
    chromium, server: Server, foreign_sites: list[str]
):
    allowed, other = foreign_sites
    admin = server.client("admin")
    current = admin.get("/api/v1/settings").body
    changed = admin.patch(
        "/api/v1/settings", {"allowed_origins": [*current.get("allowed_origins", []), allowed]}
    )
    assert changed.status == 200, changed.body
    sid = shop_id(server)
    context = chromium.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        page.goto(allowed + "/")
        got = page.evaluate(POLL_AND_JOIN, [server.base_url, sid, server.token("kiosk")])
        assert got["polled_type"] == "queue_update", got
        assert got["status"] == 201 and got["body"]["full_name"] == "Cross O.", got
        assert got["seq"] and int(got["seq"]) == got["body"]["seq"], got
        shot(page, "integrators-allowed-origin")

        stranger = context.new_page()
        stranger.goto(other + "/")
        assert stranger.evaluate(POLL_ONLY, [server.base_url, sid]) == "blocked"
    finally:
        context.close()
    # The join went through once, however the browser's preflight went.
    queue = Client(server.port).get(f"/api/v1/shops/{sid}/queue").body
    assert [e["full_name"] for e in queue["queue_items"]] == ["Cross O."], queue
