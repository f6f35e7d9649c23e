"""Webhooks (SPEC §15) against a real receiver on 127.0.0.1: the admin API, the signed
body, retries under the same delivery id, a restart while a delivery is owed, and a
stuck receiver that must not slow the queue."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.kiosk_harness import Server, wait_until
from tests.webhook_receiver import Receiver, verify

pytest_plugins = ("tests.webhook_receiver",)

DELIVERY_WAIT_S = 20


def register(server: Server, url: str, events: list[str], **more: Any) -> dict[str, Any]:
    made = server.client("admin").post("/api/v1/webhooks", {"url": url, "events": events, **more})
    assert made.status == 201, made.body
    return made.body


def new_shop(server: Server) -> int:
    made = server.client("admin").post("/api/v1/shops", {"name": "Hooks", "timezone": "UTC"})
    assert made.status == 201, made.body
    return made.body["id"]


def join(server: Server, shop_id: int, name: str = "Rosa Maria Diaz") -> dict[str, Any]:
    joined = server.client("kiosk").post(
        f"/api/v1/shops/{shop_id}/queue", {"full_name": name, "phone": "555-0101"}
    )
    assert joined.status == 201, joined.body
    return joined.body


def hook_of(server: Server, webhook_id: int) -> dict[str, Any]:
    listed = server.client("admin").get("/api/v1/webhooks").body["webhooks"]
    return next(h for h in listed if h["id"] == webhook_id)


# ---------------------------------------------------------------- the admin API


def test_the_owner_registers_changes_and_removes_webhooks(server: Server, receiver: Receiver):
    admin = server.client("admin")
    assert server.client("staff").get("/api/v1/webhooks").status == 403
    assert server.client().post("/api/v1/webhooks", {"url": receiver.url}).status == 401
    made = register(server, receiver.url, ["queue_joined", "queue_called"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 30
    assert made["events"] == ["queue_called", "queue_joined"] and made["active"] is True
    assert made["include_contact"] is False
    listed = admin.get("/api/v1/webhooks").body
    assert "queue_joined" in listed["event_types"]
    shown = next(h for h in listed["webhooks"] if h["id"] == made["id"])
    assert "secret" not in shown and shown["pending"] == 0  # shown once, never again
    changed = admin.patch(f"/api/v1/webhooks/{made['id']}", {"active": False, "events": ["*"]})
    assert changed.status == 200 and changed.body["active"] is False, changed.body
    assert changed.body["events"] == ["*"] and "secret" not in changed.body
    assert admin.delete(f"/api/v1/webhooks/{made['id']}").status == 200
    assert admin.delete(f"/api/v1/webhooks/{made['id']}").status == 404
    assert admin.patch(f"/api/v1/webhooks/{made['id']}", {"active": True}).status == 404


@pytest.mark.parametrize(
    "body,field_name",
    [
        ({"url": "ftp://x.example/", "events": ["*"]}, "url"),
        ({"url": "http://user:pw@x.example/", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "http://x.example/"}, "events"),
        ({"url": "http://x.example/", "events": []}, "events"),
        ({"url": "http://x.example/", "events": ["Bad Type!"]}, "events"),
        ({"url": "http://x.example/", "events": "queue_joined"}, "events"),
        ({"url": "http://x.example/", "events": ["*"], "active": "yes"}, "active"),
        ({"url": "http://x.example/", "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
def test_bad_webhook_bodies_are_422_naming_the_field(server: Server, body, field_name):
    got = server.client("admin").post("/api/v1/webhooks", body)
    assert got.status == 422 and got.error_code == "invalid_field", got.body
    assert got.body["error"]["details"]["field"] == field_name


# ---------------------------------------------------------------- deliveries


def test_an_event_is_posted_signed_and_redacted(server: Server, receiver: Receiver):
    shop_id = new_shop(server)
    hook = register(server, receiver.url, ["queue_joined"])
    other = register(server, receiver.url, ["queue_called"])  # must not get joins
    entry = join(server, shop_id)
    wait_until(lambda: receiver.seen(), DELIVERY_WAIT_S, message="no delivery")
    got = receiver.got[0]
    body, headers = got["body"], got["headers"]
    assert verify(got, hook["secret"]) and not verify(got, other["secret"])
    assert set(body) == {"id", "seq", "type", "at", "shop_id", "data"}
    assert body["id"] == headers["x-kiosk-delivery"] and body["type"] == "queue_joined"
    assert body["seq"] == entry["seq"] and body["shop_id"] == shop_id
    assert abs(int(headers["x-kiosk-timestamp"]) - time.time()) < 60
    sent = next(e for e in body["data"]["entries"] if e["id"] == entry["id"])
    assert sent["full_name"] == "Rosa D." and sent["phone"] is None  # display-level
    assert b"555-0101" not in got["raw"]
    wait_until(lambda: hook_of(server, hook["id"])["last_status"] == 200, DELIVERY_WAIT_S)
    shown = hook_of(server, hook["id"])
    assert shown["last_success_at"] and shown["recent"][0]["state"] == "delivered"
    assert len(receiver.got) == 1  # the other webhook wanted calls only
    for made in (hook, other):
        server.client("admin").delete(f"/api/v1/webhooks/{made['id']}")


def test_include_contact_lets_contact_data_through(server: Server, receiver: Receiver):
    shop_id = new_shop(server)
    hook = register(server, receiver.url, ["*"], include_contact=True)
    entry = join(server, shop_id, "Lena Sofie Berg")
    wait_until(lambda: receiver.seen(), DELIVERY_WAIT_S, message="no delivery")
    sent = next(e for e in receiver.got[0]["body"]["data"]["entries"] if e["id"] == entry["id"])
    assert sent["full_name"] == "Lena Sofie Berg" and sent["phone"] == "555-0101"
    server.client("admin").delete(f"/api/v1/webhooks/{hook['id']}")


def test_a_failed_delivery_is_retried_with_the_same_id_and_shows_on_admin(
    server: Server, receiver: Receiver
):
    receiver.status = 500
    shop_id = new_shop(server)
    hook = register(server, receiver.url, ["queue_joined"])
    join(server, shop_id)
    wait_until(lambda: len(receiver.seen(500)) >= 2, DELIVERY_WAIT_S, message="no retries")
    shown = hook_of(server, hook["id"])
    assert shown["last_status"] == 500 and "500" in shown["last_error"], shown
    assert shown["pending"] == 1 and shown["recent"][0]["attempts"] >= 1
    receiver.status = 200
    wait_until(lambda: receiver.seen(200), DELIVERY_WAIT_S, message="never delivered")
    assert len({g["headers"]["x-kiosk-delivery"] for g in receiver.got}) == 1
    first, last = receiver.got[0], receiver.got[-1]
    assert first["body"] == last["body"]  # the same delivery, re-signed at each attempt
    assert verify(last, hook["secret"])
    wait_until(lambda: hook_of(server, hook["id"])["pending"] == 0, DELIVERY_WAIT_S)
    server.client("admin").delete(f"/api/v1/webhooks/{hook['id']}")


def test_a_stuck_receiver_never_slows_the_queue(server: Server, receiver: Receiver):
    receiver.hold = threading.Event()  # the receiver takes every request and hangs
    shop_id = new_shop(server)
    hook = register(server, receiver.url, ["queue_joined"])
    try:
        for i in range(5):
            started = time.monotonic()
            join(server, shop_id, f"Quick Person{i} Smith")
            # A delivery in a join's path would hold it for the 10 s receiver timeout.
            assert time.monotonic() - started < 5.0
        assert server.client().get("/api/v1/health").status == 200
    finally:
        receiver.hold.set()
    wait_until(lambda: hook_of(server, hook["id"])["pending"] == 0, DELIVERY_WAIT_S * 2)
    server.client("admin").delete(f"/api/v1/webhooks/{hook['id']}")


@pytest.mark.parametrize("how", ["stop", "crash"])
def test_a_delivery_owed_at_a_restart_is_delivered_after_it(
    fresh_server: Server, receiver: Receiver, how: str
):
    srv = fresh_server.start()
    receiver.status = 503
    shop_id = new_shop(srv)
    hook = register(srv, receiver.url, ["queue_joined"])
    entry = join(srv, shop_id)
    wait_until(lambda: receiver.seen(503), DELIVERY_WAIT_S, message="no first attempt")
    if how == "stop":
        assert srv.stop() == 0  # the delivery is still owed
    else:
        srv.kill()  # SIGKILL: nothing gets to tidy up
    receiver.status = 200
    srv.start()
    wait_until(lambda: receiver.seen(200), DELIVERY_WAIT_S, message="lost at the restart")
    ids = {g["headers"]["x-kiosk-delivery"] for g in receiver.got}
    assert len(ids) == 1, ids
    delivered = receiver.seen(200)[0]
    assert delivered["body"]["seq"] == entry["seq"] and verify(delivered, hook["secret"])
    assert srv.stop() == 0


def test_a_paused_webhook_is_owed_nothing_until_resumed(server: Server, receiver: Receiver):
    shop_id = new_shop(server)
    hook = register(server, receiver.url, ["queue_joined"], active=False)
    join(server, shop_id, "Paused Time Person")
    assert hook_of(server, hook["id"])["pending"] == 0  # written with the join, or never
    admin = server.client("admin")
    assert admin.patch(f"/api/v1/webhooks/{hook['id']}", {"active": True}).status == 200
    later = join(server, shop_id, "Resumed Time Person")
    wait_until(lambda: receiver.seen(), DELIVERY_WAIT_S, message="no delivery after resuming")
    assert [g["body"]["seq"] for g in receiver.got] == [later["seq"]]
    admin.delete(f"/api/v1/webhooks/{hook['id']}")
