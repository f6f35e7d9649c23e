"""The staff screens in a real browser: /staff, /monitor and /admin against a real server.

Every test makes its own shop (pages take `?shop=ID`), so tests do not see each
other's tickets. Pages are real headless Chromium (tests/browser.py); the server is
the real appliance in a subprocess (tests/kiosk_harness.py). Waits are conditions
with timeouts, never sleeps.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.browser import XSS, Pages, shot
from tests.kiosk_harness import Server, wait_until

# The fixtures `chromium` (one browser for the session) and `pages`.
pytest_plugins = ("tests.browser",)

_names = itertools.count(1)


# ---------------------------------------------------------------- fixtures and helpers


@dataclass
class Shop:
    server: Server
    id: int
    providers: list[dict[str, Any]] = field(default_factory=list)
    claims: dict[int, str] = field(default_factory=dict)

    @property
    def staff(self):
        return self.server.client("staff")

    def join(self, name: str, provider_id: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"full_name": name}
        if provider_id is not None:
            body["provider_id"] = provider_id
        r = self.staff.post(f"/api/v1/shops/{self.id}/queue", body)
        assert r.status == 201, r.body
        self.claims[r.body["id"]] = r.body["claim"]
        return r.body

    def queue(self) -> dict[str, Any]:
        r = self.staff.get(f"/api/v1/shops/{self.id}/queue")
        assert r.status == 200, r.body
        return r.body

    def waiting_ids(self) -> list[int]:
        line = [e for e in self.queue()["queue_items"] if e["status"] == "CHECKED_IN"]
        return [e["id"] for e in sorted(line, key=lambda e: e["position_in_queue"])]

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        return next((e for e in self.queue()["queue_items"] if e["id"] == entry_id), None)

    def ticket_status(self, entry_id: int) -> str:
        r = self.server.client().get(f"/api/v1/tickets/{self.claims[entry_id]}")
        assert r.status == 200, r.body
        return r.body["status"]

    def today(self) -> str:
        return self.queue()["appointments_today"]["date"]

    def book(self, provider_id: int, name: str, hhmm: str) -> dict[str, Any]:
        day = self.today()
        r = self.staff.post(
            "/api/v1/appointments",
            {
                "provider_id": provider_id,
                "date": day,
                "starts_at": f"{day}T{hhmm}:00+00:00",
                "patient": {"name": name, "phone": "+1 555 0100", "age": 40, "gender": "female"},
            },
        )
        assert r.status == 201, r.body
        return r.body


def new_shop(server: Server, providers: tuple[str, ...] = ("Bob Barber", "Alice Cutter")) -> Shop:
    admin = server.client("admin")
    r = admin.post("/api/v1/shops", {"name": f"Test Shop {next(_names)}"})
    assert r.status == 201, r.body
    shop = Shop(server, r.body["id"])
    for i, name in enumerate(providers):
        p = admin.post(
            f"/api/v1/shops/{shop.id}/providers",
            {"name": name, "code": f"P{i + 1}", "specialty": "Cuts"},
        )
        assert p.status == 201, p.body
        shop.providers.append(p.body)
    return shop


def open_staff(pages: Pages, shop: Shop, **kw: Any):
    page = pages.open(f"/staff?shop={shop.id}", role="staff", **kw)
    page.wait_for_function("() => window.__staff && window.__staff.queue !== null")
    return page


def open_monitor(pages: Pages, shop: Shop, **kw: Any):
    page = pages.open(f"/monitor?shop={shop.id}", role="staff", **kw)
    page.wait_for_function("() => window.__monitor && window.__monitor.data !== null")
    return page


def row_ids(page) -> list[int]:
    """The waiting rows of /staff in screen order (the drag clone lives on <body>)."""
    return page.eval_on_selector_all("#waiting > .row", "rs => rs.map(r => Number(r.dataset.id))")


def row_numbers(page) -> dict[int, str]:
    return dict(
        page.eval_on_selector_all(
            "#waiting > .row",
            "rs => rs.map(r => [Number(r.dataset.id), r.querySelector('.pos').textContent])",
        )
    )


def wait_rows(page, ids: list[int], timeout: float = 5000) -> None:
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('#waiting > .row')]"
        ".map(r => Number(r.dataset.id))) === JSON.stringify(ids)",
        arg=ids,
        timeout=timeout,
    )


def center(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def top_edge(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.25


def bottom_edge(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75


def mouse_drag(page, entry_id: int, to: tuple[float, float], mid_order: list[int], during=None):
    """Press the grip of a row, move to `to`, wait until the list shows `mid_order`
    (the drop is not done yet), run `during()`, release."""
    x, y = center(page, f'#waiting > .row[data-id="{entry_id}"] .grip')
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 8, steps=3)  # past the 3 px tolerance: the drag starts
    page.mouse.move(*to, steps=15)
    wait_rows(page, mid_order)
    if during:
        during()
    page.mouse.up()


class Touch:
    """Raw touch events through the DevTools protocol (what a tablet's finger sends)."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)

    def _send(self, kind: str, x: float | None = None, y: float | None = None) -> None:
        points = (
            [] if x is None else [{"x": x, "y": y, "radiusX": 5, "radiusY": 5, "force": 1, "id": 1}]
        )
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def drag(
        self, page, start: tuple[float, float], to: tuple[float, float], mid_order, during=None
    ):
        x, y = start
        self._send("touchStart", x, y)
        for i in range(1, 16):
            self._send("touchMove", x + (to[0] - x) * i / 15, y + (to[1] - y) * i / 15)
        wait_rows(page, mid_order)
        if during:
            during()
        self._send("touchEnd")


# ---------------------------------------------------------------- live updates


def test_a_join_shows_on_staff_and_monitor_within_a_second(server, pages):
    shop = new_shop(server)
    staff = open_staff(pages, shop)
    monitor = open_monitor(pages, shop, size="tv")

    started = time.monotonic()
    entry = shop.join("Zed Newcomer", shop.providers[0]["id"])
    # Both pages were already live: the join must reach each within one second.
    staff.wait_for_function(
        'id => !!document.querySelector(`#waiting > .row[data-id="${id}"]`)',
        arg=entry["id"],
        timeout=1000,
    )
    monitor.wait_for_function(
        'id => !!document.querySelector(`#doctors [data-entry-id="${id}"]`)',
        arg=entry["id"],
        timeout=max(1, int(1000 - (time.monotonic() - started) * 1000)),
    )
    assert time.monotonic() - started < 1.0

    row = staff.locator(f'#waiting > .row[data-id="{entry["id"]}"]')
    assert row.locator(".name").text_content() == "Zed Newcomer"
    assert row.locator(".ticket").text_content() == entry["ticket"]
    assert row.locator(".pos").text_content() == "1"
    # seed 001's new_entry, told in the Waiting panel's join notice (issue 13)
    staff.locator("#join-notice", has_text=f"{entry['ticket']} Zed Newcomer joined").wait_for(
        timeout=2000
    )
    chip = monitor.locator(
        f'#doctors [data-provider-id="{shop.providers[0]["id"]}"] [data-entry-id="{entry["id"]}"]'
    )
    assert "Zed Newcomer" in chip.text_content()
    assert pages.problems(staff, monitor) == {}


def test_monitor_shows_appointments_per_provider_and_check_in_live(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    a1 = shop.book(bob["id"], "Ann Lee", "09:30")
    shop.book(bob["id"], "Sue Ray", "10:00")
    shop.book(alice["id"], "Tom Hardy", "11:00")
    walk = shop.join("Walter Walkin")  # for anyone
    monitor = open_monitor(pages, shop, size="tv")
    staff = open_staff(pages, shop)

    bob_card = monitor.locator(f'#doctors [data-provider-id="{bob["id"]}"]')
    assert bob_card.locator(".doc-name").text_content() == "Bob Barber"
    assert bob_card.locator("tbody tr").count() == 2
    assert bob_card.locator(".doc-checked").text_content() == "0"
    assert monitor.locator("#st-appts").text_content() == "3"
    assert (
        "Walter Walkin"
        in monitor.locator(f'#unassigned [data-entry-id="{walk["id"]}"]').text_content()
    )

    # Check in from /staff's appointment list; the monitor follows.
    staff.locator(f'[data-appointment-id="{a1["id"]}"] [data-action="checkin"]').click()
    wait_until(
        lambda: any(
            a["id"] == a1["id"] and a["status"] == "checked_in"
            for a in shop.staff.get(f"/api/v1/appointments?shop_id={shop.id}").body
        ),
        timeout=5,
        message="the check-in did not reach the server",
    )
    bob_card.locator(".doc-checked", has_text="1").wait_for(timeout=2000)
    row = bob_card.locator(f'tr[data-appointment-id="{a1["id"]}"]')
    row.locator(".badge", has_text="Checked in").wait_for(timeout=2000)
    assert row.locator("td.q .ticket").text_content().startswith("B")
    assert pages.problems(staff, monitor) == {}


def test_notifications_become_toasts_on_staff(server, pages):
    shop = new_shop(server)
    staff = open_staff(pages, shop)
    staff.wait_for_function("() => window.__staff.rooms && window.__staff.rooms.connected")
    r = shop.staff.post(
        "/api/v1/events",
        {
            "type": "notification",
            "severity": "warning",
            "data": {"message": "Chair 3 is out of towels"},
        },
    )
    assert r.status == 201, r.body
    staff.locator(".qk-toast-warning", has_text="Chair 3 is out of towels").wait_for(timeout=2000)
    assert pages.problems(staff) == {}


# ---------------------------------------------------------------- drag and drop


def test_mouse_drag_reorders_renumbers_live_and_reaches_other_screens(server, pages):
    shop = new_shop(server)
    ids = [shop.join(n)["id"] for n in ("Ada One", "Ben Two", "Cy Three", "Di Four")]
    staff = open_staff(pages, shop)
    other = open_staff(pages, shop, size="phone")
    display = (
        pages.open(f"/display?shop={shop.id}", size="tv") if _has_page(server, "/display") else None
    )
    assert row_ids(staff) == ids
    assert list(row_numbers(staff).values()) == ["1", "2", "3", "4"]

    expected = [ids[3], ids[0], ids[1], ids[2]]

    def mid_drag():
        # Still holding the mouse: the numbers already follow the new order.
        numbers = row_numbers(staff)
        assert [numbers[i] for i in expected] == ["1", "2", "3", "4"], numbers
        assert shop.waiting_ids() == ids  # nothing sent before the drop
        shot(staff, "staff-tablet-dragging")

    mouse_drag(
        staff, ids[3], top_edge(staff, f'#waiting > .row[data-id="{ids[0]}"]'), expected, mid_drag
    )

    wait_until(lambda: shop.waiting_ids() == expected, timeout=5, message="server order unchanged")
    wait_rows(other, expected)
    assert [
        other.locator(f'#waiting > .row[data-id="{i}"] .pos').text_content() for i in expected
    ] == ["1", "2", "3", "4"]
    if display is not None:
        tickets = [shop.entry(i)["ticket"] for i in expected]
        display.wait_for_function(
            "t => JSON.stringify([...document.querySelectorAll('#next li .ticket')]"
            ".map(e => e.textContent).slice(0, t.length)) === JSON.stringify(t)",
            arg=tickets,
            timeout=5000,
        )
    wait_rows(staff, expected)
    assert staff.locator("#order-notice").is_hidden()
    assert pages.problems(staff, other) == {}


def _has_page(server: Server, path: str) -> bool:
    return server.client().get(path).status == 200


def test_touch_drag_reorders_on_a_tablet(server, pages):
    shop = new_shop(server)
    ids = [shop.join(n)["id"] for n in ("Ada One", "Ben Two", "Cy Three", "Di Four")]
    ctx = pages.context("tablet", has_touch=True, is_mobile=False)
    staff = open_staff(pages, shop, context=ctx)
    watcher = open_staff(pages, shop)

    # Finger on the first row's grip, drag it below the third row.
    expected = [ids[1], ids[2], ids[0], ids[3]]

    def mid_drag():
        numbers = row_numbers(staff)
        assert [numbers[i] for i in expected] == ["1", "2", "3", "4"], numbers

    Touch(staff).drag(
        staff,
        center(staff, f'#waiting > .row[data-id="{ids[0]}"] .grip'),
        bottom_edge(staff, f'#waiting > .row[data-id="{ids[2]}"]'),
        expected,
        mid_drag,
    )
    wait_until(lambda: shop.waiting_ids() == expected, timeout=5, message="server order unchanged")
    wait_rows(watcher, expected)
    assert pages.problems(staff, watcher) == {}


def test_drag_in_a_provider_view_splices_into_the_whole_line(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    a = shop.join("Ada Bob", bob["id"])["id"]
    b = shop.join("Ben Alice", alice["id"])["id"]
    c = shop.join("Cy Anyone")["id"]
    d = shop.join("Di Bob", bob["id"])["id"]
    staff = open_staff(pages, shop)
    staff.select_option("#view", str(bob["id"]))
    wait_rows(staff, [a, c, d])  # Bob's and unassigned tickets only
    assert list(row_numbers(staff).values()) == ["1", "3", "4"]  # shop-wide positions

    def mid_drag():
        numbers = row_numbers(staff)
        assert [numbers[i] for i in (d, a, c)] == ["1", "3", "4"], numbers

    mouse_drag(staff, d, top_edge(staff, f'#waiting > .row[data-id="{a}"]'), [d, a, c], mid_drag)
    # Alice's ticket keeps its place (2); Bob's view took slots 1, 3, 4 in its new order.
    wait_until(
        lambda: shop.waiting_ids() == [d, b, a, c], timeout=5, message=str(shop.waiting_ids())
    )
    assert pages.problems(staff) == {}


def test_stale_reorder_shows_the_conflict_and_the_server_order(server, pages):
    shop = new_shop(server)
    a, b, c = (shop.join(n)["id"] for n in ("Ada One", "Ben Two", "Cy Three"))
    staff = open_staff(pages, shop)
    version_before = staff.evaluate("() => window.__staff.queue.version")

    def someone_else_reorders():
        # Another screen reorders while this one is still dragging.
        q = shop.queue()
        r = shop.staff.put(
            f"/api/v1/shops/{shop.id}/queue/order",
            {"entry_ids": [b, a, c], "version": q["version"]},
        )
        assert r.status == 200, r.body
        # This page hears about it, but holds it until the drop.
        staff.wait_for_function("() => window.__staff.parked !== null", timeout=3000)

    mouse_drag(
        staff,
        c,
        top_edge(staff, f'#waiting > .row[data-id="{a}"]'),
        [c, a, b],
        someone_else_reorders,
    )

    notice = staff.locator("#order-notice")
    notice.wait_for(state="visible", timeout=5000)
    assert "changed the queue" in notice.text_content()
    wait_rows(staff, [b, a, c])  # the server's order, not ours
    shot(staff, "staff-tablet-conflict")
    assert list(row_numbers(staff).values()) == ["1", "2", "3"]
    assert shop.waiting_ids() == [b, a, c]
    assert staff.evaluate("() => window.__staff.queue.version") > version_before
    assert pages.problems(staff) == {}


# ---------------------------------------------------------------- buttons


def test_buttons_change_the_server_state(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    first = shop.join("Ada First")["id"]
    second = shop.join("Ben Second")["id"]
    third = shop.join("Cy Third")["id"]
    staff = open_staff(pages, shop)

    def card(entry_id: int):
        return staff.locator(f'#serving > .card[data-id="{entry_id}"]')

    def row(entry_id: int):
        return staff.locator(f'#waiting > .row[data-id="{entry_id}"]')

    # Call next: the first in line is called.
    staff.click("#call-next")
    wait_until(lambda: shop.entry(first)["status"] == "CALLED", timeout=5, message="call next")
    card(first).wait_for(timeout=2000)
    # Start, then complete.
    card(first).locator('[data-action="start"]').click()
    wait_until(lambda: shop.entry(first)["status"] == "IN_SERVICE", timeout=5, message="start")
    card(first).locator('[data-action="complete"]:visible').wait_for(timeout=2000)
    card(first).locator('[data-action="complete"]').click()
    wait_until(lambda: shop.ticket_status(first) == "COMPLETED", timeout=5, message="complete")
    card(first).wait_for(state="detached", timeout=2000)

    # Call a chosen ticket out of order, recall it, then no-show it.
    row(third).locator('[data-action="call"]').click()
    wait_until(lambda: shop.entry(third)["status"] == "CALLED", timeout=5, message="call chosen")
    card(third).locator('[data-action="recall"]').click()
    wait_until(lambda: shop.waiting_ids()[0] == third, timeout=5, message="recall puts it first")
    wait_rows(staff, [third, second])
    row(third).locator("details.more > summary").click()
    row(third).locator('[data-action="noshow"]').click()
    wait_until(lambda: shop.ticket_status(third) == "NO_SHOW", timeout=5, message="no-show")
    wait_rows(staff, [second])

    # Move to another provider.
    row(second).locator("details.more > summary").click()
    shot(staff, "staff-tablet-menu")
    row(second).locator("select.move").select_option(str(alice["id"]))
    wait_until(lambda: shop.entry(second)["provider_id"] == alice["id"], timeout=5, message="move")
    row(second).locator(".meta", has_text="Alice Cutter").wait_for(timeout=2000)

    # Start straight from the line, then "left".
    row(second).locator('[data-action="start"]').click()
    wait_until(
        lambda: shop.entry(second)["status"] == "IN_SERVICE", timeout=5, message="start from line"
    )
    card(second).locator("details.more > summary").click()
    card(second).locator('[data-action="left"]').click()
    wait_until(lambda: shop.ticket_status(second) == "LEFT", timeout=5, message="left")

    # Add a walk-in for Bob.
    staff.fill("#walkin-name", "Wanda Walkin")
    staff.select_option("#walkin-provider", str(bob["id"]))
    staff.click("#walkin-add")
    wait_until(
        lambda: any(e["full_name"] == "Wanda Walkin" for e in shop.queue()["queue_items"]),
        timeout=5,
        message="walk-in",
    )
    added = next(e for e in shop.queue()["queue_items"] if e["full_name"] == "Wanda Walkin")
    assert added["provider_id"] == bob["id"] and added["source"] == "walk_in"
    staff.locator("#waiting > .row .name", has_text="Wanda Walkin").wait_for(timeout=2000)
    assert staff.input_value("#walkin-name") == ""

    # Call next in Bob's view: calls Bob's (or anyone's) first ticket, for Bob.
    staff.select_option("#view", str(bob["id"]))
    assert "Bob Barber" in staff.text_content("#call-next")
    staff.click("#call-next")
    wait_until(
        lambda: shop.entry(added["id"])["status"] == "CALLED",
        timeout=5,
        message="call next for Bob",
    )
    # Nobody left: the button is disabled and says so by being greyed out.
    staff.wait_for_function("() => document.querySelector('#call-next').disabled", timeout=2000)
    assert pages.problems(staff) == {}


def test_failed_action_shows_a_toast(server, pages):
    shop = new_shop(server)
    entry = shop.join("Ada Gone")["id"]
    staff = open_staff(pages, shop)
    row = staff.locator(f'#waiting > .row[data-id="{entry}"]')
    # The ticket leaves (another screen) but this page's click races ahead of the update.
    staff.evaluate("() => { window.__staff.drag = {hold: true}; }")  # hold rendering
    assert shop.staff.patch(f"/api/v1/queue/{entry}", {"status": "LEFT"}).status == 200
    row.locator('[data-action="call"]').click()
    toast = staff.locator(".qk-toast-error", has_text="failed")
    toast.wait_for(timeout=3000)
    # It says what went wrong, in the page's own words for the error code (SPEC §14).
    assert "Call A001 failed" in toast.text_content()
    assert "already moved on" in toast.text_content()
    assert shop.ticket_status(entry) == "LEFT"
    staff.evaluate("() => { window.__staff.drag = null; }")


# ---------------------------------------------------------------- safety and looks


def test_customer_markup_is_shown_as_text(server, pages):
    shop = new_shop(server)
    staff = open_staff(pages, shop)
    monitor = open_monitor(pages, shop)
    entry = shop.join(XSS, shop.providers[0]["id"])
    name = staff.locator(f'#waiting > .row[data-id="{entry["id"]}"] .name')
    name.wait_for(timeout=3000)
    assert name.text_content() == XSS
    chip = monitor.locator(f'#doctors [data-entry-id="{entry["id"]}"] .n')
    chip.wait_for(timeout=3000)
    assert chip.text_content() == XSS
    shop.book(shop.providers[1]["id"], XSS, "12:00")
    staff.locator("#appts .name", has_text=XSS).wait_for(timeout=3000)
    monitor.locator("td.patient", has_text=XSS).wait_for(timeout=3000)
    staff.locator("#join-notice", has_text=XSS).wait_for(timeout=3000)
    for page in (staff, monitor):
        assert page.locator("img").count() == 0
        assert page.evaluate("() => document.body.innerHTML.includes('<img')") is False
    assert pages.problems(staff, monitor) == {}


def _busy_shop(server: Server) -> Shop:
    shop = new_shop(server, ("Bob Barber", "Alice Cutter", "Dr. Priya Raman"))
    bob, alice, priya = shop.providers
    names = [
        "John Doe",
        "Jane Smith",
        XSS,
        "Mary Johnson",
        "Peter Parker",
        "Maximilian Alexander Featherstonehaugh",
        "Li Wei",
    ]
    owners = [None, bob["id"], alice["id"], None, bob["id"], priya["id"], None]
    entries = [shop.join(n, p) for n, p in zip(names, owners, strict=True)]
    shop.staff.post(f"/api/v1/shops/{shop.id}/queue/call-next", {"provider_id": bob["id"]})
    called = shop.staff.post(
        f"/api/v1/shops/{shop.id}/queue/call-next", {"provider_id": alice["id"]}
    )
    shop.staff.patch(f"/api/v1/queue/{called.body['id']}", {"status": "IN_SERVICE"})
    for who, hhmm, p in [
        ("Ann Lee", "09:30", bob),
        ("Sue Ray", "10:00", alice),
        ("Tom Hardy", "10:30", priya),
        ("Olga Petrova", "11:15", bob),
    ]:
        appt = shop.book(p["id"], who, hhmm)
        if who == "Sue Ray":
            shop.staff.post("/api/v1/checkins", {"appointment_id": appt["id"]})
    assert entries
    return shop


@pytest.mark.parametrize("size", ["tablet", "phone", "tv"])
def test_screenshots_and_layout(server, pages, size):
    shop = _busy_shop(server)
    for name in ("staff", "monitor", "admin"):
        role = "admin" if name == "admin" else "staff"
        page = pages.open(f"/{name}?shop={shop.id}", size=size, role=role)
        ready = {
            "staff": "() => document.querySelectorAll('#waiting > .row').length === 6",
            "monitor": "() => document.querySelectorAll('#doctors .doctor').length === 3",
            "admin": "() => document.querySelectorAll('#plist .prow').length === 3"
            " && !!document.querySelector('#qr-join svg')",
        }[name]
        page.wait_for_function(ready, timeout=5000)
        # Nothing sticks out sideways (a phone must never scroll horizontally).
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"/{name} at {size} is {overflow}px too wide"
        shot(page, f"{name}-{size}", full_page=True)
        assert pages.problems(page) == {}


def test_admin_manages_providers_and_shows_codes(server, pages):
    shop = new_shop(server, ("Bob Barber",))
    admin = pages.open(f"/admin?shop={shop.id}", role="admin")
    admin.wait_for_function("() => document.querySelectorAll('#plist .prow').length === 1")
    # QR codes encode this shop's join page (phones) and display, at the address the
    # appliance says devices reach it (its LAN address, not this browser's 127.0.0.1).
    appliance = server.client().get(f"/api/v1/appliance?shop={shop.id}").body
    join_qr = admin.get_attribute("#qr-join svg", "data-qr-text")
    assert join_qr == appliance["urls"]["join"]
    assert admin.get_attribute("#qr-display svg", "data-qr-text") == appliance["urls"]["display"]
    # Only when the appliance found no LAN address is the owner warned about loopback.
    assert admin.locator("#loopback-warn").is_visible() == appliance["base_url"].startswith(
        "http://127."
    )
    if not admin.locator("#address").is_visible():
        admin.click("#address-box summary")
    admin.fill("#address", "192.168.1.20:8000")
    assert (
        admin.get_attribute("#qr-join svg", "data-qr-text")
        == f"http://192.168.1.20:8000/join?shop={shop.id}"
    )
    assert admin.locator("#loopback-warn").is_hidden()

    def providers() -> list[dict[str, Any]]:
        return shop.staff.get(f"/api/v1/shops/{shop.id}/providers").body

    # Add
    admin.fill('#add-form input[name="name"]', "Carla Comb")
    admin.fill('#add-form input[name="code"]', "C3")
    admin.click("#add-provider")
    wait_until(
        lambda: any(p["name"] == "Carla Comb" for p in providers()), timeout=5, message="add"
    )
    carla = next(p for p in providers() if p["name"] == "Carla Comb")
    form = admin.locator(f'#plist [data-provider-id="{carla["id"]}"]')
    form.wait_for(timeout=3000)
    # Rename
    form.locator('input[name="name"]').fill("Carla Scissorhands")
    form.locator('[data-action="save"]').click()
    wait_until(
        lambda: any(p["name"] == "Carla Scissorhands" for p in providers()),
        timeout=5,
        message="rename",
    )
    # Deactivate (two taps, no blocking confirm dialog)
    form.locator('[data-action="deactivate"]').click()
    assert any(p["id"] == carla["id"] for p in providers())
    form.locator('[data-action="deactivate"]').click()
    wait_until(
        lambda: all(p["id"] != carla["id"] for p in providers()), timeout=5, message="deactivate"
    )
    form.wait_for(state="detached", timeout=3000)
    # Shop name
    admin.fill("#shop-name", "Snip & Go")
    admin.click("#shop-save")
    wait_until(
        lambda: shop.staff.get(f"/api/v1/shops/{shop.id}").body["name"] == "Snip & Go",
        timeout=5,
        message="shop name",
    )
    admin.locator("#shop-title", has_text="Snip & Go").wait_for(timeout=2000)
    assert pages.problems(admin) == {}


def test_staff_without_a_token_is_asked_to_sign_in(server, pages):
    shop = new_shop(server)
    page = pages.open(f"/staff?shop={shop.id}", wait_live=False)
    page.wait_for_url(re.compile(r"/login\?"), timeout=5000)  # the PIN pad (lib/auth.js)
    kiosk = pages.open(f"/staff?shop={shop.id}", role="kiosk")
    kiosk.locator("#signin", has_text="staff role").wait_for(state="visible", timeout=5000)
