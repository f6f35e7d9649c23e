"""The landing page, /login and /admin in the shop's language (SPEC §14), in a real
browser: Spanish and Arabic through the shop's `language` (PATCH /shops) and through
`?lang=`, `<html lang dir>` (right to left for Arabic), the admin's language select
switching the page it is on, the voices panel, no console errors, and screenshots at
tablet and TV size under test-artifacts/screenshots/ (i18n-*.png).
"""

from __future__ import annotations

import pytest

from tests.browser import Pages, shot
from tests.kiosk_harness import Server

# The fixtures `chromium` (one browser for the session) and `pages`.
pytest_plugins = ("tests.browser",)

OWNER_PIN = "271828"


@pytest.fixture(scope="module")
def claimed(server: Server) -> Server:
    """The module's appliance with an owner PIN, so /login shows its pad."""
    r = server.client().post("/api/v1/auth/setup", {"pin": OWNER_PIN, "name": "Olga"})
    assert r.status == 200, r.body
    return server


def new_shop(server: Server, name: str, language: str | None = None) -> int:
    admin = server.client("admin")
    r = admin.post("/api/v1/shops", {"name": name})
    assert r.status == 201, r.body
    shop = r.body["id"]
    assert admin.post(f"/api/v1/shops/{shop}/providers", {"name": "Chair 1"}).status == 201
    if language:
        r = admin.patch(f"/api/v1/shops/{shop}", {"language": language})
        assert r.status == 200 and r.body["language"] == language, r.body
    return shop


def html_lang_dir(page) -> tuple[str, str]:
    got = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    return (got[0], got[1])


def text(page, selector: str) -> str:
    return (page.locator(selector).first.text_content() or "").strip()


def expect_title(page, title: str) -> None:
    from playwright.sync_api import expect  # (as tests/browser.py: imported when used)

    expect(page).to_have_title(title)


def wait_lang(page, lang: str) -> None:
    page.wait_for_selector(f'html[lang="{lang}"]', state="attached", timeout=5000)


# ---------------------------------------------------------------- landing page and /login


def test_landing_page_and_login_follow_the_shop_language(claimed, pages: Pages):
    shop = new_shop(claimed, "Peluquería Sol", "es")
    home = pages.open(f"/?shop={shop}", wait_live=False)
    wait_lang(home, "es")
    assert html_lang_dir(home) == ("es", "ltr")
    assert text(home, '[data-i18n="index.kiosk.title"]') == "Recepción (tablet)"
    assert text(home, '[data-i18n="index.display.title"]') == "Pantalla de la sala de espera"
    shot(home, "i18n-index-es-tablet")

    login = pages.open(f"/login?shop={shop}", wait_live=False)
    wait_lang(login, "es")
    login.locator("#login").wait_for(state="visible", timeout=5000)
    assert text(login, "#title") == "Introduzca su PIN"
    assert text(login, "#submit") == "Entrar"
    assert text(login, "#msg") == "Toque su PIN o escríbalo con el teclado."
    expect_title(login, "Iniciar sesión · Peluquería Sol")
    # A wrong PIN is told in the page's words, not the API's English.
    for digit in "999999":
        login.click(f'#pad [data-digit="{digit}"]')
    login.click("#submit")
    login.locator("#msg", has_text="Ese PIN no es correcto").wait_for(timeout=5000)
    assert pages.problems(home, login) == {}


def test_landing_page_and_login_in_arabic_by_lang_are_right_to_left(claimed, pages: Pages):
    shop = new_shop(claimed, "Salon Nour")  # English shop: ?lang= wins for this visit
    for size in ("tablet", "tv"):
        home = pages.open(f"/?shop={shop}&lang=ar", size=size, wait_live=False)
        wait_lang(home, "ar")
        assert html_lang_dir(home) == ("ar", "rtl")
        assert text(home, '[data-i18n="index.staff.title"]') == "شاشة الموظفين"
        # Cards run from the right: the first card sits right of the second.
        first, second = (home.locator("main a.card").nth(i).bounding_box()["x"] for i in (0, 1))
        if size == "tv":
            assert first > second
        shot(home, f"i18n-index-ar-{size}")

        login = pages.open(f"/login?shop={shop}&next=%2Fstaff&lang=ar", size=size, wait_live=False)
        wait_lang(login, "ar")
        login.locator("#login").wait_for(state="visible", timeout=5000)
        assert html_lang_dir(login) == ("ar", "rtl")
        assert text(login, "#title") == "أدخل رمزك السري"
        assert text(login, "#lead") == "سجّل الدخول لفتح شاشة الموظفين."
        assert login.get_attribute("#pin", "placeholder") == "الرمز السري"
        shot(login, f"i18n-login-ar-{size}")
        assert pages.problems(home, login) == {}
    # The shop itself is still English.
    english = pages.open(f"/login?shop={shop}", wait_live=False)
    wait_lang(english, "en")
    english.locator("#login").wait_for(state="visible", timeout=5000)
    assert text(english, "#title") == "Enter your PIN"
    assert html_lang_dir(english) == ("en", "ltr")


