"""Endpoints the pages need besides SPEC §3's table: the appliance's own address, the
owner's full provider list, and the central monitor as plain JSON (polling fallback)."""

from __future__ import annotations


def test_appliance_tells_the_address_tablets_should_open(server):
    body = server.client().get("/api/v1/appliance?shop=2").body
    assert body["urls"]["kiosk"].endswith("/kiosk?shop=2")
    assert body["urls"]["display"].startswith(body["base_url"])
    # The PC's browser is on 127.0.0.1, which a tablet cannot open: a LAN address
    # (or, with no network at all, loopback as the last resort) is offered instead.
    assert body["base_url"].startswith("http://")
    assert "<svg" in body["qr_svg"]["kiosk"] and "<svg" in body["qr_svg"]["display"]
    # Customers' phones have their own page (SPEC §9), with a QR code for a poster.
    assert body["urls"]["join"] == f"{body['base_url']}/join?shop=2"
    assert "<svg" in body["qr_svg"]["join"]


def test_retired_providers_are_listed_for_staff_and_the_owner_only(server):
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "Retire Shop", "timezone": "UTC"}).body["id"]
    keep = admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Keep"}).body
    gone = admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Gone"}).body
    assert admin.delete(f"/api/v1/providers/{gone['id']}").status == 200
    public = server.client().get(f"/api/v1/shops/{shop}/providers").body
    assert [p["id"] for p in public] == [keep["id"]]
    everyone = admin.get(f"/api/v1/shops/{shop}/providers?include_inactive=1").body
    assert {p["id"]: p["active"] for p in everyone} == {keep["id"]: True, gone["id"]: False}
    # Staff screens name a retired provider's tickets (issue 13); a kiosk has no need.
    staff = server.client("staff").get(f"/api/v1/shops/{shop}/providers?include_inactive=1")
    assert staff.status == 200 and {p["id"] for p in staff.body} == {keep["id"], gone["id"]}
    refused = server.client("kiosk").get(f"/api/v1/shops/{shop}/providers?include_inactive=1")
    assert refused.status == 403
    # ... and the owner can bring one back.
    assert admin.patch(f"/api/v1/providers/{gone['id']}", {"active": True}).body["active"]


def test_monitor_snapshot_is_seed_002_shaped_and_needs_staff(server):
    admin = server.client("admin")
    staff = server.client("staff")
    shop = admin.post("/api/v1/shops", {"name": "Monitor Shop", "timezone": "UTC"}).body["id"]
    doctor = admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Dr. Poll"}).body
    today = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    staff.post(
        "/api/v1/appointments",
        {
            "provider_id": doctor["id"],
            "date": today,
            "patient": {"name": "Polly Pocket", "phone": "555"},
        },
    )
    body = staff.get(f"/api/v1/monitor?date={today}&shop_id={shop}").body
    data = body["data"]
    assert body["seq"] >= 1 and data["date"] == today and data["total_doctors"] == 1
    block = data["doctors"][0]
    assert block["doctor"]["name"] == "Dr. Poll" and block["total_appointments"] == 1
    assert block["appointments"][0]["patient"]["name"] == "Polly Pocket"
    assert server.client().get(f"/api/v1/monitor?date={today}").status == 401
    bad = staff.get("/api/v1/monitor?date=tomorrow")
    assert bad.status == 422 and bad.body["error"]["details"]["field"] == "date"
