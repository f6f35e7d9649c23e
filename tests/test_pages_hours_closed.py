"""What the customer screens say while self-service joins are shut (SPEC §11, issue 15),
in real Chromium against a real server whose clock libfaketime holds near Friday
2026-12-25 12:50 UTC (the shops' zone is UTC):

- a closure's reason ("Closed today: Christmas") and tomorrow's opening;
- an opening on another weekday ("on Monday at 9:00 AM");
- the last-join cutoff, before lunch ("right now", again at 2:00 PM) and at the end of
  the day ("today", again tomorrow);
- Arabic, right to left, on the phone and the TV.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import shot
from tests.kiosk_harness import Server
from tests.test_opening_hours import needs_faketime, running_fake_clock
from tests.test_pages_hours_customer import (
    DAY,
    WEEKDAYS,
    make_shop,
    open_join,
    open_kiosk,
    open_tv,
    plan,
    texts,
)

pytest_plugins = ("tests.browser",)

pytestmark = [pytest.mark.timeout(300), needs_faketime]

CHRISTMAS = [{"date": "2026-12-25", "reason": "Christmas"}]
WORDS = ("#closed-heading", "#closed-reason")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """Friday 2026-12-25, 12:50 UTC and running on: ten minutes before a 13:00 closing."""
    yield from running_fake_clock(tmp_path_factory.mktemp("kiosk"), "2026-12-25 12:50:00")


def test_a_closure_gives_its_reason_and_tomorrows_opening(server, pages):
    shop = make_shop(
        server, ("Sam Shears",), opening_hours={d: DAY for d in WEEKDAYS}, closures=CHRISTMAS
    )
    said = ["Closed today: Christmas", "Closed — we open tomorrow at 9:00 AM."]
    kiosk = open_kiosk(pages, shop["id"], "closed")
    phone = open_join(pages, shop["id"], "closed")
    tv = open_tv(pages, shop["id"])
    tv.wait_for_selector("#closed-note:not([hidden])", timeout=5000)
    assert texts(kiosk, *WORDS) == said
    assert texts(phone, *WORDS) == said
    assert texts(tv, *WORDS) == said
    assert tv.locator("#next-empty").is_hidden()  # never "walk right in" while closed
    shot(kiosk, "hours-closure-kiosk-tablet")
    shot(tv, "hours-closure-tv")
    assert pages.problems(kiosk, phone, tv) == {}


def test_an_opening_on_another_day_names_the_weekday(server, pages):
    shop = make_shop(server, opening_hours={"mon": [["09:00", "17:00"]]})
    phone = open_join(pages, shop["id"], "closed")
    assert texts(phone, *WORDS) == ["We're closed", "Closed — we open on Monday at 9:00 AM."]
    # The TV page on a phone (it stacks), and /join on a tablet, say it too.
    small_tv = pages.open(f"/display?shop={shop['id']}", size="phone")
    small_tv.wait_for_selector("#closed-note:not([hidden])", timeout=5000)
    assert texts(small_tv, *WORDS) == texts(phone, *WORDS)
    box = small_tv.locator("#closed-note").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    shot(small_tv, "hours-weekday-tv-phone")
    big = pages.open(f"/join?shop={shop['id']}", size="tablet")
    big.wait_for_selector("#s-closed:not([hidden])", timeout=10_000)
    assert texts(big, *WORDS) == texts(phone, *WORDS)
    shot(big, "hours-weekday-join-tablet")
    kiosk = open_kiosk(pages, shop["id"], "closed")
    assert texts(kiosk, *WORDS) == ["We're closed", "Closed — we open on Monday at 9:00 AM."]
    assert pages.problems(phone, kiosk, small_tv, big) == {}


def test_the_last_minutes_before_a_closing_take_no_more_check_ins(server, pages):
    lunch = make_shop(server, ("Sam Shears",), opening_hours={d: DAY for d in WEEKDAYS})
    kiosk = open_kiosk(pages, lunch["id"], "closed")
    assert texts(kiosk, *WORDS, "#closed-hint") == [
        "We're not taking more check-ins right now",
        "Check-ins open again at 2:00 PM.",
        "Everyone already in line will still be served.",
    ]
    assert kiosk.get_attribute("html", "data-closed") == "cutoff"
    shot(kiosk, "hours-cutoff-kiosk-tablet")

    evening = make_shop(
        server, opening_hours={"fri": [["09:00", "13:00"]], "sat": [["10:00", "12:00"]]}
    )
    phone = open_join(pages, evening["id"], "closed")
    tv = open_tv(pages, evening["id"])
    said = ["We're not taking more check-ins today", "Check-ins open again tomorrow at 10:00 AM."]
    assert texts(phone, *WORDS) == said
    tv.wait_for_selector("#closed-note:not([hidden])", timeout=5000)
    assert texts(tv, *WORDS) == said
    shot(phone, "hours-cutoff-join-phone")
    shot(tv, "hours-cutoff-tv")
    assert pages.problems(kiosk, phone, tv) == {}


def test_closed_reads_right_to_left_in_arabic(server, pages):
    shop = make_shop(
        server, ("Sam Shears",), opening_hours={d: DAY for d in WEEKDAYS}, closures=CHRISTMAS
    )
    phone = open_join(pages, shop["id"], "closed", lang="ar")
    phone.wait_for_function("() => document.documentElement.dir === 'rtl'", timeout=5000)
    heading, line = texts(phone, *WORDS)
    assert heading == "مغلق اليوم: Christmas"
    assert line.startswith("مغلق — نفتح غدًا الساعة")
    # The card's coloured edge sits on the right, where an Arabic reader starts.
    card = phone.locator("#s-closed .closed-card")
    edge = card.evaluate("c => getComputedStyle(c).borderRightWidth")
    assert edge == "8px", edge
    shot(phone, "hours-closure-join-ar-phone")
    tv = open_tv(pages, shop["id"], lang="ar")
    tv.wait_for_selector("#closed-note:not([hidden])", timeout=5000)
    assert tv.text_content("#closed-heading") == "مغلق اليوم: Christmas"
    shot(tv, "hours-closure-ar-tv")
    assert pages.problems(phone, tv) == {}


def test_a_closed_kiosk_still_checks_in_an_appointment(server, pages):
    shop = make_shop(server, ("Dr. Ada",), opening_hours={"mon": [["09:00", "17:00"]]})
    kiosk = open_kiosk(pages, shop["id"], "closed")
    assert kiosk.locator("#closed-appt").is_hidden()  # nobody to check in: no button
    booked = server.client("staff").post(
        "/api/v1/appointments",
        {
            "provider_id": shop["providers"][0]["id"],
            "date": "2026-12-25",
            "starts_at": "2026-12-25T15:30:00+00:00",
            "patient": {"name": "Peter Parker"},
        },
    )
    assert booked.status == 201, booked.body
    kiosk.wait_for_selector("#closed-appt:not([hidden])", timeout=5000)
    assert kiosk.text_content("#closed-appt") == "I have an appointment"
    shot(kiosk, "hours-closed-appointment-kiosk-tablet")
    kiosk.click("#closed-appt")
    kiosk.locator("#appt-list button", has_text="Peter P.").click()
    kiosk.click("#c-yes")
    kiosk.wait_for_selector("#s-ticket:not([hidden])", timeout=10_000)
    # Done: back to the closed screen, not to a start screen that would offer a join.
    kiosk.click("#t-done")
    kiosk.wait_for_selector("#s-closed:not([hidden])", timeout=5000)
    assert pages.problems(kiosk) == {}


def test_the_ticket_page_says_when_the_provider_asked_for_is_back(server, pages):
    shop = make_shop(server, ("Sam Shears", "Alex Blade"))
    sam, alex = shop["providers"]
    plan(server, shop["id"], sam, "shift", "09:00", "18:00", "2026-12-25")
    plan(server, shop["id"], sam, "break", "12:00", "14:30", "2026-12-25")
    staff = server.client("staff")

    def join(name: str, provider: dict) -> dict:
        body = {"full_name": name, "provider_id": provider["id"]}
        made = staff.post(f"/api/v1/shops/{shop['id']}/queue", body)
        assert made.status == 201, made.body
        return made.body

    # Third and fourth in line: no "you're next" buzz on these phones.
    join("Al Ready", alex)
    join("Bo Before", alex)
    for_sam, for_alex = join("Wanda Wait", sam), join("Cy Later", alex)
    mine = pages.open(f"/t/{for_sam['claim']}", size="phone")
    mine.wait_for_selector("#away:not([hidden])", timeout=10_000)
    assert mine.text_content("#away") == "Sam Shears is on a break until 2:30 PM."
    shot(mine, "duty-ticket-phone")
    other = pages.open(f"/t/{for_alex['claim']}", size="phone")
    other.wait_for_function("() => Number(document.documentElement.dataset.seq) >= 0")
    assert other.locator("#away").is_hidden()  # Alex is on duty: nothing to say
    assert pages.problems(mine, other) == {}


def test_a_kiosk_mid_form_when_joins_shut_drops_the_form_and_the_visit_language(server, pages):
    shop = make_shop(server, ("Sam Shears",))  # no hours yet: open
    kiosk = open_kiosk(pages, shop["id"], "start")
    kiosk.click('#languages .lang[data-lang="es"]')
    kiosk.wait_for_function("() => document.documentElement.lang === 'es'", timeout=5000)
    kiosk.click("#go-join")
    kiosk.fill("#j-name", "Half Filled")
    # The owner sets hours that shut today's check-ins (the shop closes at 13:00).
    admin = server.client("admin")
    hours = {"opening_hours": {"fri": [["09:00", "13:00"]], "mon": [["09:00", "13:00"]]}}
    assert admin.patch(f"/api/v1/shops/{shop['id']}", hours).status == 200
    kiosk.wait_for_selector("#s-closed:not([hidden])", timeout=5000)
    kiosk.wait_for_function("() => document.documentElement.lang === 'en'", timeout=5000)
    assert texts(kiosk, *WORDS) == [
        "We're not taking more check-ins today",
        "Check-ins open again on Monday at 9:00 AM.",
    ]
    assert kiosk.input_value("#j-name") == ""
    assert pages.problems(kiosk) == {}
