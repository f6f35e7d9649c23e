"""`GET /api/v1/openapi.json` (SPEC §15): a valid OpenAPI 3.1 document that has a path
for every API route the appliance serves, and nothing it does not serve."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kiosk.app import make_app
from kiosk.config import Config
from kiosk.http import api_openapi
from tests.kiosk_harness import Server


def test_the_document_is_valid_openapi_3_1(server: Server):
    got = server.client().get("/api/v1/openapi.json")
    assert got.status == 200 and got.headers["content-type"].startswith("application/json")
    doc = got.body
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any error


def test_every_route_has_a_path_and_every_path_a_route(server: Server):
    app = make_app(Config())
    doc = server.client().get("/api/v1/openapi.json").body
    documented = {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = api_openapi.routes_of(app)
    assert sorted(routes - documented) == [], "routes without a path in openapi.json"
    assert sorted(documented - routes) == [], "paths in openapi.json that no route serves"
    assert len(routes) > 60


def test_a_route_without_an_entry_is_caught():
    """The check above can fail: an undocumented route is left out of the document."""
    app = make_app(Config())

    async def extra(request):  # pragma: no cover - never called
        raise AssertionError

    app.router.add_post("/api/v1/brand-new", extra)
    doc = api_openapi.document(app)
    assert "/api/v1/brand-new" not in doc["paths"]
    assert ("POST", "/api/v1/brand-new") in api_openapi.routes_of(app)


def test_the_validator_rejects_a_broken_document():
    """The validator is really looking: a document with a bad field fails it."""
    doc = api_openapi.document(make_app(Config()))
    doc["paths"]["/api/v1/health"]["get"]["responses"] = "nope"
    with pytest.raises(OpenAPIValidationError):
        validate(doc)


def test_request_bodies_follow_the_validation_rules(server: Server):
    """What the document says a body may hold is what the handler accepts: an unknown
    field, a too-long name, a wrong choice are 422 both ways."""
    doc = server.client().get("/api/v1/openapi.json").body
    shop = doc["paths"]["/api/v1/shops"]["post"]["requestBody"]["content"]["application/json"]
    schema = shop["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["name"]
    assert schema["properties"]["name"]["maxLength"] == 100
    admin = server.client("admin")
    too_long = admin.post("/api/v1/shops", {"name": "x" * 101})
    assert too_long.status == 422 and too_long.body["error"]["details"]["field"] == "name"
    unknown = admin.post("/api/v1/shops", {"name": "Ok", "colour": "red"})
    assert unknown.status == 422 and unknown.body["error"]["details"]["field"] == "colour"
    kinds = schema["properties"]["kind"]["enum"]
    wrong = admin.post("/api/v1/shops", {"name": "Ok", "kind": "spaceship"})
    assert "spaceship" not in kinds and wrong.status == 422
