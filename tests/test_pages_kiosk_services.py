"""The customer's screens with services, priority, appointments on time and honest waits
(SPEC §10, issue 14), in real Chromium against a real server and its SQLite file.

- /kiosk and /join ask "what are you here for?" when the shop has more than one active
  service (big buttons), then offer only the providers who do it; with one, no question.
- Priority is offered on the paired desk tablet only while the owner allows it, worded for
  customers; a phone never offers it, and the TV never shows it.
- A checked-in appointment gets a sentence for its `placement` on the kiosk's ticket.
- Waits are a range where the server gives `estimated_wait_range` (kiosk ticket, /t/{claim},
  the TV's next-up), and the old wording where it gives none.
- The TV names each waiting ticket's service when the shop has a choice of them.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser import ROOT, Pages, shot
from tests.test_pages_staff_monitor import Shop, new_shop
from tests.test_pages_staff_services import join, new_service, recorded

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(300)

RANGE = re.compile(r"^(\d+)–(\d+) min$|^up to (\d+ min|\d+ h( \d+ min)?)$|^\d+ (min|h).* to \d+ ")


NO_VIBRATE = "navigator.vibrate = () => true;"


def set_settings(shop: Shop, **changes: Any) -> None:
    r = shop.server.client("admin").patch("/api/v1/settings", changes)
    assert r.status == 200, r.body


def open_kiosk(pages: Pages, shop: Shop, size: str = "tablet"):
    page = pages.open(f"/kiosk?shop={shop.id}", size=size, role="kiosk")
    page.wait_for_selector("#s-start:not([hidden])", timeout=10_000)
    page.wait_for_function("() => Number(document.documentElement.dataset.seq) >= 0")
    return page


def service_buttons(page) -> list[str]:
    return page.eval_on_selector_all("#j-services .svc", "bs => bs.map(b => b.textContent)")


def provider_buttons(page) -> list[str]:
    return page.eval_on_selector_all("#j-providers .prov", "bs => bs.map(b => b.textContent)")


def newest(shop: Shop, name: str) -> dict[str, Any]:
    found = [e for e in shop.queue()["queue_items"] if e["full_name"] == name]
    assert found, name
    return found[-1]


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_the_kiosk_asks_for_the_service_then_offers_who_does_it(server, pages, size):
    shop = new_shop(server)
    bob, alice = shop.providers
    cut = new_service(shop, "Haircut", 30)
    beard = new_service(shop, "Beard trim and hot towel shave", 15, provider_ids=[bob["id"]])
    kiosk = open_kiosk(pages, shop, size)
    kiosk.click("#go-join")
    kiosk.locator("#j-svc-box").wait_for(timeout=5000)
    assert kiosk.inner_text("#j-svc-label") == "What are you here for?"
    assert service_buttons(kiosk) == ["Haircut", "Beard trim and hot towel shave"]
    # Big touch targets, whole names, nothing sideways off the screen.
    for box in [b.bounding_box() for b in kiosk.locator("#j-services .svc").all()]:
        assert box["height"] >= 60 and box["width"] >= 150, box
    assert kiosk.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    assert kiosk.locator("#j-prio-box").is_hidden()  # the owner has not allowed it
    assert provider_buttons(kiosk) == ["Anyone", "Bob Barber", "Alice Cutter"]

    # No service chosen: the page asks, in its own words, and sends nothing.
    kiosk.fill("#j-name", "Ned Needs")
    kiosk.click("#j-submit")
    kiosk.locator("#join-error", has_text="Please choose what you are here for.").wait_for(
        timeout=3000
    )
    assert not [e for e in shop.queue()["queue_items"] if e["full_name"] == "Ned Needs"]

    # Alice chosen first, then a service only Bob does: Alice goes, and the choice with her.
    kiosk.locator("#j-providers .prov", has_text="Alice Cutter").click()
    kiosk.locator("#j-services .svc", has_text="Beard trim").click()
    assert provider_buttons(kiosk) == ["Anyone", "Bob Barber"]
    assert kiosk.get_attribute("#j-providers .prov >> nth=0", "aria-pressed") == "true"
    assert kiosk.locator("#join-error").inner_text() == ""
    kiosk.locator("#j-providers .prov", has_text="Bob Barber").click()
    shot(kiosk, f"kiosk-services-form-{size}", full_page=True)
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    assert kiosk.inner_text("#t-service") == "Service: Beard trim and hot towel shave"
    entry = newest(shop, "Ned Needs")
    assert (entry["service_id"], entry["provider_id"], entry["priority"]) == (
        beard["id"],
        bob["id"],
        False,
    )
    kiosk.click("#t-done")
    kiosk.wait_for_selector("#s-start:not([hidden])", timeout=5000)

    # The next customer starts with nothing chosen; Haircut offers everyone again.
    kiosk.click("#go-join")
    assert kiosk.eval_on_selector_all("#j-services .svc[aria-pressed=true]", "bs => bs.length") == 0
    kiosk.locator("#j-services .svc", has_text="Haircut").click()
    assert provider_buttons(kiosk) == ["Anyone", "Bob Barber", "Alice Cutter"]
    kiosk.fill("#j-name", "Ola Other")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    assert newest(shop, "Ola Other")["service_id"] == cut["id"]
    kiosk.click("#t-done")

    # One active service left: no question, live.
    assert server.client("admin").delete(f"/api/v1/services/{beard['id']}").status == 200
    kiosk.click("#go-join")
    kiosk.locator("#j-svc-box").wait_for(state="hidden", timeout=5000)
    kiosk.fill("#j-name", "Pat Plain")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    assert newest(shop, "Pat Plain")["service_id"] == cut["id"]  # the server files it
    assert kiosk.locator("#t-service").is_hidden()  # one service: nothing to tell apart
    assert pages.problems(kiosk) == {}


def test_priority_at_the_kiosk_only_while_the_owner_allows_it_and_never_on_a_phone(server, pages):
    shop = new_shop(server)
    new_service(shop, "Haircut", 30)
    waiting = [shop.join(name) for name in ("Al One", "Bo Two")]
    kiosk = open_kiosk(pages, shop)
    phone = pages.open(f"/join?shop={shop.id}", size="phone")
    phone.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
    kiosk.click("#go-join")
    assert kiosk.locator("#j-prio-box").is_hidden()
    set_settings(shop, priority_at_kiosk=True)
    try:
        kiosk.locator("#j-prio-box").wait_for(timeout=5000)  # live, no reload
        text = kiosk.inner_text("#j-prio-box")
        assert "I need priority" in text and "pregnancy, disability or older age" in text
        box = kiosk.locator("#j-prio-box").bounding_box()
        assert box["height"] >= 60, box
        # The phone has had the same update as the tablet, and still offers no priority.
        seq = kiosk.evaluate("() => document.documentElement.dataset.seq")
        phone.wait_for_function(
            "s => Number(document.documentElement.dataset.seq) >= Number(s)", arg=seq
        )
        assert phone.locator("#j-prio-box").is_hidden()  # staff give it, or the desk tablet
        kiosk.fill("#j-name", "Vi Elder")
        kiosk.check("#j-priority")
        shot(kiosk, "kiosk-priority-tablet", full_page=True)
        kiosk.click("#j-submit")
        kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
        vi = newest(shop, "Vi Elder")
        assert vi["priority"] is True and vi["position_in_queue"] == 1
        assert kiosk.inner_text("#t-pos") == "1st"
        # The next customer starts without it.
        kiosk.click("#t-done")
        kiosk.click("#go-join")
        assert not kiosk.is_checked("#j-priority")
        # The TV shows the ticket, never the word.
        tv = pages.open(f"/display?shop={shop.id}", size="tv")
        tv.wait_for_function(
            "t => document.body.innerText.includes(t)", arg=vi["ticket"], timeout=10_000
        )
        seen = tv.evaluate("() => document.body.innerText")
        assert not re.search("priorit", seen, re.I), seen
    finally:
        set_settings(shop, priority_at_kiosk=False)
    kiosk.locator("#j-prio-box").wait_for(state="hidden", timeout=5000)
    assert [e["id"] for e in waiting] == shop.waiting_ids()[1:]
    assert pages.problems(kiosk, phone) == {}


def test_a_phone_at_join_chooses_a_service_too(server, pages):
    shop = new_shop(server)
    bob, alice = shop.providers
    new_service(shop, "Haircut", 30)
    colour = new_service(shop, "Colour", 90, provider_ids=[alice["id"]])
    phone = pages.open(f"/join?shop={shop.id}", size="phone")
    phone.wait_for_selector("#s-join:not([hidden])", timeout=10_000)
    phone.locator("#j-svc-box").wait_for(timeout=5000)
    assert service_buttons(phone) == ["Haircut", "Colour"]
    phone.locator("#j-services .svc", has_text="Colour").click()
    assert provider_buttons(phone) == ["Anyone", "Alice Cutter"]
    assert phone.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    phone.fill("#j-name", "Cleo Colour")
    shot(phone, "join-services-phone", full_page=True)
    phone.click("#j-submit")
    phone.wait_for_url(re.compile(r"/t/"), timeout=10_000)
    assert newest(shop, "Cleo Colour")["service_id"] == colour["id"]
    assert pages.problems(phone) == {}


# ---------------------------------------------------------------- appointments on time


def book(shop: Shop, name: str, starts_at: datetime | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider_id": shop.providers[0]["id"],
        "date": shop.today(),
        "patient": {"name": name},
    }
    if starts_at is None:
        body["slot"] = 3
    else:
        body["starts_at"] = starts_at.isoformat()
    r = shop.staff.post("/api/v1/appointments", body)
    assert r.status == 201, r.body
    return r.body


@pytest.mark.parametrize(
    ("offset", "placement", "sentence"),
    [
        (timedelta(minutes=90), "early", r"^You are early for your .+ appointment\. We will call"),
        (timedelta(minutes=2), "on_time", r"^You are on time for your .+ appointment: you keep"),
        (timedelta(minutes=-60), "late", r"^Your appointment was at .+, so you join the line in"),
        (None, "no_time", r"^Your appointment has no set time, so you join the line in order"),
    ],
)
def test_a_checked_in_appointment_hears_what_its_place_means(
    server, pages, offset, placement, sentence
):
    shop = new_shop(server, ("Dr Day",))
    r = server.client("admin").patch(f"/api/v1/shops/{shop.id}", {"timezone": "UTC"})
    assert r.status == 200, r.body
    starts = None if offset is None else datetime.now(UTC) + offset
    if starts is not None and starts.date().isoformat() != shop.today():
        pytest.skip("the appointment would fall on another day")
    book(shop, "Amy Appointment", starts)
    kiosk = open_kiosk(pages, shop)
    kiosk.locator("#go-appt").wait_for(timeout=5000)
    kiosk.click("#go-appt")
    choice = kiosk.locator("#appt-list button", has_text="Amy A.")
    time_shown = choice.locator(".time").inner_text()
    choice.click()
    kiosk.click("#c-yes")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    said = kiosk.locator("#t-placement")
    said.wait_for(timeout=3000)
    assert re.search(sentence, said.inner_text()), said.inner_text()
    if placement != "no_time":  # the appointment's time, as the list wrote it
        assert time_shown in said.inner_text(), (time_shown, said.inner_text())
    shot(kiosk, f"kiosk-placement-{placement}-tablet")
    # A walk-in's ticket says nothing of the kind.
    kiosk.click("#t-done")
    kiosk.click("#go-join")
    kiosk.fill("#j-name", "Wes Walkin")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    assert kiosk.locator("#t-placement").is_hidden()
    assert pages.problems(kiosk) == {}


# ---------------------------------------------------------------- honest waits and the TV


def span(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{minutes} min" if not hours else f"{hours} h {rest} min" if rest else f"{hours} h"


def expected_wait(entry: dict[str, Any]) -> str | None:
    """The words for an entry's wait where the server gives a range (None: no range)."""
    r = entry["estimated_wait_range"]
    if not r or r[1] <= r[0]:
        return None
    low, high = r
    if low <= 0:
        return f"up to {span(high)}"
    return f"{low}–{high} min" if high < 60 else f"{span(low)} to {span(high)}"


