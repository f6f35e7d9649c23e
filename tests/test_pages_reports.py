"""/admin's Reports panel (SPEC §13) in real Chromium, over the known history of
tests/test_reports.py written into the server's data folder before it starts.

- The panel loads the last 7 days when it comes into view; "Choose dates" shows the
  known two days: totals, the three charts (drawn by the vendored Chart.js, under the
  page's strict CSP) and the same numbers in tables, all as the API answers them.
- The CSV button downloads the file the API streams, with its name.
- In German the panel's words come from the catalog and numbers use a decimal comma.
- Tablet, phone and TV sizes: screenshots, and nothing wider than the screen.

Waits are conditions with timeouts, never sleeps.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import SCREENSHOTS, Pages, shot
from tests.kiosk_harness import Server
from tests.test_reports import FROM, TO, write_history

pytest_plugins = ("tests.browser",)
pytestmark = pytest.mark.timeout(300)

API = "/api/v1"
I18N = Path(__file__).resolve().parent.parent / "web" / "i18n"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("reports-page")
    write_history(folder)
    srv = Server(folder).start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.kill()


def open_reports(pages: Pages, size: str = "tablet", context=None):
    page = pages.open("/admin?shop=1", role="admin", size=size, context=context)
    page.locator("#reports").scroll_into_view_if_needed()
    # The first look asks for the last 7 days.
    page.wait_for_selector('#reports:is([data-state="ready"], [data-state="empty"])')
    return page


def show_known_days(page) -> None:
    page.click('#reports [data-range="custom"]')
    page.fill("#rep-from", FROM)
    page.fill("#rep-to", TO)
    page.click("#rep-show")
    page.wait_for_selector('#reports[data-state="ready"]')
    page.wait_for_function("() => window.Chart && window.Chart.getChart('rep-providers')")


def chart_data(page, canvas: str) -> dict:
    return page.evaluate(
        """(id) => { const c = window.Chart.getChart(id);
             return { labels: c.data.labels, data: c.data.datasets.map(d => d.data),
                      names: c.data.datasets.map(d => d.label) }; }""",
        canvas,
    )


def tile_texts(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#rep-tiles .rep-tile",
        "ts => Object.fromEntries(ts.map(t => [t.dataset.field, "
        "t.querySelector('dd').textContent]))",
    )


def table_rows(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        "rs => rs.map(r => [...r.children].map(c => c.textContent))",
    )


def shot_panel(page, name: str) -> None:
    """The Reports panel alone: /admin above it is a long page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#reports").screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"
    panel = page.locator("#reports").bounding_box()
    assert panel["width"] <= page.viewport_size["width"]


def test_the_known_days_show_totals_charts_and_tables_as_the_api_says(pages, server) -> None:
    body = server.client("staff").get(f"{API}/shops/1/reports?from={FROM}&to={TO}").body
    page = open_reports(pages)
    show_known_days(page)
    tiles = tile_texts(page)
    assert tiles["tickets"] == str(body["totals"]["tickets"]) == "10"
    assert tiles["served"] == "6" and tiles["no_show"] == "1" and tiles["left"] == "1"
    assert tiles["wait_p50_min"] == "7 min" and tiles["service_p90_min"] == "30 min"
    hours = chart_data(page, "rep-hours")
    busy = [h for h, n in enumerate(body["by_hour"]) if n]
    assert hours["data"] == [body["by_hour"][busy[0] : busy[-1] + 1]]
    assert hours["labels"][0] == "9:00 AM" and hours["labels"][-1] == "11:00 PM"
    waits = chart_data(page, "rep-waits")
    assert waits["data"] == [
        [d["wait_p50_min"] for d in body["by_day"]],
        [d["wait_p90_min"] for d in body["by_day"]],
    ]
    providers = chart_data(page, "rep-providers")
    assert providers["labels"] == [p["name"] or "Anyone" for p in body["by_provider"]]
    assert providers["data"] == [
        [p["served"] for p in body["by_provider"]],
        [p["no_show"] for p in body["by_provider"]],
    ]
    assert providers["names"] == ["Served", "No-show"]
    # The same numbers, as tables a screen reader can read.
    page.click("#rep-numbers summary")
    days = table_rows(page, "rep-table-days")
    assert [row[1] for row in days] == [str(d["tickets"]) for d in body["by_day"]]
    assert days[1][6] == "1.5 min"  # the 3rd: Sam waited 90 seconds, the median of two
    by_hour = table_rows(page, "rep-table-hours")
    assert sum(int(row[1]) for row in by_hour) == 10
    names = [row[0] for row in table_rows(page, "rep-table-providers")]
    assert names == [p["name"] or "Anyone" for p in body["by_provider"]]
    assert page.get_attribute("#rep-hours", "aria-label").startswith("Chart: Arrivals by hour")
    estimates = page.text_content("#rep-estimates")
    assert f"{body['estimates']['compared']} compared" in estimates
    shot_panel(page, "reports-tablet")
    fits(page)
    assert pages.problems(page) == {}


