"""docs/ is the integrator's reference (SPEC §15): it names every REST endpoint and
every socket path the appliance serves, has one "connect your front end" page per seed
protocol, and the README links it. Fails when a route is added without a word in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.app import make_app
from kiosk.config import Config
from kiosk.http import api_openapi

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SEEDS = ("000", "001", "002", "003", "004")


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))


def _mentioned(path: str, text: str) -> bool:
    # "/api/v1/queue/{entry_id}" is written as is; "/ws/appointments/{shop_id}[/]" and
    # "/ws/queue/{shop_id}/" cover both spellings of a trailing slash.
    stripped = path.rstrip("/") or "/"
    return path in text or f"{stripped}[/]" in text or f"`{stripped}" in text


def test_every_route_is_in_the_docs():
    text = docs_text()
    routes = api_openapi.routes_of(make_app(Config()))
    missing = sorted(f"{m} {p}" for m, p in routes if not _mentioned(p, text))
    assert missing == [], "routes docs/ does not mention"
    assert not _mentioned("/api/v1/brand-new", text)  # the check can fail


@pytest.mark.parametrize("seed", SEEDS)
def test_each_seed_has_a_connect_page(seed):
    pages = list((DOCS / "connect").glob(f"seed-{seed}-*.md"))
    assert len(pages) == 1, pages
    assert pages[0].name in (DOCS / "connect" / "README.md").read_text(encoding="utf-8")


def test_the_reference_covers_what_an_integrator_needs():
    text = docs_text()
    for topic in (
        "Idempotency-Key",
        "since=",
        "resync",
        "4401",
        "4404",
        "4408",
        "1008",
        "1009",
        "1013",
        "X-Kiosk-Signature",
        "X-Kiosk-Delivery",
        "X-Kiosk-Timestamp",
        "Access-Control-Allow-Origin",
        "openapi.json",
    ):
        assert topic in text, topic
    for role in ("display", "kiosk", "staff", "admin"):
        assert f"`{role}`" in (DOCS / "auth.md").read_text(encoding="utf-8"), role


def test_relative_links_in_the_docs_lead_somewhere():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} -> {target}"


def test_the_readme_links_the_docs_and_no_outside_spec():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/README.md" in readme
    assert "planning repository" not in readme
