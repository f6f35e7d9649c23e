"""Paper tickets (SPEC §12) against a fake network printer on 127.0.0.1.

The real server runs as a subprocess; the printer is tests/fake_printer.py, whose
recorded bytes are read back with tests/escpos_decode.py. A print must never delay or
fail a join: a printer that is offline, one that never reads and one that hangs up
mid-ticket each get a join answered at once and a `printer_status` event afterwards.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fake_printer import FakePrinter, offline_port
from tests.ws_client import API, WS, http, new_provider, new_shop, ok

SERVER_ARGS = ("--refresh", "3600")


async def set_printer(server, **printer: Any) -> dict[str, Any]:
    body = {"kind": "network", "host": "127.0.0.1", "auto_print": True, **printer}
    return await ok(server, "PATCH", f"{API}/settings", {"printer": body}, role="admin")


async def kiosk_join(server, sid: int, name: str, **extra: Any):
    body = {"full_name": name, **extra}
    return await http(server, "POST", f"{API}/shops/{sid}/queue", body, role="kiosk")


@pytest.fixture
async def listen(server):
    """Sockets that hear printer news: staff in the `printer` room, the kiosk's own."""
    opened: list[WS] = []

    async def open_(role: str) -> WS:
        sock = await WS.connect(server, "/ws/connect", server.token(role))
        opened.append(sock)
        if role == "staff":
            await sock.send({"command": "join_room", "room": "printer"})
            await sock.wait_for("room_joined", room="printer")
        return sock

    yield open_
    await asyncio.gather(*(s.close() for s in opened))


async def printer_status(sock: WS, entry_id: int | None, timeout: float = 15) -> dict[str, Any]:
    def hit(m: dict[str, Any]) -> bool:
        return m.get("type") == "printer_status" and m["data"].get("entry_id") == entry_id

    return (await sock.until(hit, timeout, what=f"printer_status for {entry_id}"))[-1]


async def test_a_kiosk_join_prints_the_whole_ticket(server, listen) -> None:
    shop = await new_shop(server)
    sid = shop["id"]
    chair = await new_provider(server, sid, "Chair Two")
    staff, kiosk = await listen("staff"), await listen("kiosk")
    with FakePrinter("ok") as printer:
        await set_printer(
            server, port=printer.port, width_mm=80, header="Welcome!", footer="Thank you"
        )
        first = await kiosk_join(server, sid, "Ada Lovelace", provider_id=chair["id"])
        resp = await kiosk_join(server, sid, "Ben Carter", provider_id=chair["id"])
        assert resp.status == 201, resp.raw
        assert resp.body["print"] == {"status": "queued"}
        assert first.body["print"] == {"status": "queued"}
        entry = resp.body
        told = await printer_status(staff, entry["id"])
        assert told["data"]["status"] == "ok" and told["room"] == "printer"
        mine = await printer_status(kiosk, entry["id"])
        assert mine["data"]["status"] == "ok"
        jobs = printer.wait_for_jobs(2)
    ticket = next(j.ticket() for j in jobs if entry["ticket"] in j.ticket().lines)
    lines = ticket.lines
    assert lines[0] == "Welcome!" and lines[-1] == "Thank you"
    assert shop["name"] in lines
    assert ticket.style_of(entry["ticket"])["size"] == 0x33  # 4x wide and high
    assert "Chair Two" in lines
    assert "People ahead: 1" in lines
    assert any(line.startswith("Wait: about ") for line in lines)
    assert any(line[:4].isdigit() and line[4] == "-" for line in lines)  # the date
    [qr] = ticket.qr_codes
    assert qr.endswith(f"/t/{entry['claim']}") and qr.startswith("http://")
    assert ticket.cuts == 1
    # The phone link really is the customer's ticket.
    mine = await http(server, "GET", f"{API}/tickets/{entry['claim']}", role=None)
    assert mine.status == 200 and mine.body["ticket"] == entry["ticket"]
    state = await ok(server, "GET", f"{API}/printer")
    assert (
        state["status"] == "ok"
        and state["printed"] >= 2
        and state["where"].endswith(f":{printer.port}")
    )


