"""People, devices and settings over HTTP: first-run claim, PIN login, staff, tokens,
pairing, settings and the audit trail (SPEC §3, §5).

None of these go through the Idempotency-Key store: their answers carry secrets (a
session, a token) or their bodies carry PINs, and neither may be kept on disk.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import math
from typing import Any

from aiohttp import web

from kiosk import __version__, accounts, auth, discovery, settings
from kiosk import validate as v
from kiosk.api import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    body_of,
    ctx_of,
    json_response,
    path_id,
    principal_of,
)
from kiosk.auth import require
from kiosk.errors import Forbidden, InvalidField, NotFound, RateLimited, Unauthorized
from kiosk.keys import DB, RUNTIME, TOKENS

LOGIN_GUARD = web.AppKey("login_guard", auth.LoginGuard)
PIN_DIGITS = (4, 12)


def _pin(body: dict[str, Any], name: str = "pin") -> str:
    pin = body.get(name)
    low, high = PIN_DIGITS
    if (
        not isinstance(pin, str)
        or not pin.isascii()
        or not pin.isdigit()
        or not (low <= len(pin) <= high)
    ):
        raise InvalidField(name, f"must be a string of {low} to {high} digits")
    return pin


def _with_cookie(body: Any, secret: str, max_age_s: int, status: int = 200) -> web.Response:
    response = json_response(body, status)
    # HttpOnly: page scripts never see it; SameSite=Strict: other sites' pages cannot
    # make the browser send it (plus the Origin check on writes, api.auth_middleware).
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=max_age_s, path="/", httponly=True, samesite="Strict"
    )
    return response


def _guarded(request: web.Request) -> str:
    """Count this attempt BEFORE checking it, so a burst of parallel guesses cannot
    slip past the lockout while the slow hashes run."""
    address = request.remote or "?"
    guard = request.app[LOGIN_GUARD]
    wait_s = guard.wait_s(address)
    if wait_s > 0:
        raise RateLimited(
            "too many wrong PINs; wait before trying again", retry_after_s=max(1, math.ceil(wait_s))
        )
    limits = request.app[RUNTIME].settings.limits
    guard.failed(address, limits.login_attempts, limits.login_lockout_s)
    return address


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


async def setup(request: web.Request) -> web.Response:
    """First run: only someone at the PC (loopback) or holding the printed one-time
    link may claim the appliance and set the admin PIN."""
    runtime = request.app[RUNTIME]
    body = await body_of(request)
    pin = _pin(body)
    name = v.text(body, "name", required=False, max_len=60) or "Owner"
    offered = body.get("setup_token")
    if offered is not None and not isinstance(offered, str):
        raise InvalidField("setup_token", "must be a string")
    address = _guarded(request)
    link_ok = bool(
        offered
        and runtime.setup_secret
        and hmac.compare_digest(offered.encode(), runtime.setup_secret.encode())
    )
    if not (link_ok or _is_loopback(request.remote)):
        raise Forbidden(
            "setting up this appliance needs the one-time link printed when it "
            "started, or a browser on the PC itself"
        )
    db = request.app[DB]
    if await db.run(accounts.claimed):
        raise Forbidden("this appliance has already been set up; log in with a PIN")
    pin_hash = await asyncio.to_thread(auth.hash_pin, pin)
    result = await db.run(accounts.claim, ctx_of(request), name, pin_hash)
    request.app[LOGIN_GUARD].succeeded(address)
    runtime.setup_secret = None
    return _with_cookie({"staff": result["staff"]}, result["secret"], accounts.SESSION_HOURS * 3600)


def _matching(pin: str, hashes: list[tuple[int, str]]) -> int | None:
    for staff_id, pin_hash in hashes:
        if auth.verify_pin(pin, pin_hash):
            return staff_id
    return None


async def login(request: web.Request) -> web.Response:
    body = await body_of(request)
    pin = _pin(body)
    address = _guarded(request)
    db = request.app[DB]
    staff_id = await asyncio.to_thread(_matching, pin, await db.run(accounts.pin_hashes))
    if staff_id is None:
        raise Unauthorized("wrong PIN")
    request.app[LOGIN_GUARD].succeeded(address)
    result = await db.run(accounts.login, ctx_of(request), staff_id)
    return _with_cookie({"staff": result["staff"]}, result["secret"], accounts.SESSION_HOURS * 3600)


async def logout(request: web.Request) -> web.Response:
    principal = principal_of(request)
    if principal.kind == "session" and principal.token_id is not None:
        await request.app[DB].run(accounts.logout, ctx_of(request), principal.token_id)
        request.app[TOKENS].forget(principal.token_id)
    response = json_response({"logged_out": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    principal = principal_of(request)
    return json_response(
        {
            "role": principal.role,
            "name": principal.name,
            "kind": principal.kind if not principal.anonymous else None,
            "authenticated": not principal.anonymous,
            "claimed": await request.app[DB].run(accounts.claimed),
        }
    )


# ---------------------------------------------------------------- staff


async def list_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    return json_response(await request.app[DB].run(accounts.list_staff))


async def create_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"name", "pin", "role"})
    name = v.text(body, "name", max_len=60)
    pin = _pin(body)
    role = v.choice(body, "role", accounts.STAFF_ROLES, required=False) or "staff"
    db = request.app[DB]
    hashes = await db.run(accounts.pin_hashes)
    taken = await asyncio.to_thread(_matching, pin, hashes) is not None
    pin_hash = await asyncio.to_thread(auth.hash_pin, pin)
    created = await db.run(accounts.create_staff, ctx_of(request), name, role, pin_hash, taken)
    return json_response(created, 201)


async def disable_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    staff_id = path_id(request, "staff_id")
    result = await request.app[DB].run(accounts.disable_staff, ctx_of(request), staff_id)
    request.app[TOKENS].clear()  # its sessions were revoked: drop every cached token
    return json_response(result)


# ---------------------------------------------------------------- tokens and pairing


async def list_tokens(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    return json_response(await request.app[DB].run(accounts.list_tokens))


async def create_token(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"role", "name"})
    role = v.choice(body, "role", auth.ROLES)
    name = v.text(body, "name", required=False, max_len=60) or f"{role} token"
    created = await request.app[DB].run(accounts.issue_token, ctx_of(request), role, name)
    return json_response(created, 201)


async def revoke_token(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    token_id = path_id(request, "token_id")
    result = await request.app[DB].run(accounts.revoke_token, ctx_of(request), token_id)
    request.app[TOKENS].forget(token_id)
    return json_response(result)


def _public_base(request: web.Request) -> str:
    """Where a tablet reaches us: the PC's browser may be on 127.0.0.1, a tablet is not."""
    host = request.host.rsplit(":", 1)[0].strip("[]")
    if host in ("localhost",) or _is_loopback(host):
        port = request.url.port or 80
        return discovery.primary_url(port)
    return f"{request.scheme}://{request.host}"


