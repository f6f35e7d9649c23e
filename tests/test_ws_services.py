"""Every dialect that carries queue entries carries `service_id` and `priority` (SPEC §10),
and a display-level socket never learns which tickets have priority."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.ws_client import API, WS, join, new_shop, ok, today_of

SERVER_ARGS = ("--refresh", "3600")


async def open_all(server, shop_id: int, day: str, token: str | None) -> dict[str, WS]:
    """A socket of every dialect that shows a shop's tickets, as one audience."""
    socks = {
        "queue_000": await WS.connect(server, f"/ws/queue/{shop_id}", token),
        "queue_001": await WS.connect(server, f"/ws/queue/{shop_id}/", token),
        "rooms": await WS.connect(server, "/ws/connect", token),
        "channels": await WS.connect(server, f"/ws?token={token or server.token('display')}"),
        "central": await WS.connect(server, "/api/v1/ws/queue", token),
    }
    await socks["rooms"].send({"command": "join_room", "room": f"queue:{shop_id}"})
    await socks["rooms"].wait_for("room_joined")
    await socks["channels"].send(
        {"type": "subscribe", "payload": {"channels": [f"queue:{shop_id}"]}}
    )
    await socks["channels"].wait_for("subscribed")
    await socks["central"].send({"action": "subscribe", "date": day, "shop_id": shop_id})
    await socks["central"].wait_for("snapshot")
    return socks


async def seen_by(socks: dict[str, WS], entry_id: int, seq: int) -> dict[str, list[dict[str, Any]]]:
    """The entry as each socket's messages about that write show it."""

    def later(m: dict[str, Any], type: str) -> bool:
        return m.get("type") == type and (m.get("seq") or 0) >= seq

    def entries(message: dict[str, Any]) -> list[dict[str, Any]]:
        body = message.get("payload") or message.get("data") or message
        if "queue_item" in body:
            return [body["queue_item"]]
        if "unassigned" in body:
            return [e for e in body["unassigned"] if e["entry_id"] == entry_id]
        if "queue_items" in body:
            return [e for e in body["queue_items"] if e["id"] == entry_id]
        return [body] if body.get("id") == entry_id else []

    shown: dict[str, list[dict[str, Any]]] = {}
    for name, sock in socks.items():
        types = {"queue_000": ["queue_update"], "central": ["update"]}.get(
            name, ["new_entry", "queue_update"]
        )
        shown[name] = []
        for type in types:
            message = (await sock.until(lambda m, t=type: later(m, t), what=f"{name} {type}"))[-1]
            shown[name] += entries(message)
    return shown


async def test_every_dialect_carries_service_and_priority_and_hides_priority_from_displays(
    server,
):
    shop = await new_shop(server)
    service = await ok(
        server,
        "POST",
        f"{API}/shops/{shop['id']}/services",
        {"name": "Check-up", "minutes": 15},
        role="admin",
    )
    day = await today_of(server, shop["id"])
    staff = await open_all(server, shop["id"], day, server.token("staff"))
    display = await open_all(server, shop["id"], day, None)
    try:
        joined = await join(
            server, shop["id"], "Vera Elder", role="staff", service_id=service["id"], priority=True
        )
        for audience, socks, priority in ((staff, staff, True), (display, display, None)):
            shown = await seen_by(socks, joined["id"], joined["seq"])
            for name, found in shown.items():
                assert found, (name, audience is staff)
                for entry in found:
                    assert entry["service_id"] == service["id"], (name, entry)
                    assert entry["priority"] is priority, (name, entry)
    finally:
        await asyncio.gather(*(s.close() for s in (*staff.values(), *display.values())))