async def test_58mm_paper_smaller_code_and_a_name_outside_the_code_pages(server) -> None:
    shop = await new_shop(server)
    sid = shop["id"]
    await ok(server, "PATCH", f"{API}/shops/{sid}", {"name": "صالون النور"}, role="admin")
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port, width_mm=58, header="", footer="")
        resp = await kiosk_join(server, sid, "Omar Haddad")
        [job] = printer.wait_for_jobs(1)
    ticket = job.ticket()
    assert ticket.style_of(resp.body["ticket"])["size"] == 0x22  # 3x on narrow paper
    assert "صالون النور" not in " ".join(ticket.lines)  # never as garbled code-page text
    # Drawn as a picture the width of 58 mm paper where this PC has a font for it
    # (Debian's DejaVu here), and left off where none has its letters.
    has_font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file()
    assert [width for width, _ in ticket.images] == ([384] if has_font else [])
    assert ticket.qr_codes


async def test_staff_and_phone_joins_do_not_print(server) -> None:
    sid = (await new_shop(server))["id"]
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port)
        staff = await http(server, "POST", f"{API}/shops/{sid}/queue", {"full_name": "S T"})
        phone = await http(
            server, "POST", f"{API}/shops/{sid}/queue", {"full_name": "P Q"}, role=None
        )
        await set_printer(server, port=printer.port, auto_print=False)
        off = await kiosk_join(server, sid, "K L")
        assert staff.status == phone.status == off.status == 201
        assert "print" not in staff.body and "print" not in phone.body and "print" not in off.body
        # A reprint is the marker: it is the only job the printer ever saw.
        await ok(server, "POST", f"{API}/queue/{off.body['id']}/print", status=202)
        [job] = printer.wait_for_jobs(1)
        assert off.body["ticket"] in job.ticket().lines
        assert printer.connections == 1


async def test_a_retried_join_prints_once(server, listen) -> None:
    sid = (await new_shop(server))["id"]
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port)
        client = server.client("kiosk")
        headers = {"Idempotency-Key": "print-once-1"}
        body = {"full_name": "Retry Once"}
        path = f"{API}/shops/{sid}/queue"
        first = await asyncio.to_thread(client.request, "POST", path, body, headers=headers)
        again = await asyncio.to_thread(client.request, "POST", path, body, headers=headers)
        assert first.status == again.status == 201
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.body["print"] == {"status": "queued"}
        await ok(server, "POST", f"{API}/queue/{first.body['id']}/print", status=202)
        printer.wait_for_jobs(2)
        assert printer.connections == 2  # the join's ticket and the reprint, no third
        # A staff reprint retried with its key: the first answer again, no second paper.
        staff = server.client("staff")
        reprint = f"{API}/queue/{first.body['id']}/print"
        key = {"Idempotency-Key": "reprint-once-1"}
        once = await asyncio.to_thread(staff.request, "POST", reprint, headers=key)
        twice = await asyncio.to_thread(staff.request, "POST", reprint, headers=key)
        assert once.status == twice.status == 202, (once.raw, twice.raw)
        assert twice.headers.get("idempotent-replayed") == "true"
        assert twice.body["ticket"] == once.body["ticket"] == first.body["ticket"]
        # The printer takes jobs in turn: another ticket's reprint asked for after the
        # retry is the fourth job only if the retry printed nothing.
        marker = await ok(server, "POST", f"{API}/shops/{sid}/queue", {"full_name": "Mark Er"})
        await ok(server, "POST", f"{API}/queue/{marker['id']}/print", status=202)
        jobs = printer.wait_for_jobs(4)
        assert marker["ticket"] in jobs[3].ticket().lines