async def appliance(request: web.Request) -> web.Response:
    """Where tablets and TVs reach this appliance (the owner's PC may be on 127.0.0.1)."""
    base = _public_base(request)
    shop = request.query.get("shop")
    suffix = f"?shop={shop}" if shop and shop.isascii() and shop.isdigit() else ""
    urls = {page: f"{base}/{page}{suffix}" for page in ("kiosk", "display", "staff", "monitor")}
    return json_response(
        {
            "version": __version__,
            "base_url": base,
            "urls": urls,
            "qr_svg": {
                page: discovery.qr_svg(url)
                for page, url in urls.items()
                if page in ("kiosk", "display")
            },
        }
    )


async def start_pairing(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"role", "name"})
    role = v.choice(body, "role", ("kiosk", "display"))
    name = v.text(body, "name", required=False, max_len=60) or f"{role} device"
    started = await request.app[DB].run(accounts.start_pairing, ctx_of(request), role, name)
    url = f"{_public_base(request)}/pair/{started['code']}"
    return json_response({**started, "url": url, "qr_svg": discovery.qr_svg(url)}, 201)


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
    response = web.HTTPSeeOther(f"/{device['role']}")
    response.set_cookie(
        DEVICE_COOKIE,
        device["secret"],
        max_age=accounts.DEVICE_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="Strict",
    )
    return response


# ---------------------------------------------------------------- settings and audit


async def get_settings(request: web.Request) -> web.Response:
    current = request.app[RUNTIME].settings
    if auth.at_least(principal_of(request).role, "admin"):
        return json_response(current.as_dict())
    return json_response(current.public())


async def patch_settings(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    runtime = request.app[RUNTIME]
    settings.changed(runtime.settings, body)  # refuse bad input before any write
    runtime.settings = await request.app[DB].run(
        accounts.update_settings, ctx_of(request), runtime.settings, body
    )
    return json_response(runtime.settings.as_dict())


async def audit(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    raw_limit = request.query.get("limit", "100")
    raw_before = request.query.get("before")
    if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise InvalidField("limit", "must be a number from 1 to 1000")
    if raw_before is not None and (not raw_before.isascii() or not raw_before.isdigit()):
        raise InvalidField("before", "must be a seq number")
    limit = int(raw_limit)
    before = int(raw_before) if raw_before is not None else None
    return json_response(await request.app[DB].run(accounts.audit, limit, before))


def bind(app: web.Application) -> None:
    app[LOGIN_GUARD] = auth.LoginGuard()
    r = app.router
    p = "/api/v1"
    r.add_post(f"{p}/auth/setup", setup)
    r.add_post(f"{p}/auth/login", login)
    r.add_post(f"{p}/auth/logout", logout)
    r.add_get(f"{p}/auth/me", me)
    r.add_get(f"{p}/staff", list_staff)
    r.add_post(f"{p}/staff", create_staff)
    r.add_delete(f"{p}/staff/{{staff_id}}", disable_staff)
    r.add_get(f"{p}/tokens", list_tokens)
    r.add_post(f"{p}/tokens", create_token)
    r.add_delete(f"{p}/tokens/{{token_id}}", revoke_token)
    r.add_get(f"{p}/appliance", appliance)
    r.add_post(f"{p}/pairing", start_pairing)
    r.add_get("/pair/{code}", redeem_pairing)
    r.add_get(f"{p}/settings", get_settings)
    r.add_patch(f"{p}/settings", patch_settings)
    r.add_get(f"{p}/audit", audit)
