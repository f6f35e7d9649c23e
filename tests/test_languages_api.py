"""The shop's language (SPEC §14): a shop field every screen follows, the first-run
PC's locale when the appliance ships it, and the catalogs the pages load."""

from __future__ import annotations

import pytest

from kiosk.domain.languages import from_locale
from kiosk.services.shops import system_language
from tests.inprocess import Kiosk
from tests.ws_client import API, new_shop, ok


async def test_the_shop_language_is_set_by_the_owner_and_reaches_the_queue_view(
    inprocess_app: Kiosk,
):
    shop = await new_shop(inprocess_app)
    assert shop["language"] == "en"
    changed = await ok(
        inprocess_app, "PATCH", f"{API}/shops/{shop['id']}", {"language": "ar"}, role="admin"
    )
    assert changed["language"] == "ar"
    queue = await ok(inprocess_app, "GET", f"{API}/shops/{shop['id']}/queue", role=None)
    assert queue["language"] == "ar"
    public = await ok(inprocess_app, "GET", f"{API}/shops/{shop['id']}", role=None)
    assert public["language"] == "ar"
    for bad in ("xx", "english", "", 5, None):
        resp = await inprocess_app.request(
            "PATCH", f"{API}/shops/{shop['id']}", {"language": bad}, role="admin"
        )
        assert resp.status == 422, bad
        assert resp.body["error"]["details"]["field"] in ("language", "name"), resp.body
    staff = await inprocess_app.request(
        "PATCH", f"{API}/shops/{shop['id']}", {"language": "es"}, role="staff"
    )
    assert staff.status == 403


@pytest.mark.parametrize(
    ("locale_name", "expected"),
    [
        ("es_ES.UTF-8", "es"),
        ("pt_BR.UTF-8", "pt"),
        ("zh_CN.UTF-8", "zh"),
        ("ar_EG", "ar"),
        ("de-AT", "de"),
        ("ja_JP.UTF-8", "en"),
        ("C", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_locale_name_maps_to_a_shipped_language(locale_name, expected):
    assert from_locale(locale_name) == expected


def test_the_first_run_takes_the_pcs_language(monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert system_language() == "fr"
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    assert system_language() == "de"
