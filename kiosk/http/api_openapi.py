"""`GET /api/v1/openapi.json`: the REST API as OpenAPI 3.1 (SPEC §15).

The operations are written in kiosk/http/openapi_operations.py, beside the route
table, with the same rules the handlers' validation applies (lengths, ranges, choices,
unknown fields refused). The document is assembled from the live router: an operation
is listed only if its route exists, and tests/test_openapi.py fails when a route has no
entry there, so a new endpoint cannot ship undocumented and a removed one cannot linger.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from kiosk import __version__
from kiosk.http.openapi_operations import ANY_OBJECT, OPERATIONS, SOCKETS, Schema, integer

_ERRORS = {
    "400": "bad_json: not JSON, or not an object",
    "401": "unauthorized",
    "403": "forbidden",
    "404": "not_found",
    "409": "invalid_transition, stale_version or conflict",
    "413": "too_large",
    "422": "invalid_field or idempotency_mismatch",
    "429": "rate_limited (Retry-After)",
}


# Writes that answer without the Idempotency-Key machinery (http/requests.py write):
# sign-in and accounts, where a retry is harmless or must be refused anyway (a PIN
# guess, a token shown once), devices and pairing, settings (a PATCH of values), and
# the owner's test ticket (answered with how it printed, the owner at the printer).
_ONCE_BY_NATURE = (
    "/api/v1/auth/",
    "/api/v1/staff",
    "/api/v1/tokens",
    "/api/v1/pairing",
    "/api/v1/settings",
    "/api/v1/printer/test",
)


def _parameters(path: str) -> list[Schema]:
    params = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            schema = {"type": "string"} if name in ("claim", "code") else integer()
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _operation_id(method: str, path: str) -> str:
    # Seeds 000 and 001 differ by a trailing slash only: it must show in the id.
    slash = "_slash" if path.endswith("/") and path != "/" else ""
    words = path.strip("/").replace("{", "").replace("}", "").replace("-", "_")
    return f"{method.lower()}_{words.replace('/', '_').replace('.', '_')}{slash}"


def _operation(method: str, path: str, spec: tuple) -> Schema:
    summary, role, body, status = spec
    op: Schema = {
        "summary": summary,
        "x-role": role,
        "operationId": _operation_id(method, path),
        "responses": {
            str(status): {
                "description": "success",
                "content": {"application/json": {"schema": ANY_OBJECT}} if status != 303 else None,
            },
            **{
                code: {"$ref": "#/components/responses/Error", "description": why}
                for code, why in _ERRORS.items()
            },
        },
    }
    if op["responses"][str(status)]["content"] is None:
        del op["responses"][str(status)]["content"]
    if _parameters(path):
        op["parameters"] = _parameters(path)
    if method != "GET" and not path.startswith(_ONCE_BY_NATURE):
        op.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _socket(path: str, what: str) -> Schema:
    return {
        "summary": what,
        "description": "A WebSocket upgrade; the messages are in docs/sockets.md.",
        "x-websocket": True,
        "operationId": _operation_id("socket", path),
        "parameters": _parameters(path),
        "responses": {"101": {"description": "Switching Protocols"}},
    }


def routes_of(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every API, socket and pairing route (pages and files aside)."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method == "HEAD" or path is None:
            continue
        if path.startswith(("/api/", "/ws", "/pair/")):
            found.add((route.method, path))
    return found


def document(app: web.Application) -> Schema:
    paths: dict[str, Schema] = {}
    for method, path in sorted(routes_of(app)):
        if path in SOCKETS and method == "GET":
            paths.setdefault(path, {})["get"] = _socket(path, SOCKETS[path])
        elif (method, path) in OPERATIONS:
            paths.setdefault(path, {})[method.lower()] = _operation(
                method, path, OPERATIONS[(method, path)]
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Queue Kiosk",
            "version": __version__,
            "description": "The appliance's REST API. Errors are always "
            "{error: {code, message, details}}. See docs/ for the socket dialects.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "tokenQuery": {"type": "apiKey", "in": "query", "name": "token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "qk_session"},
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "The same key within 24 h returns the first answer",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                }
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "details"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "details": {"type": "object"},
                            },
                        }
                    },
                }
            },
        },
        "security": [{}, {"bearer": []}, {"tokenQuery": []}, {"session": []}],
    }


async def openapi(request: web.Request) -> web.Response:
    # Built per request (about a millisecond): rarely asked, and always the live table.
    return web.Response(body=orjson.dumps(document(request.app)), content_type="application/json")


def bind(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