def test_waits_are_ranges_on_the_kiosk_the_phone_and_the_tv(server, pages):
    shop = new_shop(server, ("Solo Chair",))
    cut = new_service(shop, "Haircut", 30)
    beard = new_service(shop, "Beard trim", 15)
    busy = join(shop, "Fay Chair", cut)
    recorded(server, shop.id, cut["id"], [10, 14, 20, 26, 35, 40])
    assert shop.staff.patch(f"/api/v1/queue/{busy['id']}", {"status": "IN_SERVICE"}).status == 200
    join(shop, "Gil Next", cut)
    kiosk = open_kiosk(pages, shop)
    kiosk.click("#go-join")
    kiosk.locator("#j-services .svc", has_text="Haircut").click()
    kiosk.fill("#j-name", "Hal Later")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    hal = newest(shop, "Hal Later")
    words = expected_wait(hal)
    assert hal["estimated_wait_range"], hal  # the history gives a range here
    # Behind Hal, another service: the TV names it under the name.
    kim = join(shop, "Kim Beard", beard)
    kiosk.wait_for_function(
        "w => document.getElementById('t-wait').textContent === w", arg=words, timeout=5000
    )
    assert "about" not in kiosk.inner_text("#t-wait")
    shot(kiosk, "kiosk-wait-range-tablet")

    # The customer's own page: the same range.
    claim = kiosk.get_attribute("#t-qr svg", "data-qr-text").rsplit("/t/", 1)[1]
    # (A phone nobody tapped may not vibrate yet: Chromium logs the page's try as an error.)
    phone = pages.open(f"/t/{claim}", size="phone", init_script=NO_VIBRATE)
    phone.wait_for_function(
        "w => document.getElementById('wait').textContent === w", arg=words, timeout=10_000
    )
    # The shop has a choice of services: the ticket says which is its own.
    phone.locator("#service", has_text="Service: Haircut").wait_for(timeout=5000)
    assert phone.evaluate(
        "() => { const w = document.getElementById('wait'); const card = w.closest('.fact');"
        " return w.scrollWidth <= w.clientWidth + 1"
        " && card.getBoundingClientRect().right <= innerWidth; }"
    )
    shot(phone, "ticket-wait-range-phone")

    # The TV: ranges in next-up, and each ticket's service under its name.
    tv = pages.open(f"/display?shop={shop.id}", size="tv")
    row = tv.locator("#next li", has_text=hal["ticket"])
    row.wait_for(timeout=10_000)
    tv.wait_for_function(
        "([t, w]) => [...document.querySelectorAll('#next li')].some(li =>"
        " li.querySelector('.ticket').textContent === t"
        " && li.querySelector('.wait').textContent === w)",
        arg=[hal["ticket"], words],
        timeout=5000,
    )
    assert row.locator(".pref").inner_text() == "Haircut"
    kim_row = tv.locator("#next li", has_text=kim["ticket"])
    kim_row.locator(".pref", has_text="Beard trim").wait_for(timeout=5000)
    kim_words = expected_wait(newest(shop, "Kim Beard"))
    assert kim_words
    kim_row.locator(".wait", has_text=kim_words).wait_for(timeout=5000)
    # A name is never cut: every text in a row fits its box.
    assert tv.evaluate(
        "() => [...document.querySelectorAll('#next .name, #next .pref, #next .wait')]"
        ".every(el => el.scrollWidth <= el.clientWidth + 1)"
    )
    shot(tv, "tv-services-wait-range")

    # One service left: every row would say the same, so none does (the TV, the phone).
    assert server.client("admin").delete(f"/api/v1/services/{beard['id']}").status == 200
    phone.locator("#service").wait_for(state="hidden", timeout=5000)
    tv.wait_for_function(
        "() => [...document.querySelectorAll('#next .pref')].every(el => el.textContent === '')",
        timeout=5000,
    )
    assert pages.problems(kiosk, phone, tv) == {}


