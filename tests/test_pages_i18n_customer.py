"""The customer's screens in the shop's language and the customer's own (SPEC §14).

/kiosk, /display and /t/{claim} in a real browser (Debian's Chromium) against the real
appliance: the shop's language set by the owner (PATCH as admin) reaches every open
screen at once, `<html lang dir>` follows (Arabic is right to left, the layout
mirrored), the kiosk's per-visit switch lasts one customer, and the call-out speaks
only with a voice of the shop's language (a stubbed `speechSynthesis`: headless
Chromium has none). Expected texts come from the catalogs themselves, so a better
translation never breaks a test. Screenshots at tablet, phone and TV size.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser import ROOT, shot
from tests.kiosk_harness import Server
from tests.test_pages_kiosk_display import new_shop as english_shop

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

CATALOGS = {
    lang: json.loads((ROOT / "web" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in ("en", "es", "fr", "de", "pt", "ar", "zh")
}
NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "ar": "العربية",
    "zh": "中文",
}
LOCALES = {"es": "es", "ar": "ar", "de": "de", "en": "en", "zh": "zh-Hans-CN"}


def text(lang: str, key: str, **params) -> str:
    """A catalog's message with its placeholders filled (plural: the `other` form)."""
    message = CATALOGS[lang][key]
    if isinstance(message, dict):
        message = message["other"]
    for name, value in params.items():
        message = message.replace("{" + name + "}", str(value))
    return message


SPY_TEMPLATE = """
(() => {
  window.__calls = [];
  const record = (what) => window.__calls.push(what);
  HTMLMediaElement.prototype.play = function () {
    record('play:' + (this.currentSrc || this.src || ''));
    return Promise.resolve();
  };
  const voices = VOICES;
  window.speechSynthesis.getVoices = () => voices;
  window.speechSynthesis.speak = function (u) {
    record('speak:' + u.lang + ':' + u.text);
    setTimeout(() => { if (u.onend) u.onend(new Event('end')); }, 5);
  };
  navigator.vibrate = () => true;
})();
"""


def voices_spy(*voices: tuple[str, str, bool]) -> str:
    """Records what the page plays and says (with the utterance's language), and offers
    these voices (name, lang, localService) as this browser's."""
    listed = [
        {"name": n, "lang": lang, "localService": local, "default": False, "voiceURI": n}
        for n, lang, local in voices
    ]
    return SPY_TEMPLATE.replace("VOICES", json.dumps(listed))


def new_shop(server: Server, language: str, providers=("Silla 1", "Silla 2")):
    """A shop of the test's own (tests/test_pages_kiosk_display.py), in `language`."""
    shop, made = english_shop(server, providers)
    set_language(server, shop, language)
    return shop, made


def set_language(server: Server, shop: int, language: str) -> None:
    r = server.client("admin").patch(f"/api/v1/shops/{shop}", {"language": language})
    assert r.status == 200, r.body
    assert r.body["language"] == language


def join(server: Server, shop: int, name: str, provider_id: int | None = None) -> dict:
    r = server.client("kiosk").post(
        f"/api/v1/shops/{shop}/queue", {"full_name": name, "provider_id": provider_id}
    )
    assert r.status == 201, r.body
    return r.body


def call(server: Server, entry_id: int) -> None:
    r = server.client("staff").patch(f"/api/v1/queue/{entry_id}", {"status": "CALLED"})
    assert r.status == 200, r.body


def wait_language(page, lang: str, timeout_ms: int = 5000) -> None:
    page.wait_for_function(
        "l => document.documentElement.lang === l", arg=LOCALES[lang], timeout=timeout_ms
    )
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")


def wait_text(page, selector: str, expected: str, timeout_ms: int = 5000) -> None:
    page.wait_for_function(
        "([s, t]) => { const el = document.querySelector(s); "
        "return !!el && el.textContent.trim() === t; }",
        arg=[selector, expected],
        timeout=timeout_ms,
    )


