"""REST: first-run claim, PIN login and logout, who am I, staff and API tokens."""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from typing import Any

from aiohttp import web

from kiosk.domain.errors import Forbidden, InvalidField, RateLimited, Unauthorized
from kiosk.http import validate as v
from kiosk.http.middleware import SESSION_COOKIE
from kiosk.http.requests import body_of, ctx_of, json_response, path_id, principal_of
from kiosk.keys import DB, HUB, LOGIN_GUARD, RUNTIME, TOKENS
from kiosk.security import pins
from kiosk.security.origins import is_loopback
from kiosk.security.principal import ROLES, require
from kiosk.services import accounts

log = logging.getLogger(__name__)


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
    if not (link_ok or is_loopback(request.remote)):
        raise Forbidden(
            "setting up this appliance needs the one-time link printed when it "
            "started, or a browser on the PC itself"
        )
    db = request.app[DB]
    if await db.run(accounts.claimed):
        raise Forbidden("this appliance has already been set up; log in with a PIN")
    pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
    result = await db.run(accounts.claim, ctx_of(request), name, pin_hash)
    request.app[LOGIN_GUARD].succeeded(address)
    runtime.setup_secret = None
    return _with_cookie({"staff": result["staff"]}, result["secret"], accounts.SESSION_HOURS * 3600)


def _matching(pin: str, hashes: list[tuple[int, str]]) -> int | None:
    for staff_id, pin_hash in hashes:
        if pins.verify_pin(pin, pin_hash):
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
        request.app[HUB].close_tokens([principal.token_id], reason=b"logged out")
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
    pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
    created = await db.run(accounts.create_staff, ctx_of(request), name, role, pin_hash, taken)
    return json_response(created, 201)


async def disable_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    staff_id = path_id(request, "staff_id")
    result = await request.app[DB].run(accounts.disable_staff, ctx_of(request), staff_id)
    request.app[TOKENS].clear()  # its sessions were revoked: drop every cached token
    request.app[HUB].close_staff(staff_id)  # and every socket opened with one of them
    return json_response(result)


async def list_tokens(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    return json_response(await request.app[DB].run(accounts.list_tokens))


async def create_token(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"role", "name"})
    role = v.choice(body, "role", ROLES)
    name = v.text(body, "name", required=False, max_len=60) or f"{role} token"
    created = await request.app[DB].run(accounts.issue_token, ctx_of(request), role, name)
    return json_response(created, 201)


async def revoke_token(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    token_id = path_id(request, "token_id")
    result = await request.app[DB].run(accounts.revoke_token, ctx_of(request), token_id)
    request.app[TOKENS].forget(token_id)
    request.app[HUB].close_tokens([token_id])
    return json_response(result)


def bind(app: web.Application) -> None:
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