async def test_reprint_has_no_qr_and_refuses_what_it_cannot_print(server, listen) -> None:
    sid = (await new_shop(server))["id"]
    staff = await listen("staff")
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port, auto_print=False)
        entry = (await kiosk_join(server, sid, "Cleo Cole")).body
        resp = await http(server, "POST", f"{API}/queue/{entry['id']}/print")
        assert resp.status == 202 and resp.body["print"] == {"status": "queued"}
        assert (await printer_status(staff, entry["id"]))["data"]["status"] == "ok"
        [job] = printer.wait_for_jobs(1)
    ticket = job.ticket()
    assert entry["ticket"] in ticket.lines and ticket.qr_codes == []
    missing = await http(server, "POST", f"{API}/queue/999999/print")
    assert missing.status == 404 and missing.error_code == "not_found"
    kiosk = await http(server, "POST", f"{API}/queue/{entry['id']}/print", role="kiosk")
    assert kiosk.status == 403
    await ok(server, "PATCH", f"{API}/settings", {"printer": {"kind": "none"}}, role="admin")
    none = await http(server, "POST", f"{API}/queue/{entry['id']}/print")
    assert none.status == 409 and none.error_code == "conflict"
    assert (await ok(server, "GET", f"{API}/printer"))["status"] == "none"


@pytest.mark.parametrize(
    ("mode", "status"),
    [("offline", "offline"), ("never_reads", "error"), ("closes_mid", "error")],
)
async def test_a_broken_printer_never_delays_the_join(server, listen, mode, status) -> None:
    sid = (await new_shop(server))["id"]
    staff, kiosk = await listen("staff"), await listen("kiosk")
    with FakePrinter("ok" if mode == "offline" else mode) as printer:
        port = offline_port() if mode == "offline" else printer.port
        await set_printer(server, port=port, footer="x" * 150)
        started = time.monotonic()
        resp = await kiosk_join(server, sid, "Dora Diaz")
        answered = time.monotonic() - started
        assert resp.status == 201 and resp.body["print"] == {"status": "queued"}
        health = await http(server, "GET", f"{API}/health", role=None)
        assert health.status == 200
        second = await kiosk_join(server, sid, "Eve Evans")  # the kiosk goes on
        assert second.status == 201
        told = await printer_status(staff, resp.body["id"])
        assert told["data"]["status"] == status, told
        assert told["seq"] > resp.body["seq"]
        if mode == "never_reads":  # stuck for 5 s, while the second join went through
            assert told["seq"] > second.body["seq"]
        assert told["severity"] in ("warning", "error")
        assert (await printer_status(kiosk, resp.body["id"]))["data"]["status"] == status
        if mode == "closes_mid":
            assert printer.jobs[0].closed_by_printer
    state = await ok(server, "GET", f"{API}/printer")
    assert state["failed"] >= 1 and state["status"] in ("offline", "error")
    # Not a timing claim: a broken printer's 5 s are spent on its own thread.
    assert answered < 5, answered


async def test_paper_out_is_told_before_anything_is_printed(server, listen) -> None:
    sid = (await new_shop(server))["id"]
    staff = await listen("staff")
    with FakePrinter("paper_out") as printer:
        await set_printer(server, port=printer.port)
        entry = (await kiosk_join(server, sid, "Finn Fox")).body
        told = await printer_status(staff, entry["id"])
        assert told["data"]["status"] == "paper_out"
        [job] = printer.wait_for_jobs(1)
        assert bytes(job.data) == b"\x10\x04\x04"  # the query only: no ticket sent


async def test_the_owners_test_ticket(server) -> None:
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port, header="Test header")
        result = await ok(server, "POST", f"{API}/printer/test", role="admin", status=200)
        assert result == {"status": "ok", "message": "printed"}
        [job] = printer.wait_for_jobs(1)
    ticket = job.ticket()
    assert "Test header" in ticket.lines and "A000" in ticket.lines
    assert ticket.qr_codes[0].endswith("/join")
    staff = await http(server, "POST", f"{API}/printer/test")
    assert staff.status == 403


@pytest.mark.parametrize(
    ("printer", "field"),
    [
        ({"kind": "laser"}, "printer.kind"),
        ({"kind": "network", "host": ""}, "printer.host"),
        ({"kind": "network", "host": "a b"}, "printer.host"),
        ({"port": 0}, "printer.port"),
        ({"port": "9100"}, "printer.port"),
        ({"width_mm": 72}, "printer.width_mm"),
        ({"auto_print": "yes"}, "printer.auto_print"),
        ({"usb_vendor": "xyz"}, "printer.usb_vendor"),
        ({"kind": "usb", "usb_vendor": "04b8", "usb_product": None}, "printer.usb_vendor"),
        ({"kind": "serial", "device": ""}, "printer.device"),
        ({"kind": "cups", "queue": "a;b"}, "printer.queue"),
        ({"header": "x" * 201}, "printer.header"),
        ({"colour": True}, "printer.colour"),
        ("network", "printer"),
    ],
)
async def test_bad_printer_settings_name_the_field(server, printer, field) -> None:
    resp = await http(server, "PATCH", f"{API}/settings", {"printer": printer}, role="admin")
    assert resp.status == 422, resp.raw
    assert resp.error_code == "invalid_field" and resp.body["error"]["details"]["field"] == field