# ---------------------------------------------------------------- /admin


def test_admin_language_select_saves_the_shop_language_and_switches_the_page(claimed, pages: Pages):
    shop = new_shop(claimed, "Clínica Vida", "es")
    admin = pages.open(f"/admin?shop={shop}", role="admin")
    wait_lang(admin, "es")
    admin.locator("#admin-view").wait_for(state="visible", timeout=5000)
    assert text(admin, "#settings-h") == "Negocio y ajustes"
    assert text(admin, "#pair-start") == "Crear código de vinculación"
    expect_title(admin, "Administración · Clínica Vida")
    # Each language by its own name, the shop's chosen.
    options = admin.locator("#shop-language option").all_inner_texts()
    assert options == ["English", "Español", "Français", "Deutsch", "Português", "العربية", "中文"]
    assert admin.input_value("#shop-language") == "es"
    # Dynamic text: the device groups and the voices panel speak Spanish too.
    admin.locator("#device-groups .group-title").first.wait_for(timeout=5000)
    assert text(admin, "#device-groups .group-title") == "Tablets y TV vinculadas"
    assert "español" in text(admin, "#voices-lead").lower() or "Español" in text(
        admin, "#voices-lead"
    )
    shot(admin, "i18n-admin-es-tablet")

    # The owner picks Arabic: the shop is saved and this page turns right to left.
    admin.select_option("#shop-language", "ar")
    with admin.expect_response(lambda r: r.request.method == "PATCH" and "/shops/" in r.url):
        admin.click("#language-save")
    wait_lang(admin, "ar")
    assert html_lang_dir(admin) == ("ar", "rtl")
    assert claimed.client("admin").get(f"/api/v1/shops/{shop}").body["language"] == "ar"
    assert text(admin, "#settings-h") == "المحل والإعدادات"
    assert text(admin, "#device-groups .group-title") == "الأجهزة اللوحية والتلفازات المربوطة"
    admin.locator(".qk-toast", has_text="العربية").wait_for(timeout=5000)
    expect_title(admin, "الإدارة · Clínica Vida")
    assert admin.get_attribute("#voices-tv", "href") == f"/display?shop={shop}&voices=1"
    shot(admin, "i18n-admin-ar-tablet")
    assert pages.problems(admin) == {}

    # A fresh visit follows the shop; ?lang= still wins for one visit.
    tv = pages.open(f"/admin?shop={shop}", role="admin", size="tv")
    wait_lang(tv, "ar")
    tv.locator("#admin-view").wait_for(state="visible", timeout=5000)
    assert html_lang_dir(tv) == ("ar", "rtl")
    shot(tv, "i18n-admin-ar-tv")
    spanish = pages.open(f"/admin?shop={shop}&lang=es", role="admin", size="tv")
    wait_lang(spanish, "es")
    spanish.locator("#admin-view").wait_for(state="visible", timeout=5000)
    assert text(spanish, "#settings-h") == "Negocio y ajustes"
    assert spanish.input_value("#shop-language") == "ar"  # the shop's, not the visit's
    shot(spanish, "i18n-admin-es-tv")
    assert pages.problems(tv, spanish) == {}


def test_admin_in_german_fits_and_errors_are_the_pages_own_words(claimed, pages: Pages):
    """German runs longest: nothing spills out of the tablet's width, and an API error
    (a PIN already taken) is told in German, not in the API's English."""
    shop = new_shop(claimed, "Friseur Kamm", "de")
    admin = pages.open(f"/admin?shop={shop}", role="admin")
    wait_lang(admin, "de")
    admin.locator("#admin-view").wait_for(state="visible", timeout=5000)
    overflow = admin.evaluate("document.documentElement.scrollWidth > innerWidth")
    assert overflow is False
    admin.fill("#staff-name", "Kim")
    admin.fill("#staff-pin", OWNER_PIN)  # the owner's: taken
    admin.click("#staff-add")
    admin.locator(".qk-toast-error", has_text="Diese PIN hat schon jemand anderes").wait_for(
        timeout=5000
    )
    shot(admin, "i18n-admin-de-tablet", full_page=True)
    assert pages.problems(admin) == {}