def test_without_a_range_the_wait_keeps_its_words(server, pages):
    shop = new_shop(server, ("Solo Chair",))
    first = shop.join("Ida First")
    assert shop.staff.patch(f"/api/v1/queue/{first['id']}", {"status": "IN_SERVICE"}).status == 200
    kiosk = open_kiosk(pages, shop)
    kiosk.click("#go-join")
    assert kiosk.locator("#j-svc-box").is_hidden()  # no services: no question
    kiosk.fill("#j-name", "Jo Second")
    kiosk.click("#j-submit")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    jo = newest(shop, "Jo Second")
    assert jo["estimated_wait_range"] is None, jo
    minutes = jo["estimated_wait_minutes"]
    assert 0 < minutes < 60, jo
    kiosk.wait_for_function(
        "w => document.getElementById('t-wait').textContent === w",
        arg=f"about {minutes} min",
        timeout=5000,
    )
    assert not RANGE.search(kiosk.inner_text("#t-wait"))
    assert pages.problems(kiosk) == {}


@pytest.mark.parametrize(
    ("language", "size", "words"),
    [
        ("de", "tablet", ("Welche Leistung möchten Sie?", "Ich brauche Vorrang", "Sie sind pünkt")),
        ("ar", "phone", ("ما الخدمة التي تريدها؟", "أحتاج إلى أولوية", "وصلت في الوقت المحدد")),
    ],
)
def test_the_customers_words_in_the_shops_language(server, pages, language, size, words):
    shop = new_shop(server, ("Dr Day",))
    admin = server.client("admin")
    r = admin.patch(f"/api/v1/shops/{shop.id}", {"language": language, "timezone": "UTC"})
    assert r.status == 200, r.body
    new_service(shop, "Haircut", 30)
    new_service(shop, "Beard trim", 15)
    starts = datetime.now(UTC) + timedelta(minutes=2)
    if starts.date().isoformat() != shop.today():
        pytest.skip("the appointment would fall on another day")
    book(shop, "Amy Appointment", starts)
    set_settings(shop, priority_at_kiosk=True)
    try:
        kiosk = open_kiosk(pages, shop, size)
        question, priority, on_time = words
        kiosk.click("#go-join")
        kiosk.locator("#j-svc-box").wait_for(timeout=5000)
        assert kiosk.inner_text("#j-svc-label") == question
        kiosk.locator("#j-prio-box").wait_for(timeout=5000)
        assert kiosk.inner_text("#j-prio-box .prio-main") == priority
        assert kiosk.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        shot(kiosk, f"kiosk-services-{language}-{size}", full_page=True)
        kiosk.click("#j-submit")  # a name first: the page's own words, not the API's
        catalog = json.loads((ROOT / "web" / "i18n" / f"{language}.json").read_text("utf-8"))
        assert kiosk.inner_text("#join-error") == catalog["kiosk.error.nameMissing"]
        kiosk.click("#join-form .qk-btn-secondary")  # back
        kiosk.wait_for_selector("#s-start:not([hidden])", timeout=5000)
        kiosk.click("#go-appt")
        kiosk.locator("#appt-list button").first.click()
        kiosk.click("#c-yes")
        kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
        assert kiosk.inner_text("#t-placement").startswith(on_time)
        shot(kiosk, f"kiosk-placement-{language}-{size}")
        assert pages.problems(kiosk) == {}
    finally:
        set_settings(shop, priority_at_kiosk=False)
