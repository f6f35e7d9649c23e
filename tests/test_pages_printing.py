"""Paper tickets in a real browser (SPEC §12): the owner's printer panel on /admin, the
kiosk's "scan the QR code instead", the staff reprint in a ticket's ⋯ menu, and the
browser-printable /t/{claim}/print on 58 and 80 mm paper.

Headless Chromium against `kiosk serve`, a fake network printer on 127.0.0.1
(tests/fake_printer.py) whose bytes are decoded; every wait is a condition.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import SCREENSHOTS, Pages, shot
from tests.fake_printer import FakePrinter, offline_port

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(300)

SIZES = ("tablet", "phone", "tv")
# window.print() opens the print dialog; headless, the test counts the calls instead.
PRINT_SPY = "window.__printed = 0; window.print = () => { window.__printed += 1; };"
MM_PER_PT = 25.4 / 72


def set_printer(server, **printer) -> None:
    body = {"kind": "network", "host": "127.0.0.1", "auto_print": True, **printer}
    r = server.client("admin").patch("/api/v1/settings", {"printer": body})
    assert r.status == 200, r.body


def new_shop(server, name: str = "Paper Barbers") -> int:
    shop = server.client("admin").post("/api/v1/shops", {"name": name})
    assert shop.status == 201, shop.body
    return shop.body["id"]


def kiosk_join(page, name: str) -> None:
    page.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    page.click("#go-join")
    page.fill("#j-name", name)
    page.click("#j-submit")
    page.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)


@pytest.mark.parametrize("size", SIZES)
def test_the_owner_sets_up_the_printer_and_prints_a_test_ticket(pages: Pages, server, size):
    set_printer(server, kind="none", auto_print=False, header="", footer="")
    admin = pages.open("/admin", size=size, role="admin")
    admin.wait_for_function("document.querySelector('#printer-kind').value === 'none'")
    assert admin.locator("#printer-test").is_hidden()
    with FakePrinter("ok") as printer:
        admin.select_option("#printer-kind", "network")
        assert admin.locator("#printer-host").is_visible()
        assert admin.locator("#printer-device").is_hidden()
        admin.fill("#printer-host", "127.0.0.1")
        admin.fill("#printer-port", str(printer.port))
        admin.check('input[name="printer_width"][value="58"]')
        admin.check("#printer-auto", force=True)
        admin.fill("#printer-header", "Welcome to the shop")
        admin.click("#printer-save")
        admin.locator("#qk-toasts .qk-toast", has_text="Printer settings saved").wait_for()
        saved = server.client("admin").get("/api/v1/settings").body["printer"]
        assert saved["port"] == printer.port and saved["width_mm"] == 58 and saved["auto_print"]
        admin.click("#printer-test")
        admin.wait_for_selector('#printer-state[data-status="ok"]', timeout=15_000)
        [job] = printer.wait_for_jobs(1)
    ticket = job.ticket()
    assert "Welcome to the shop" in ticket.lines and "A000" in ticket.lines
    assert "printed" in admin.inner_text("#printer-state")
    admin.locator("#printer").scroll_into_view_if_needed()
    shot(admin, f"printer-admin-{size}")
    assert pages.problems(admin) == {}


def test_a_bad_printer_address_is_refused_in_the_owners_words(pages: Pages, server):
    admin = pages.open("/admin", size="tablet", role="admin")
    admin.wait_for_function("document.querySelector('#printer-kind').value !== ''")
    admin.select_option("#printer-kind", "network")
    admin.fill("#printer-host", "not a host")
    admin.click("#printer-save")
    toast = admin.locator("#qk-toasts .qk-toast", has_text="could not be saved")
    toast.wait_for()
    assert "printer" in toast.inner_text().lower()


@pytest.mark.parametrize("size", SIZES)
def test_a_kiosk_whose_ticket_did_not_print_says_scan_the_qr_code(pages: Pages, server, size):
    shop = new_shop(server)
    set_printer(server, port=offline_port(), width_mm=80, header="", footer="")
    kiosk = pages.open(f"/kiosk?shop={shop}", size=size, role="kiosk")
    kiosk_join(kiosk, "Nora Noprint")
    note = kiosk.locator("#t-print")
    note.wait_for(state="visible", timeout=15_000)
    assert note.get_attribute("data-status") == "offline"
    assert "Please scan the QR code instead" in note.inner_text()
    assert kiosk.locator("#t-qr svg").is_visible()
    shot(kiosk, f"printer-kiosk-scan-instead-{size}")
    assert pages.problems(kiosk) == {}


def test_a_kiosk_whose_ticket_printed_says_nothing_more(pages: Pages, server):
    shop = new_shop(server)
    with FakePrinter("ok") as printer:
        set_printer(server, port=printer.port, header="", footer="")
        kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
        kiosk_join(kiosk, "Paula Paper")
        kiosk.wait_for_selector('#t-print[data-status="ok"]', state="attached", timeout=15_000)
        assert kiosk.locator("#t-print").is_hidden()
        [job] = printer.wait_for_jobs(1)
    assert kiosk.inner_text("#t-code") in job.ticket().lines


@pytest.mark.parametrize("size", SIZES)
def test_staff_reprint_from_the_menu_and_hear_how_it_went(pages: Pages, server, size):
    shop = new_shop(server)
    staff_client = server.client("staff")
    entry = staff_client.post(f"/api/v1/shops/{shop}/queue", {"full_name": "Rita Reprint"}).body
    with FakePrinter("ok") as printer:
        set_printer(server, port=printer.port, auto_print=False)
        staff = pages.open(f"/staff?shop={shop}", size=size, role="staff")
        row = staff.locator(f'[data-id="{entry["id"]}"]')
        row.wait_for(timeout=10_000)
        staff.wait_for_selector('html[data-printer="network"]', state="attached")
        row.locator("details.more > summary").click()
        button = row.locator('button[data-action="reprint"]')
        button.wait_for(state="visible")
        assert button.inner_text() == "Print ticket again"
        button.scroll_into_view_if_needed()
        shot(staff, f"printer-staff-menu-{size}")
        button.click()
        staff.locator("#qk-toasts .qk-toast", has_text="Ticket printed.").wait_for(timeout=15_000)
        [job] = printer.wait_for_jobs(1)
        assert entry["ticket"] in job.ticket().lines and job.ticket().qr_codes == []
    # The printer gone: every staff screen hears it, not only the one that asked.
    set_printer(server, port=offline_port(), auto_print=False)
    server.client("staff").post(f"/api/v1/queue/{entry['id']}/print")
    staff.locator("#qk-toasts .qk-toast", has_text="printer is offline").wait_for(timeout=15_000)
    assert pages.problems(staff) == {}


def test_staff_see_no_reprint_without_a_printer(pages: Pages, server):
    shop = new_shop(server)
    server.client("staff").post(f"/api/v1/shops/{shop}/queue", {"full_name": "No Paper"})
    set_printer(server, kind="none", auto_print=False)
    staff = pages.open(f"/staff?shop={shop}", size="tablet", role="staff")
    staff.wait_for_selector('html[data-printer="none"]', state="attached", timeout=10_000)
    staff.locator("details.more > summary").first.click()
    assert staff.locator('button[data-action="reprint"]').first.is_hidden()


def _pdf_page_mm(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w) * MM_PER_PT, float(h) * MM_PER_PT) for w, h in boxes]


@pytest.mark.parametrize("width", [58, 80])
def test_the_browser_printable_ticket_fits_its_paper(pages: Pages, server, width):
    shop = new_shop(server, "Café Ñandú")
    set_printer(server, kind="none", width_mm=80, header="Hello!", footer="See you soon")
    joined = server.client("kiosk").post(f"/api/v1/shops/{shop}/queue", {"full_name": "Lia L"})
    claim = joined.body["claim"]
    page = pages.open(
        f"/t/{claim}/print?width={width}", size="phone", wait_live=False, init_script=PRINT_SPY
    )
    page.wait_for_selector('html[data-ready="yes"]', state="attached", timeout=10_000)
    assert page.evaluate("window.__printed") == 1  # the print dialog opened by itself
    assert page.inner_text("#code") == joined.body["ticket"]
    assert page.inner_text("#shop") == "Café Ñandú"
    assert page.inner_text("#header") == "Hello!" and page.inner_text("#footer") == "See you soon"
    assert page.inner_text("#ahead") == "People ahead: 0"
    assert page.get_attribute("#qr", "data-qr-text") == f"{server.base_url}/t/{claim}"
    shot(page, f"printer-paper-screen-{width}mm")
    page.emulate_media(media="print")
    assert page.locator(".bar").is_hidden()
    shot(page, f"printer-paper-print-{width}mm")
    pdf = page.pdf(prefer_css_page_size=True)
    sizes = _pdf_page_mm(pdf)
    assert len(sizes) == 1, sizes  # the whole ticket on one piece of paper
    assert abs(sizes[0][0] - width) < 0.5, sizes
    (SCREENSHOTS / f"printer-paper-{width}mm.pdf").write_bytes(pdf)
    assert pages.problems(page) == {}


@pytest.mark.parametrize("size", SIZES)
def test_the_print_page_of_an_unknown_ticket_says_so(pages: Pages, server, size):
    page = pages.open(
        "/t/nosuchclaimatall/print?auto=0", size=size, wait_live=False, init_script=PRINT_SPY
    )
    page.wait_for_selector("#missing:not([hidden])", timeout=10_000)
    assert page.evaluate("window.__printed") == 0
    assert page.locator("#paper").is_hidden()
    if size == "tablet":
        shot(page, "printer-paper-missing-tablet")