def test_a_tap_on_a_bar_shows_its_number_on_a_tablet(pages, server) -> None:
    tablet = pages.context("tablet", has_touch=True, is_mobile=True)
    page = open_reports(pages, context=tablet)
    show_known_days(page)
    page.locator("#rep-hours").scroll_into_view_if_needed()
    first_bar = page.evaluate(
        """() => { const c = window.Chart.getChart('rep-hours');
             const bar = c.getDatasetMeta(0).data[0];
             return { x: bar.x, y: (bar.y + bar.base) / 2 }; }"""
    )
    box = page.locator("#rep-hours").bounding_box()
    page.touchscreen.tap(box["x"] + first_bar["x"], box["y"] + first_bar["y"])
    page.wait_for_function(
        "() => window.Chart.getChart('rep-hours').tooltip.getActiveElements().length === 1"
    )
    shown = page.evaluate(
        "() => window.Chart.getChart('rep-hours').tooltip.body.flatMap(b => b.lines)"
    )
    assert shown == ["Arrivals: 5"]  # five arrived in the 9 o'clock hour
    assert pages.problems(page) == {}


def test_the_csv_button_downloads_the_tickets(pages, server) -> None:
    page = open_reports(pages)
    show_known_days(page)
    with page.expect_download() as download:
        page.click("#rep-csv")
    got = download.value
    assert got.suggested_filename == f"tickets-1-{FROM}-{TO}.csv"
    api = server.client("staff").get(f"{API}/shops/1/reports/tickets.csv?from={FROM}&to={TO}")
    assert Path(got.path()).read_bytes() == api.raw
    assert pages.problems(page) == {}


def test_a_preset_asks_for_days_ending_today(pages, server) -> None:
    page = open_reports(pages)
    show_known_days(page)
    page.click('#reports [data-range="30"]')
    page.wait_for_selector('#reports [data-range="30"][aria-pressed="true"]')
    page.wait_for_selector('#reports:is([data-state="ready"], [data-state="empty"])')
    assert page.is_hidden("#rep-custom")
    shown = page.text_content("#rep-status")
    assert shown and shown != "Loading…"


@contextlib.contextmanager
def reports_in(server: Server, lang: str) -> Iterator[dict[str, Any]]:
    """The shop's language set to `lang` for the block; yields its catalog."""
    admin = server.client("admin")
    assert admin.patch(f"{API}/shops/1", {"language": lang}).status == 200
    try:
        yield json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    finally:
        assert admin.patch(f"{API}/shops/1", {"language": "en"}).status == 200


def test_in_german_the_words_and_numbers_are_german(pages, server) -> None:
    with reports_in(server, "de") as de:
        page = open_reports(pages)
        show_known_days(page)
        assert page.text_content("#rep-hours-h") == de["admin.reports.chartHours"]
        assert chart_data(page, "rep-providers")["names"] == [
            de["admin.reports.served"],
            de["admin.reports.noShow"],
        ]
        page.click("#rep-numbers summary")
        assert table_rows(page, "rep-table-days")[1][6] == "1,5 Min."
        assert chart_data(page, "rep-hours")["labels"][0] == "9:00"  # 24-hour clock
        shot_panel(page, "reports-tablet-de")
        assert pages.problems(page) == {}


@pytest.mark.parametrize("size", ["phone", "tv"])
def test_the_panel_fits_a_phone_and_a_tv(pages, server, size) -> None:
    page = open_reports(pages, size=size)
    show_known_days(page)
    page.locator("#rep-charts").scroll_into_view_if_needed()
    shot(page, f"reports-{size}")
    shot_panel(page, f"reports-{size}-panel")
    fits(page)
    assert pages.problems(page) == {}


def test_in_arabic_the_charts_read_right_to_left(pages, server) -> None:
    with reports_in(server, "ar") as ar:
        page = open_reports(pages)
        show_known_days(page)
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.text_content("#rep-waits-h") == ar["admin.reports.chartWaits"]
        flipped = page.evaluate(
            """() => { const o = window.Chart.getChart('rep-waits').options;
                 return [o.scales.x.reverse, o.scales.y.position, o.plugins.legend.rtl]; }"""
        )
        assert flipped == [True, "right", True]
        shot_panel(page, "reports-tablet-ar")
        assert pages.problems(page) == {}