def unlock_sound(page) -> None:
    """The one tap a shop owner gives a TV whose browser blocks sound (headless does)."""
    if page.is_visible("#sound-on"):
        page.click("#sound-on-btn")
        page.wait_for_selector("#sound-on", state="hidden", timeout=2000)
    page.evaluate("window.__calls.length = 0")


def spoken(page) -> list[str]:
    return [c[len("speak:") :] for c in page.evaluate("window.__calls") if c.startswith("speak:")]


def played(page) -> list[str]:
    return [c for c in page.evaluate("window.__calls") if c.startswith("play:")]


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0


def spoken_ticket(code: str) -> str:
    m = re.fullmatch(r"([A-Z]*)0*(\d+)", code)
    assert m, code
    return f"{m.group(1)} {int(m.group(2))}"


# ---------------------------------------------------------------------------------------


def test_kiosk_speaks_the_shops_language_and_follows_a_change_live(pages, server):
    shop, made = new_shop(server, "es")
    # Someone still to check in today: the kiosk offers both choices (SPEC §9).
    staff = server.client("staff")
    today = staff.get(f"/api/v1/shops/{shop}/queue").body["appointments_today"]["date"]
    booked = {"provider_id": made[0]["id"], "date": today, "patient": {"name": "Ana Cita"}}
    assert staff.post("/api/v1/appointments", booked).status == 201
    kiosk = pages.open(f"/kiosk?shop={shop}", size="tablet", role="kiosk")
    wait_language(kiosk, "es")
    kiosk.locator("#go-appt").wait_for(timeout=5000)
    wait_text(kiosk, "#s-start h2", text("es", "kiosk.start.heading"))
    assert kiosk.inner_text("#go-join .big") == text("es", "kiosk.start.join")
    assert kiosk.title() == text("es", "kiosk.titleShop", shop=kiosk.inner_text("#shop-name"))
    # Every language in its own name, the current one pressed.
    assert kiosk.locator(".lang").all_inner_texts() == list(NAMES.values())
    assert kiosk.get_attribute('.lang[data-lang="es"]', "aria-pressed") == "true"
    shot(kiosk, "i18n-kiosk-tablet-es")
    no_sideways_scroll(kiosk)

    set_language(server, shop, "ar")  # the owner changes it at /admin
    wait_language(kiosk, "ar")
    wait_text(kiosk, "#s-start h2", text("ar", "kiosk.start.heading"))
    # Mirrored: the first choice (join) sits on the right, the line info on the left.
    join_box = kiosk.locator("#go-join").bounding_box()
    appt_box = kiosk.locator("#go-appt").bounding_box()
    assert join_box["x"] > appt_box["x"]
    assert kiosk.locator("#shop-name").bounding_box()["x"] > 500
    kiosk.click("#go-join")
    assert kiosk.inner_text('label[for="j-name"]') == text("ar", "kiosk.join.name")
    assert kiosk.inner_text("#j-submit") == text("ar", "kiosk.join.submit")
    shot(kiosk, "i18n-kiosk-tablet-ar-join")
    no_sideways_scroll(kiosk)
    assert pages.problems(kiosk) == {}


