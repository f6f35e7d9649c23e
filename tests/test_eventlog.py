"""The event row: one per use case, with actor, topics and the full changed resources."""

from __future__ import annotations

import sqlite3

import orjson

from tests.kiosk_harness import make_token


def _events(server, after: int = 0) -> list[dict]:
    conn = sqlite3.connect(f"file:{server.data_dir / 'kiosk.sqlite3'}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT seq, at, shop_id, type, actor, topics, data FROM event WHERE seq > ? "
            "ORDER BY seq",
            (after,),
        ).fetchall()
        topics = conn.execute(
            "SELECT seq, topic FROM event_topic WHERE seq > ? ORDER BY seq, topic", (after,)
        ).fetchall()
    finally:
        conn.close()
    index: dict[int, list[str]] = {}
    for seq, topic in topics:
        index.setdefault(seq, []).append(topic)
    return [
        {
            "seq": s,
            "at": at,
            "shop_id": shop,
            "type": t,
            "actor": orjson.loads(a),
            "topics": orjson.loads(tp),
            "data": orjson.loads(d),
            "indexed": index.get(s, []),
        }
        for s, at, shop, t, a, tp, d in rows
    ]


def test_each_write_appends_exactly_one_rich_event(server):
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "Event Shop", "timezone": "Europe/Berlin"}).body
    start = shop["seq"]
    token = make_token(server.data_dir, "staff", "Chair 2 tablet")
    staff = server.client()
    staff.token = token
    joined = staff.post(
        f"/api/v1/shops/{shop['id']}/queue", {"full_name": "Eve Adams", "phone": "555-0199"}
    ).body
    called = staff.post(f"/api/v1/shops/{shop['id']}/queue/call-next").body

    events = _events(server, start)
    assert [e["seq"] for e in events] == [joined["seq"], called["seq"]]
    join_event, call_event = events
    assert join_event["type"] == "queue_joined"
    assert join_event["shop_id"] == shop["id"]
    assert join_event["actor"]["role"] == "staff"
    assert join_event["actor"]["name"] == "Chair 2 tablet"
    assert join_event["actor"]["token_id"] is not None
    assert join_event["actor"]["address"] == "127.0.0.1"
    assert f"queue:{shop['id']}" in join_event["topics"]
    assert any(t.startswith("date:") for t in join_event["topics"])
    assert join_event["indexed"] == sorted(join_event["topics"])
    # Full, unredacted resources; the claim is never logged.
    entry = join_event["data"]["entries"][0]
    assert entry["full_name"] == "Eve Adams" and entry["phone"] == "555-0199"
    assert "claim" not in orjson.dumps(join_event).decode()
    assert join_event["data"]["version"] >= 1
    assert call_event["type"] == "queue_called"
    assert call_event["data"]["entries"][0]["status"] == "CALLED"
    assert call_event["data"]["version"] == join_event["data"]["version"] + 1
    # Times carry an offset; event times are UTC.
    assert join_event["at"].endswith("+00:00")
    assert entry["checked_in_at"][-6] in "+-"


def test_a_failed_write_appends_nothing(server):
    staff = server.client("staff")
    before = _events(server)[-1]["seq"]
    resp = staff.patch("/api/v1/queue/999999", {"status": "CALLED"})
    assert resp.status == 404
    resp = staff.post("/api/v1/shops/1/queue", {"full_name": "X", "provider_id": 99999})
    assert resp.status == 422
    assert _events(server, before) == []
