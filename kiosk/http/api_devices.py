"""REST: the appliance's address for tablets and TVs, and pairing them."""

from __future__ import annotations

import asyncio
import functools
import logging

from aiohttp import web

from kiosk import __version__
from kiosk.appliance import discovery
from kiosk.domain.errors import InvalidField, NotFound
from kiosk.http import validate as v
from kiosk.http.guesses import count_guess, require_json_from_this_site
from kiosk.http.middleware import DEVICE_COOKIE
from kiosk.http.requests import body_of, ctx_of, json_response, principal_of
from kiosk.keys import DB, LOGIN_GUARD
from kiosk.security.origins import is_loopback
from kiosk.security.principal import require
from kiosk.services import accounts

log = logging.getLogger(__name__)


# Drawing a QR code takes ~9 ms and the admin page asks for the same few on every
# visit: remembered per URL, and drawn on a worker thread, never on the event loop.
_qr_svg = functools.lru_cache(maxsize=64)(discovery.qr_svg)


def public_base(request: web.Request) -> str:
    """Where a tablet reaches us: the PC's browser may be on 127.0.0.1, a tablet is not.
    Reads the network interfaces: call it off the event loop."""
    host = request.host.rsplit(":", 1)[0].strip("[]")
    if host in ("localhost",) or is_loopback(host):
        port = request.url.port or 80
        return discovery.primary_url(port)
    return f"{request.scheme}://{request.host}"


def _describe(request: web.Request, suffix: str) -> dict:
    base = public_base(request)
    pages = ("kiosk", "join", "display", "staff", "monitor")
    urls = {page: f"{base}/{page}{suffix}" for page in pages}
    return {
        "version": __version__,
        "base_url": base,
        "urls": urls,
        # `join` is the customers' phones' page (SPEC §9): the one for a poster.
        "qr_svg": {
            page: _qr_svg(url) for page, url in urls.items() if page in ("kiosk", "join", "display")
        },
    }


async def appliance(request: web.Request) -> web.Response:
    """Where tablets and TVs reach this appliance (the owner's PC may be on 127.0.0.1)."""
    shop = request.query.get("shop")
    suffix = f"?shop={shop}" if shop and shop.isascii() and shop.isdigit() else ""
    return json_response(await asyncio.to_thread(_describe, request, suffix))


async def start_pairing(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"role", "name"})
    role = v.choice(body, "role", ("kiosk", "display"))
    name = v.text(body, "name", required=False, max_len=60) or f"{role} device"
    started = await request.app[DB].run(accounts.start_pairing, ctx_of(request), role, name)
    url = f"{await asyncio.to_thread(public_base, request)}/pair/{started['code']}"
    qr = await asyncio.to_thread(discovery.qr_svg, url)  # one code per pairing: not cached
    return json_response({**started, "url": url, "qr_svg": qr}, 201)


def _keep_device(response: web.StreamResponse, secret: str) -> web.StreamResponse:
    response.set_cookie(
        DEVICE_COOKIE,
        secret,
        max_age=accounts.DEVICE_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="Strict",
    )
    return response


async def redeem_pairing(request: web.Request) -> web.Response:
    """Opened on the tablet or TV: it keeps a device token (cookie) and goes to its page."""
    code = request.match_info["code"]
    try:
        device = await request.app[DB].run(accounts.redeem_pairing, ctx_of(request), code)
    except NotFound as exc:
        return web.Response(
            status=404,
            content_type="text/html",
            text=f"<!doctype html><meta charset=utf-8><title>Pairing</title>"
            f"<p style='font:24px system-ui'>{exc.message}</p>",
        )
    return _keep_device(web.HTTPSeeOther(f"/{device['role']}"), device["secret"])


def _short_code(body: dict) -> str:
    code = body.get("code")
    digits = accounts.SHORT_CODE_DIGITS
    if not (isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == digits):
        raise InvalidField("code", f"must be the {digits}-digit code shown at /admin")
    return code


async def redeem_short_code(request: web.Request) -> web.Response:
    """The owner typed the code on the tablet: this browser becomes the paired device,
    without leaving its page (the answer names the role; the secret stays in the cookie)."""
    # A typed code is guessed like a PIN: the same per-address lockout (counted before
    # the check), and only as JSON from our own pages.
    require_json_from_this_site(request)
    body = await body_of(request)
    v.only_known(body, {"code"})
    code = _short_code(body)
    address = count_guess(request, "codes")
    device = await request.app[DB].run(accounts.redeem_short_code, ctx_of(request), code)
    request.app[LOGIN_GUARD].succeeded(address)
    answer = {k: device[k] for k in ("id", "name", "role", "kind", "expires_at")}
    return _keep_device(json_response(answer), device["secret"])


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/appliance", appliance)
    r.add_post(f"{p}/pairing", start_pairing)
    r.add_post(f"{p}/pairing/redeem", redeem_short_code)
    r.add_get("/pair/{code}", redeem_pairing)