def test_kiosk_language_switch_lasts_one_visit(pages, server):
    shop, providers = new_shop(server, "es")
    context = pages.context("tablet")
    context.clock.install()
    kiosk = pages.open(f"/kiosk?shop={shop}", role="kiosk", context=context)
    wait_language(kiosk, "es")

    # A customer who reads Arabic taps their language on the start screen.
    kiosk.click('.lang[data-lang="ar"]')
    wait_language(kiosk, "ar")
    assert kiosk.get_attribute('.lang[data-lang="ar"]', "aria-pressed") == "true"
    kiosk.click("#go-join")
    assert kiosk.inner_text("#s-join h2") == text("ar", "kiosk.join.heading")
    kiosk.wait_for_selector(".prov", timeout=5000)
    assert kiosk.locator(".prov").first.inner_text() == text("ar", "kiosk.join.anyone")
    kiosk.fill("#j-name", "Layla Haddad")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
    assert kiosk.inner_text("#t-hello") == text(
        "ar", "kiosk.ticket.hello", name="\u2068Layla H.\u2069"
    )
    assert kiosk.text_content("#s-ticket .ticket-label") == text("ar", "kiosk.ticket.label")
    # The phone page behind the QR opens in the visit's language too.
    url = kiosk.locator("#t-qr svg").get_attribute("data-qr-text")
    assert url.endswith("?lang=ar"), url
    shot(kiosk, "i18n-kiosk-tablet-ar-ticket")

    # "Done": the next customer gets the shop's language again.
    kiosk.click("#t-done")
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=3000)
    wait_language(kiosk, "es")
    wait_text(kiosk, "#s-start h2", text("es", "kiosk.start.heading"))

    # The same when the ticket screen returns to the start by itself.
    kiosk.click('.lang[data-lang="de"]')
    wait_language(kiosk, "de")
    kiosk.click("#go-join")
    kiosk.fill("#j-name", "Jonas Becker")
    kiosk.click(f".prov >> text={providers[0]['name']}")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=5000)
    assert kiosk.inner_text("#t-hello") == text("de", "kiosk.ticket.hello", name="Jonas B.")
    shot(kiosk, "i18n-kiosk-tablet-de-ticket")
    no_sideways_scroll(kiosk)
    kiosk.clock.run_for(21_000)
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=3000)
    wait_language(kiosk, "es")
    # The owner's change while nobody is at the kiosk still applies.
    set_language(server, shop, "ar")
    wait_language(kiosk, "ar")
    assert pages.problems(kiosk) == {}


def test_display_calls_only_with_a_voice_of_the_shops_language(pages, server):
    shop, providers = new_shop(server, "es")
    german_only = voices_spy(("Anna", "de-DE", True))
    spanish = voices_spy(
        ("English", "en-US", True), ("Google español", "es-ES", False), ("Paulina", "es_MX", True)
    )
    silent = pages.open(f"/display?shop={shop}", size="tv", init_script=german_only)
    speaking = pages.open(f"/display?shop={shop}", size="tv", init_script=spanish)
    for page in (silent, speaking):
        unlock_sound(page)
        wait_language(page, "es")
        wait_text(page, "#serving-h", text("es", "display.serving"))
        assert page.text_content("#next-h") == text("es", "display.next")
    entry = join(server, shop, "John Michael Doe", providers[1]["id"])
    call(server, entry["id"])
    said = spoken_ticket(entry["ticket"])
    expected = text(
        "es", "display.callout.spokenName", ticket=said, name="John D.", provider="Silla 2"
    )

    # A Spanish voice, local preferred: spoken in Spanish with it.
    speaking.wait_for_function("() => window.__calls.some(c => c.startsWith('speak:'))")
    assert spoken(speaking) == [f"es_MX:{expected}"]
    assert speaking.evaluate("document.documentElement.dataset.voice") == "Paulina"
    shot(speaking, "i18n-display-tv-es-calling")

    # Only a German voice: the chime and the call on screen, and no speech at all.
    silent.wait_for_selector("#call:not([hidden])", timeout=5000)
    assert silent.inner_text("#call .ticket") == entry["ticket"]
    assert "Silla 2" in silent.inner_text("#call .where")
    silent.wait_for_function("() => window.__calls.some(c => c.startsWith('play:'))")
    silent.wait_for_function("() => document.documentElement.dataset.voice === ''")
    assert spoken(silent) == [] and len(played(silent)) == 1

    # A masked name ("李**") is shown but never spoken: only its ticket.
    masked = join(server, shop, "李小龙")
    call(server, masked["id"])
    speaking.wait_for_function(
        "n => window.__calls.filter(c => c.startsWith('speak:')).length >= n", arg=2
    )
    assert spoken(speaking)[1] == "es_MX:" + text(
        "es", "display.callout.spokenDesk", ticket=spoken_ticket(masked["ticket"])
    )
    wait_text(speaking, "#call .who", "李**")
    assert "小龙" not in speaking.inner_text("body")
    assert pages.problems(silent, speaking) == {}


