"""REST at its edges (issue "Correctness at the edges"): the audit trail lists actions,
not integrators' chatter, and refuses a seq it cannot hold."""

from __future__ import annotations

from tests.inprocess import Kiosk
from tests.ws_client import API, new_shop, ok, relay


async def test_the_audit_trail_leaves_out_relayed_events(inprocess_app: Kiosk):
    shop = await new_shop(inprocess_app)
    for n in range(3):
        await relay(inprocess_app, "order_created", room="orders", data={"n": n})
    trail = await ok(inprocess_app, "GET", f"{API}/audit?limit=50", role="admin")
    types = [e["type"] for e in trail]
    assert "order_created" not in types
    assert "shop_created" in types and trail[0]["seq"] >= shop.get("seq", 0)


async def test_a_huge_before_is_a_422_not_a_500(inprocess_app: Kiosk):
    for before in ("9" * 40, "12345678901234567", "-1", "1e9"):
        resp = await inprocess_app.request("GET", f"{API}/audit?before={before}", role="admin")
        assert resp.status == 422, (before, resp.status, resp.raw[:200])
        assert resp.body["error"]["details"]["field"] == "before"
    fine = await inprocess_app.request("GET", f"{API}/audit?before=999999999999999", role="admin")
    assert fine.status == 200


async def test_the_appliance_qr_codes_are_drawn_once_per_address(inprocess_app: Kiosk):
    from kiosk.http import api_devices

    first = await ok(inprocess_app, "GET", f"{API}/appliance?shop=1", role="admin")
    hits = api_devices._qr_svg.cache_info().hits
    second = await ok(inprocess_app, "GET", f"{API}/appliance?shop=1", role="admin")
    assert second["qr_svg"] == first["qr_svg"]
    assert api_devices._qr_svg.cache_info().hits == hits + 3  # kiosk, join and display
