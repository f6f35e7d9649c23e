"""Every request passes here: a foreign Host is turned away, errors become JSON, and
who is asking is found out."""

from __future__ import annotations

import logging
from dataclasses import replace

import orjson
from aiohttp import web

from kiosk.domain import clock
from kiosk.domain.errors import HTTP_STATUS, Forbidden, KioskError, RateLimited, Unauthorized
from kiosk.keys import DB, SEEN, TOKENS
from kiosk.security.hosts import split_host
from kiosk.security.origins import local_end, origin_ok, own_names
from kiosk.security.principal import ANONYMOUS, PRINCIPAL, TOKEN_ERROR, Principal
from kiosk.security.tokens import hash_secret
from kiosk.services import accounts
from kiosk.store import idempotency

log = logging.getLogger(__name__)


def error_response(error: KioskError) -> web.Response:
    response = web.Response(
        body=idempotency.error_body(error),
        status=HTTP_STATUS[error.code],
        content_type="application/json",
    )
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response


@web.middleware
async def hosts_middleware(request: web.Request, handler):
    """DNS rebinding: a page on evil.example whose name now points at this box is, to
    the browser, same-origin with it; only the Host it sends gives it away. So a Host
    that is not one of our own names is refused before any handler (pages and sockets
    included) runs. No Host at all is an HTTP/1.0 tool, not a browser."""
    host = request.headers.get("Host")
    if host:
        split = split_host(host)
        if split is None or not own_names(request).is_own(*split, *local_end(request)):
            return _misdirected(request, host)
    remote = request.remote
    if remote is not None and remote.startswith("::ffff:"):
        # A dual-stack socket (--host ::) sees an IPv4 peer as ::ffff:a.b.c.d. Every
        # rule keyed by address (loopback claim, limits, the audit) wants a.b.c.d, and
        # an IPv6 /64 rule would lump every IPv4 device together.
        request = request.clone(remote=remote.removeprefix("::ffff:"))
    return await handler(request)


def _misdirected(request: web.Request, host: str) -> web.Response:
    message = (
        f"this appliance is not reached under the name {host[:100]!r}; the owner can "
        "add it with --allow-host or the allowed_hosts setting"
    )
    if request.path.startswith("/api/"):
        body = {"error": {"code": "misdirected", "message": message, "details": {}}}
        return web.Response(body=orjson.dumps(body), status=421, content_type="application/json")
    return web.Response(text=message + "\n", status=421)


# What an allowed page may send and read across origins (SPEC §15). Listed, not echoed
# from the preflight, so the surface a foreign page gets is the one documented.
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key"
CORS_EXPOSE = "X-Seq, Retry-After"
CORS_MAX_AGE_S = "600"


@web.middleware
async def cors_middleware(request: web.Request, handler):
    """Pages of another site the owner allowed (--allow-origin, the settings), and this
    server under another of its own names (localhost vs 127.0.0.1), may use the REST
    API: their browser needs these headers. Any other origin gets none, so its page
    cannot read an answer. Sockets check Origin themselves; pages are same-origin."""
    origin = request.headers.get("Origin")
    if origin is None or not (request.path.startswith("/api/") or request.path == "/ws/stats"):
        return await handler(request)
    allowed = origin_ok(request, required=True)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if not allowed:
            return error_response(
                Forbidden(
                    "this origin may not use the API from a browser; the owner can allow "
                    "it with --allow-origin or the allowed_origins setting",
                    {"origin": origin[:200]},
                )
            )
        missing = request.match_info.http_exception
        if missing is None or isinstance(missing, web.HTTPMethodNotAllowed):
            return _preflight(origin)
        # No such endpoint: the 404 below, readable by the page.
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        # Redirects and non-API errors leave as exceptions (errors_middleware).
        if allowed:
            _cors_headers(exc, origin)
        raise
    if allowed:
        _cors_headers(response, origin)
    return response


def _cors_headers(response: web.StreamResponse, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    response.headers.add("Vary", "Origin")


def _preflight(origin: str) -> web.Response:
    response = web.Response(status=204)
    _cors_headers(response, origin)
    response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
    response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE_S
    return response


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_json"}


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Every failure becomes the JSON error format; nothing escapes as a bare 500."""
    try:
        return await handler(request)
    except KioskError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        code = _HTTP_CODES.get(exc.status, "bad_request")
        message = {
            "not_found": f"no such endpoint: {request.method} {request.path}",
            "method_not_allowed": f"{request.method} is not allowed on {request.path}",
            "too_large": "the request body is too large",
        }.get(code, exc.reason)
        body = orjson.dumps({"error": {"code": code, "message": message, "details": {}}})
        return web.Response(
            body=body,
            status=exc.status,
            content_type="application/json",
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = orjson.dumps(
            {"error": {"code": "internal", "message": "internal error", "details": {}}}
        )
        return web.Response(body=body, status=500, content_type="application/json")


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query.get("token") or None


SESSION_COOKIE = "qk_session"  # a staff member's PIN login (hours)
# A paired tablet's or TV's own token (months). Separate from the session, so a staff
# login on a paired tablet sits on top of the pairing and logging out keeps it paired.
DEVICE_COOKIE = "qk_device"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _principal_for(request: web.Request, secret: str) -> Principal | None:
    secret_hash = hash_secret(secret)
    cache = request.app[TOKENS]
    principal = cache.get(secret_hash)
    if principal is None:
        principal = await request.app[DB].read(
            accounts.find_token, secret_hash, clock.iso_utc(clock.utcnow())
        )
        if principal is not None:
            cache.put(secret_hash, principal)
    if principal is not None:
        request.app[SEEN].add(principal.token_id)
    return principal


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Who is asking: a Bearer/?token= token, else the session cookie, else nobody
    (display). Cookie-authenticated writes must come from our own pages (Origin)."""
    principal = ANONYMOUS
    secret = _bearer(request)
    if secret is not None:
        found = await _principal_for(request, secret)
        if found is None:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                # A socket is told in its own dialect (e.g. connection:error + 1008).
                request[TOKEN_ERROR] = "this token is unknown or revoked"
            else:
                raise Unauthorized("this token is unknown or revoked")
        else:
            principal = found
    else:
        # A stale cookie (logged out, revoked) is simply nobody: public pages still work.
        for name in (SESSION_COOKIE, DEVICE_COOKIE):
            cookie = request.cookies.get(name)
            found = await _principal_for(request, cookie) if cookie else None
            if found is not None:
                principal = replace(found, via_cookie=True)
                break
        cross_site = request.method not in SAFE_METHODS and not origin_ok(request, required=True)
        if principal.via_cookie and cross_site:
            raise Forbidden(
                "cross-site request refused: a cookie-authenticated write must come "
                "from this appliance's own pages",
                {"origin": request.headers.get("Origin")},
            )
    request[PRINCIPAL] = principal
    return await handler(request)