def test_display_follows_a_change_of_language_and_mirrors_for_arabic(pages, server):
    shop, providers = new_shop(server, "es")
    for i, name in enumerate(["Ana García", "Omar Nasser", "李小龙", "Sophie Martin"]):
        join(server, shop, name, providers[i % 2]["id"] if i % 3 else None)
    display = pages.open(
        f"/display?shop={shop}", size="tv", init_script=voices_spy(("Maged", "ar-SA", True))
    )
    unlock_sound(display)
    wait_language(display, "es")
    display.wait_for_selector("#next li", timeout=5000)
    assert display.inner_text("#waiting") == text("es", "display.waiting", count=4)
    shot(display, "i18n-display-tv-es")

    set_language(server, shop, "ar")
    wait_language(display, "ar")
    wait_text(display, "#serving-h", text("ar", "display.serving"))
    assert display.text_content("#next-h") == text("ar", "display.next")
    # Four is a "few" in Arabic.
    assert display.inner_text("#waiting") == CATALOGS["ar"]["display.waiting"]["few"].replace(
        "{count}", display.inner_text("#waiting-count")
    )
    # Mirrored: "now serving" on the right, "next up" on the left.
    serving = display.locator("#serving-h").bounding_box()
    upcoming = display.locator("#next-h").bounding_box()
    assert serving["x"] > upcoming["x"]
    assert display.locator("#next li", has_text="李**").count() == 1
    entry = join(server, shop, "Karim Saleh", providers[0]["id"])
    call(server, entry["id"])
    display.wait_for_function("() => window.__calls.some(c => c.startsWith('speak:'))")
    assert spoken(display) == [
        "ar-SA:"
        + text(
            "ar",
            "display.callout.spokenName",
            ticket=spoken_ticket(entry["ticket"]),
            name="Karim S.",
            provider="Silla 1",
        )
    ]
    shot(display, "i18n-display-tv-ar-calling")
    assert pages.problems(display) == {}


def test_display_voices_overlay_lists_this_tvs_voices_and_plays_a_sample(pages, server):
    shop, _ = new_shop(server, "es")
    spy = voices_spy(
        ("Google español", "es-ES", False), ("Mónica", "es-ES", True), ("Anna", "de-DE", True)
    )
    display = pages.open(f"/display?shop={shop}&voices=1", size="tv", init_script=spy)
    wait_language(display, "es")
    unlock_sound(display)
    display.wait_for_selector("#voices:not([hidden]) #voices-list li", timeout=5000)
    assert display.inner_text("#voices-h") == text("es", "display.voices.title", language="español")
    rows = display.locator("#voices-list li")
    assert rows.count() == 2  # only the shop's language
    assert rows.nth(0).get_attribute("data-local") == "yes"  # local first, marked
    assert "Mónica" in rows.nth(0).inner_text()
    assert text("es", "display.voices.local") in rows.nth(0).inner_text()
    assert text("es", "display.voices.online") in rows.nth(1).inner_text()
    shot(display, "i18n-display-tv-es-voices")
    display.click("#voices-sample")
    display.wait_for_function("() => window.__calls.some(c => c.startsWith('speak:'))")
    sample = text(
        "es",
        "display.callout.spoken",
        ticket="A 12",
        provider=text("es", "display.voices.sampleProvider"),
    )
    assert spoken(display) == [f"es-ES:{sample}"]
    display.click("#voices-close")
    assert display.is_hidden("#voices")

    # A TV with no voice for the shop's language says so, and offers no sample.
    bare = pages.open(
        f"/display?shop={shop}&voices=1", size="tv", init_script=voices_spy(("Anna", "de-DE", True))
    )
    wait_language(bare, "es")
    wait_text(bare, "#voices-hint", text("es", "display.voices.none", language="español"))
    assert bare.locator("#voices-list li").count() == 0
    assert bare.is_disabled("#voices-sample")
    assert pages.problems(display, bare) == {}