async def test_printer_settings_are_kept_and_read_by_staff_only(server) -> None:
    saved = await set_printer(
        server, kind="usb", usb_vendor="04b8", usb_product="0e15", width_mm=58, auto_print=False
    )
    assert saved["printer"]["usb_vendor"] == 0x04B8 and saved["printer"]["kind"] == "usb"
    state = await ok(server, "GET", f"{API}/printer")
    assert state["kind"] == "usb" and state["where"] == "USB 04b8:0e15"
    assert (await http(server, "GET", f"{API}/printer", role="kiosk")).status == 403
    assert (await http(server, "GET", f"{API}/printer", role=None)).status in (401, 403)
    public = await ok(server, "GET", f"{API}/settings", role=None)
    assert "printer" not in public


async def test_tickets_do_not_pile_up_behind_a_stuck_printer(server, listen) -> None:
    sid = (await new_shop(server))["id"]
    staff = await listen("staff")
    with FakePrinter("never_reads") as printer:
        await set_printer(server, port=printer.port)
        joined = [(await kiosk_join(server, sid, f"Guest {n}")).body for n in range(5)]
        assert all(j["print"] == {"status": "queued"} for j in joined)
        # Three wait their turn; the fourth and fifth are refused at once, not a minute late.
        refused = await printer_status(staff, joined[4]["id"], timeout=4)
        assert refused["data"]["status"] == "error"
        assert "still waiting" in refused["data"]["message"]


async def test_the_paper_of_the_print_page_is_public(server) -> None:
    await set_printer(server, port=9100, width_mm=58, header="Hi", footer="Bye")
    paper = await ok(server, "GET", f"{API}/printer/paper", role=None)
    assert paper == {"width_mm": 58, "header": "Hi", "footer": "Bye"}


async def test_the_printer_channel_is_for_staff_and_carries_the_outcome(server) -> None:
    sid = (await new_shop(server))["id"]
    channels = await WS.connect(server, f"/ws?token={server.token('staff')}")
    kiosk_rooms = await WS.connect(server, "/ws/connect", server.token("kiosk"))
    try:
        await channels.expect("connection:established")
        await channels.send({"type": "subscribe", "payload": {"channels": ["printer"]}})
        await channels.wait_for("subscribed")
        await kiosk_rooms.send({"command": "join_room", "room": "printer"})
        refused = await kiosk_rooms.wait_for("error")
        assert "staff" in refused["message"]
        await set_printer(server, port=offline_port(), auto_print=False)
        entry = (await kiosk_join(server, sid, "Gil Green")).body
        await ok(server, "POST", f"{API}/queue/{entry['id']}/print", status=202)
        told = await channels.wait_for("printer_status", timeout=15)
        assert told["payload"]["status"] == "offline" and told["payload"]["entry_id"] == entry["id"]
        assert told["payload"]["message"].startswith("no printer answers at 127.0.0.1:")
    finally:
        await channels.close()
        await kiosk_rooms.close()


async def test_the_paper_speaks_the_shops_language(server) -> None:
    sid = (await new_shop(server))["id"]
    await ok(server, "PATCH", f"{API}/shops/{sid}", {"language": "es"}, role="admin")
    with FakePrinter("ok") as printer:
        await set_printer(server, port=printer.port, header="", footer="")
        await kiosk_join(server, sid, "Ana Álvarez")
        [job] = printer.wait_for_jobs(1)
    lines = job.ticket().lines
    assert "Su turno" in lines and "Personas delante: 0" in lines
    assert "Escanee para seguir su turno" in lines
