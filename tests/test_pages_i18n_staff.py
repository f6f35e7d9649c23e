"""The staff's screens in the shop's language (SPEC §14): /staff, /monitor and /test in
Spanish and Arabic (right to left), and German for the longest words, in a real browser.

The shop's language is set the way the owner sets it (PATCH /api/v1/shops/{id} as
admin); `?lang=` overrides it for one visit. Screenshots at tablet and TV size go to
test-artifacts/screenshots/ (tests/browser.py `shot`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import shot
from tests.kiosk_harness import Server, wait_until
from tests.test_pages_staff_monitor import (
    Shop,
    center,
    mouse_drag,
    new_shop,
    open_monitor,
    open_staff,
    row_ids,
    top_edge,
    wait_rows,
)

pytest_plugins = ("tests.browser",)


def shop_in(server: Server, language: str, **kw: Any) -> Shop:
    shop = new_shop(server, **kw)
    r = server.client("admin").patch(f"/api/v1/shops/{shop.id}", {"language": language})
    assert r.status == 200, r.body
    assert r.body["language"] == language
    return shop


def html_lang_dir(page) -> tuple[str, str]:
    return (
        page.evaluate("() => document.documentElement.lang"),
        page.evaluate("() => document.documentElement.dir"),
    )


def no_overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def intl(page, expression: str) -> str:
    """What the browser's Intl says, for comparing with the page's own formatting."""
    return page.evaluate(f"() => {expression}")


# ---------------------------------------------------------------- /staff


def test_staff_in_spanish_calls_starts_and_completes(server, pages):
    shop = shop_in(server, "es")
    first = shop.join("Ana Primera")["id"]
    shop.join("Beto Segundo")
    staff = open_staff(pages, shop)  # no ?lang=: the shop's language
    assert html_lang_dir(staff) == ("es", "ltr")
    assert staff.text_content("#call-next") == "Llamar al siguiente"
    assert staff.text_content("#serving-title") == "Atendiendo ahora"
    assert staff.text_content("#waiting-title") == "En espera"
    assert staff.get_attribute("#walkin-name", "placeholder") == "Nombre (sin cita)"
    assert staff.text_content("#counts").startswith("2 en espera")
    assert staff.title().startswith("Personal · ")
    row = staff.locator(f'#waiting > .row[data-id="{first}"]')
    assert row.locator('[data-action="call"]').text_content() == "Llamar"
    # Each part of the line under the name stays on one line (no-break spaces).
    meta = row.locator(".meta").text_content().replace("\xa0", " ")
    assert meta == "con cualquiera disponible · es el siguiente", meta

    staff.click("#call-next")
    wait_until(lambda: shop.entry(first)["status"] == "CALLED", timeout=5, message="call next")
    card = staff.locator(f'#serving > .card[data-id="{first}"]')
    card.wait_for(timeout=3000)
    staff.locator(".qk-toast", has_text="llamado").first.wait_for(timeout=3000)
    # (The status badges are the shared common.ticket.* labels.)
    assert card.locator(".badge").text_content()
    assert card.locator(".meta").text_content().endswith("llamado hace un momento")
    shot(staff, "staff-es-tablet")

    card.locator('[data-action="start"]').click()
    wait_until(lambda: shop.entry(first)["status"] == "IN_SERVICE", timeout=5, message="start")
    card.locator('[data-action="complete"]:visible').wait_for(timeout=3000)
    assert card.locator('[data-action="complete"]').text_content() == "Terminar"
    card.locator('[data-action="complete"]').click()
    wait_until(lambda: shop.ticket_status(first) == "COMPLETED", timeout=5, message="complete")
    card.wait_for(state="detached", timeout=3000)
    assert no_overflow(staff) <= 0
    assert pages.problems(staff) == {}


def test_staff_error_codes_are_worded_by_the_page(server, pages):
    shop = shop_in(server, "es")
    entry = shop.join("Ada Se Fue")["id"]
    staff = open_staff(pages, shop)
    staff.evaluate("() => { window.__staff.drag = {hold: true}; }")  # hold rendering
    assert shop.staff.patch(f"/api/v1/queue/{entry}", {"status": "LEFT"}).status == 200
    staff.locator(f'#waiting > .row[data-id="{entry}"] [data-action="call"]').click()
    toast = staff.locator(".qk-toast-error")
    toast.wait_for(timeout=3000)
    text = toast.text_content()
    # The page's Spanish for invalid_transition, never the API's English message.
    assert "No se pudo «Llamar el turno A001»" in text
    assert "ya cambió de estado" in text
    assert "cannot" not in text
    staff.evaluate("() => { window.__staff.drag = null; }")


def test_staff_in_arabic_is_right_to_left_and_drag_still_works(server, pages):
    shop = shop_in(server, "ar")
    ids = [shop.join(n)["id"] for n in ("Ada One", "Ben Two", "Cy Three")]
    shop.book(shop.providers[0]["id"], "Sue Ray", "10:00")
    staff = open_staff(pages, shop)
    assert html_lang_dir(staff) == ("ar", "rtl")
    assert staff.text_content("#call-next") == "نداء التالي"
    # Mirrored: the grip is on the right of the row, the ticket to its left.
    grip = staff.locator(f'#waiting > .row[data-id="{ids[0]}"] .grip').bounding_box()
    ticket = staff.locator(f'#waiting > .row[data-id="{ids[0]}"] .ticket').bounding_box()
    assert grip and ticket and grip["x"] > ticket["x"]
    # Positions are formatted for Arabic by Intl.
    assert staff.locator(f'#waiting > .row[data-id="{ids[0]}"] .pos').text_content() == intl(
        staff, "new Intl.NumberFormat('ar').format(1)"
    )
    shot(staff, "staff-ar-tablet")

    expected = [ids[2], ids[0], ids[1]]
    mouse_drag(staff, ids[2], top_edge(staff, f'#waiting > .row[data-id="{ids[0]}"]'), expected)
    wait_until(lambda: shop.waiting_ids() == expected, timeout=5, message="server order unchanged")
    wait_rows(staff, expected)
    assert row_ids(staff) == expected
    assert center(staff, "#call-next")
    assert no_overflow(staff) <= 0
    assert pages.problems(staff) == {}


def test_staff_in_german_fits_a_tablet(server, pages):
    shop = shop_in(server, "de", providers=("Bob Barber", "Maximiliane Schwarzenberger"))
    for name, p in [("Anna Lang", None), ("Bernd Kurz", 0), ("Clara Weit", 1)]:
        shop.join(name, None if p is None else shop.providers[p]["id"])
    shop.book(shop.providers[1]["id"], "Doris Termin", "11:00")
    shop.staff.post(f"/api/v1/shops/{shop.id}/queue/call-next", {})
    staff = open_staff(pages, shop)
    assert html_lang_dir(staff) == ("de", "ltr")
    assert staff.text_content("#call-next") == "Nächste Nummer aufrufen"
    staff.locator("#serving > .card").first.wait_for(timeout=3000)
    assert no_overflow(staff) <= 0
    shot(staff, "staff-de-tablet", full_page=True)
    assert pages.problems(staff) == {}


# ---------------------------------------------------------------- /monitor


def _monitor_shop(server: Server, language: str) -> Shop:
    shop = shop_in(server, language)
    bob, alice = shop.providers
    shop.book(bob["id"], "Ann Lee", "09:30")
    appt = shop.book(alice["id"], "Tom Hardy", "11:00")
    shop.staff.post("/api/v1/checkins", {"appointment_id": appt["id"]})
    shop.join("Walter Walkin")
    shop.join("Wanda Bob", bob["id"])
    return shop


@pytest.mark.parametrize(
    ("language", "direction", "customer", "today"),
    [
        ("es", "ltr", "Cliente", "Hoy, "),
        ("ar", "rtl", "العميل", "اليوم، "),
        ("de", "ltr", "Kunde", "Heute, "),
    ],
)
def test_monitor_in_the_shops_language_at_tv_size(
    server, pages, language, direction, customer, today
):
    shop = _monitor_shop(server, language)
    monitor = open_monitor(pages, shop, size="tv")
    assert html_lang_dir(monitor) == (language, direction)
    assert monitor.locator("th").nth(1).text_content() == customer
    # The date heading: today, formatted by Intl in the page's language.
    day = shop.today()
    expected = intl(
        monitor,
        f"new Intl.DateTimeFormat('{language}', {{weekday: 'long', day: 'numeric', month: 'long',"
        f" year: 'numeric', timeZone: 'UTC'}}).format(new Date('{day}T00:00:00Z'))",
    )
    assert monitor.text_content("#day") == today + expected
    monitor.locator("#updated", has_text=":").wait_for(timeout=3000)
    if language == "es":
        assert monitor.text_content("#updated").startswith("Actualizado a las ")
        assert monitor.text_content("#today") == "Hoy"
        alice = shop.providers[1]["id"]
        count = monitor.locator(f'#doctors [data-provider-id="{alice}"] .doc-count')
        assert count.text_content() == "1 / 1 registrada"
    assert no_overflow(monitor) <= 0
    shot(monitor, f"monitor-{language}-tv", full_page=True)
    assert pages.problems(monitor) == {}


# ---------------------------------------------------------------- /test


@pytest.mark.parametrize(("language", "direction"), [("es", "ltr"), ("ar", "rtl")])
def test_test_page_speaks_the_language_and_logs_raw_messages(server, pages, language, direction):
    shop = new_shop(server)  # an English shop: ?lang= picks the page's language
    page = pages.open(f"/test?shop={shop.id}&lang={language}", size="tablet")
    assert html_lang_dir(page) == (language, direction)
    words = {
        "es": ("Suscribirse", "Consola sin filtros", "suscrito al"),
        "ar": ("اشتراك", "وحدة التحكم الخام", "مشترك في"),
    }[language]
    assert page.text_content("#c-sub") == words[0]
    assert words[1] in page.text_content("#r-h")
    assert page.text_content("#c-state").startswith(words[2])
    # The protocol's own messages stay as they are.
    page.wait_for_selector("#c-log li .kind:text-is('snapshot')", timeout=5000)
    shop.join("Tess Tester")
    page.wait_for_function(
        "() => document.querySelector('#c-log li .kind').innerText === 'update'", timeout=3000
    )
    assert '"type": "update"' in page.inner_text("#c-log li pre")
    page.fill("#r-path", "/ws/connect")
    page.click("#r-connect")
    page.wait_for_selector('#r-state[data-on="yes"]', timeout=5000)
    page.fill("#r-text", '{"command": "ping"}')
    page.click("#r-send")
    page.wait_for_selector("#r-log li.in .kind:text-is('pong')", timeout=3000)
    assert no_overflow(page) <= 0
    shot(page, f"test-{language}-tablet")
    assert pages.problems(page) == {}


def test_staff_and_monitor_in_spanish_with_lang_param_on_an_english_shop(server, pages):
    shop = new_shop(server)
    staff = pages.open(f"/staff?shop={shop.id}&lang=es", role="staff")
    staff.wait_for_function("() => window.__staff && window.__staff.queue !== null")
    assert html_lang_dir(staff) == ("es", "ltr")
    assert staff.text_content("#waiting-empty") == "No hay nadie en espera."
    monitor = pages.open(f"/monitor?shop={shop.id}&lang=ar", role="staff", size="tv")
    monitor.wait_for_function("() => window.__monitor && window.__monitor.data !== null")
    assert html_lang_dir(monitor) == ("ar", "rtl")
    assert monitor.text_content("#today") == "اليوم"
    assert pages.problems(staff, monitor) == {}


def test_a_language_switch_redraws_what_the_scripts_wrote(server, pages):
    shop = new_shop(server)
    entry = shop.join("Ada Switch", shop.providers[0]["id"])["id"]
    staff = open_staff(pages, shop)
    monitor = open_monitor(pages, shop, size="tv")
    row = staff.locator(f'#waiting > .row[data-id="{entry}"]')
    assert row.locator('[data-action="call"]').text_content() == "Call"
    switch = "lang => import('/lib/i18n.js').then(m => m.use(lang))"
    staff.evaluate(switch, "fr")
    monitor.evaluate(switch, "zh")
    assert html_lang_dir(staff) == ("fr", "ltr")
    assert staff.text_content("#call-next") == "Appeler le suivant"
    assert row.locator('[data-action="call"]').text_content() == "Appeler"
    assert staff.text_content("#counts").startswith("1 en attente")
    assert row.locator(".meta").text_content().replace("\xa0", " ").startswith("avec Bob Barber")
    assert monitor.evaluate("() => document.documentElement.lang") == "zh-Hans-CN"
    assert monitor.text_content("#today") == "今天"
    assert monitor.locator("#doctors p.none").first.text_content() == "这一天没有预约。"
    assert monitor.text_content("#day").startswith("今天，")
    assert pages.problems(staff, monitor) == {}
