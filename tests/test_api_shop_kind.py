"""The shop's kind (SPEC §9): barber, clinic, counter or other, part of the shop's JSON,
set by PATCH (admin), carried by every queue body so screens pick their words."""

from __future__ import annotations

import pytest

from tests import test_api as api
from tests.test_api import API


def test_a_new_shop_is_other_and_the_owner_sets_its_kind(server):
    shop = api.new_shop(server)
    assert shop["kind"] == "other"
    admin = server.client("admin")
    for kind in ("clinic", "barber", "counter", "other"):
        changed = admin.patch(f"{API}/shops/{shop['id']}", {"kind": kind})
        assert changed.status == 200 and changed.body["kind"] == kind, changed.body
        assert server.client().get(f"{API}/shops/{shop['id']}").body["kind"] == kind
        assert api.get_queue(server, shop["id"], role=None)["kind"] == kind
    made = admin.post(f"{API}/shops", {"name": "Clinic Two", "kind": "clinic"})
    assert made.status == 201 and made.body["kind"] == "clinic", made.body


@pytest.mark.parametrize("kind", ["hospital", "", 3, None, ["clinic"]])
def test_an_unknown_kind_is_a_clear_422(server, kind):
    shop = api.new_shop(server)
    resp = server.client("admin").patch(f"{API}/shops/{shop['id']}", {"kind": kind})
    assert resp.status == 422 and resp.error_code == "invalid_field", resp.body
    if kind in (None, ""):  # no value: nothing to change, like every optional shop field
        return
    assert resp.body["error"]["details"]["field"] == "kind", resp.body


def test_only_the_owner_sets_the_kind(server):
    shop = api.new_shop(server)
    resp = server.client("staff").patch(f"{API}/shops/{shop['id']}", {"kind": "clinic"})
    assert resp.status == 403, resp.body