def test_ticket_page_takes_its_shops_language_and_follows_it(pages, server):
    shop, providers = new_shop(server, "es")
    join(server, shop, "Ana García")
    join(server, shop, "Omar Nasser")
    mine = join(server, shop, "Layla Haddad", providers[0]["id"])
    phone = pages.open(f"/t/{mine['claim']}", size="phone", init_script=voices_spy())
    phone.wait_for_selector("#card:not([hidden])", timeout=5000)
    wait_language(phone, "es")
    wait_text(phone, "#card .label", text("es", "ticket.label"))
    assert phone.inner_text("#ahead") == text("es", "ticket.ahead", count=2)
    assert phone.inner_text("#leave") == text("es", "ticket.leaveButton")
    shot(phone, "i18n-ticket-phone-es")

    set_language(server, shop, "ar")
    wait_language(phone, "ar")
    wait_text(phone, "#card .label", text("ar", "ticket.label"))
    assert phone.inner_text("#ahead") == CATALOGS["ar"]["ticket.ahead"]["two"]
    shot(phone, "i18n-ticket-phone-ar")
    no_sideways_scroll(phone)

    # The customer's own language from the kiosk (?lang=) stays, whatever the shop's.
    own = pages.open(f"/t/{mine['claim']}?lang=de", size="tablet", init_script=voices_spy())
    own.wait_for_selector("#card:not([hidden])", timeout=5000)
    wait_language(own, "de")
    call(server, mine["id"])
    own.wait_for_selector('#alert[data-kind="called"]', timeout=5000)
    assert text("de", "ticket.alert.called") in own.inner_text("#alert")
    assert text("de", "ticket.alert.goTo", provider="Silla 1") in own.inner_text("#alert")
    wait_language(own, "de")
    shot(own, "i18n-ticket-tablet-de-called")
    phone.wait_for_selector('#alert[data-kind="called"]', timeout=5000)
    assert text("ar", "ticket.alert.called") in phone.inner_text("#alert")
    shot(phone, "i18n-ticket-phone-ar-called")
    assert pages.problems(phone, own) == {}


@pytest.mark.parametrize("lang", ["de", "ar", "zh"])
def test_screens_fit_at_tablet_phone_and_tv_size(pages, server, lang):
    """The longest language (German), right to left (Arabic) and Chinese at each size:
    nothing spills sideways."""
    shop, providers = new_shop(server, lang, ("Stuhl 1", "Maria Dolores", "Zimmer 3"))
    entries = [
        join(server, shop, name, providers[i % 3]["id"] if i % 2 else None)
        for i, name in enumerate(
            [
                "Anna Schmidt",
                "Ömer Yılmaz",
                "李小龙",
                "Carla Jiménez-Rodríguez",
                "Ben Ali",
                "Zoë Li",
            ]
        )
    ]
    call(server, entries[0]["id"])
    screens = [
        ("kiosk", f"/kiosk?shop={shop}", "tablet", "kiosk"),
        ("join", f"/join?shop={shop}", "phone", None),
        ("display", f"/display?shop={shop}", "tv", None),
        ("display", f"/display?shop={shop}", "tablet", None),
        ("ticket", f"/t/{entries[3]['claim']}", "phone", None),
        ("ticket", f"/t/{entries[3]['claim']}", "tablet", None),
    ]
    for name, path, size, role in screens:
        page = pages.open(path, size=size, role=role, init_script=voices_spy())
        wait_language(page, lang)
        if name == "ticket":
            page.wait_for_selector("#card:not([hidden])", timeout=5000)
        if name == "display":
            unlock_sound(page)
            page.wait_for_selector("#next li", timeout=5000)
        shot(page, f"i18n-{name}-{size}-{lang}")
        no_sideways_scroll(page)
        if name == "kiosk":
            page.click("#go-join")
            page.wait_for_selector(".prov", timeout=5000)
            shot(page, f"i18n-{name}-{size}-{lang}-join")
            no_sideways_scroll(page)
        assert pages.problems(page) == {}
        page.close()
