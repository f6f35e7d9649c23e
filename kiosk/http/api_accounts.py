"""REST: first-run claim, PIN login and logout, who am I, staff and API tokens."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web

from kiosk.domain.errors import (
    Forbidden,
    InvalidField,
    Unauthorized,
)
from kiosk.http import validate as v
from kiosk.http.guesses import count_guess, require_json_from_this_site
from kiosk.http.middleware import SESSION_COOKIE
from kiosk.http.requests import body_of, ctx_of, json_response, path_id, principal_of
from kiosk.keys import CONFIG, DB, HUB, LOGIN_GUARD, RUNTIME, TOKENS
from kiosk.security import pins, setup_link
from kiosk.security.origins import is_loopback
from kiosk.security.principal import ROLES, at_least, require
from kiosk.security.tokens import hash_secret
from kiosk.services import accounts

log = logging.getLogger(__name__)


PIN_DIGITS = (4, 12)
# A new admin PIN (first run, a new admin, a change) has at least this many digits;
# 4-digit admin PINs from release 1 must be changed at their next sign-in.
ADMIN_PIN_MIN = 6


def _pin(body: dict[str, Any], name: str = "pin", *, minimum: int = PIN_DIGITS[0]) -> str:
    pin = body.get(name)
    low, high = minimum, PIN_DIGITS[1]
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


def _signed_in(body: Any, secret: str) -> web.Response:
    return _with_cookie(body, secret, accounts.SESSION_HOURS * 3600)


async def setup(request: web.Request) -> web.Response:
    """Set the admin PIN: on first run with the link printed at start, or from the PC
    itself by a non-browser client; later only with a link from `kiosk admin reset`.
    A browser always needs the link, even on the PC: any page it opens could be another
    site's, and loopback says nothing about which one (SPEC §16)."""
    require_json_from_this_site(request)
    runtime = request.app[RUNTIME]
    body = await body_of(request)
    pin = _pin(body, minimum=ADMIN_PIN_MIN)
    name = v.text(body, "name", required=False, max_len=60) or "Owner"
    offered = body.get("setup_token")
    if offered is not None and not isinstance(offered, str):
        raise InvalidField("setup_token", "must be a string")
    address = count_guess(request)
    db = request.app[DB]
    reset_hash = hash_secret(offered) if offered else None
    reset_ok = reset_hash is not None and await db.run(accounts.reset_pending, reset_hash)
    if await db.run(accounts.claimed) and not reset_ok:
        raise Forbidden("this appliance has already been set up; log in with a PIN")
    link_ok = bool(
        offered
        and runtime.setup_secret
        and hmac.compare_digest(offered.encode(), runtime.setup_secret.encode())
    )
    from_pc_without_browser = is_loopback(request.remote) and "Origin" not in request.headers
    admin_token = at_least(principal_of(request).role, "admin")
    if not (link_ok or reset_ok or from_pc_without_browser or admin_token):
        raise Forbidden(
            "setting up this appliance needs the one-time link printed when it started "
            f"(also in {setup_link.FILENAME} in its data folder, or from `kiosk admin reset`)"
        )
    pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
    if reset_ok:
        result = await db.run(accounts.reset_admin, ctx_of(request), reset_hash, name, pin_hash)
        request.app[TOKENS].clear()  # the admin's old sessions ended, and their sockets too
        request.app[HUB].close_tokens(result["ended_token_ids"], reason=b"admin PIN reset")
    else:
        result = await db.run(accounts.claim, ctx_of(request), name, pin_hash)
    request.app[LOGIN_GUARD].succeeded(address)
    runtime.setup_secret = None
    setup_link.remove(request.app[CONFIG].data_dir)
    return _signed_in({"staff": result["staff"]}, result["secret"])


def _matching(pin: str, hashes: list[tuple[int, str]]) -> int | None:
    for staff_id, pin_hash in hashes:
        if pins.verify_pin(pin, pin_hash):
            return staff_id
    return None


async def login(request: web.Request) -> web.Response:
    require_json_from_this_site(request)
    body = await body_of(request)
    pin = _pin(body)
    address = count_guess(request)
    db = request.app[DB]
    staff_id = await asyncio.to_thread(_matching, pin, await db.run(accounts.pin_hashes))
    if staff_id is None:
        raise Unauthorized("wrong PIN")
    request.app[LOGIN_GUARD].succeeded(address)
    too_short = len(pin) < ADMIN_PIN_MIN
    result = await db.run(accounts.login, ctx_of(request), staff_id, too_short)
    return _signed_in({"staff": result["staff"]}, result["secret"])


async def change_pin(request: web.Request) -> web.Response:
    """A signed-in staff member replaces their own PIN (the current one proves it)."""
    require_json_from_this_site(request)
    principal = principal_of(request)
    if principal.staff_id is None:
        raise Unauthorized("sign in with your PIN first")
    body = await body_of(request)
    v.only_known(body, {"pin", "new_pin"})
    pin = _pin(body)
    new_pin = _pin(body, "new_pin")
    address = count_guess(request)
    db = request.app[DB]
    found = await db.run(accounts.pin_hash_of, principal.staff_id)
    if found is None or not await asyncio.to_thread(pins.verify_pin, pin, found[1]):
        raise Unauthorized("wrong PIN")
    request.app[LOGIN_GUARD].succeeded(address)
    if found[0] == "admin" and len(new_pin) < ADMIN_PIN_MIN:
        raise InvalidField("new_pin", f"an admin PIN has at least {ADMIN_PIN_MIN} digits")
    others = [h for h in await db.run(accounts.pin_hashes) if h[0] != principal.staff_id]
    taken = await asyncio.to_thread(_matching, new_pin, others) is not None
    new_hash = await asyncio.to_thread(pins.hash_pin, new_pin)
    result = await db.run(accounts.change_pin, ctx_of(request), principal.staff_id, new_hash, taken)
    request.app[TOKENS].clear()  # cached principals still carry "must change"
    return json_response(result)


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
            "must_change_pin": principal.must_change_pin,
        }
    )


async def list_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    return json_response(await request.app[DB].read(accounts.list_staff))


async def create_staff(request: web.Request) -> web.Response:
    require(principal_of(request), "admin")
    body = await body_of(request)
    v.only_known(body, {"name", "pin", "role"})
    name = v.text(body, "name", max_len=60)
    role = v.choice(body, "role", accounts.STAFF_ROLES, required=False) or "staff"
    pin = _pin(body, minimum=ADMIN_PIN_MIN if role == "admin" else PIN_DIGITS[0])
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
    return json_response(await request.app[DB].read(accounts.list_tokens))


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
    r.add_post(f"{p}/auth/pin", change_pin)
    r.add_get(f"{p}/staff", list_staff)
    r.add_post(f"{p}/staff", create_staff)
    r.add_delete(f"{p}/staff/{{staff_id}}", disable_staff)
    r.add_get(f"{p}/tokens", list_tokens)
    r.add_post(f"{p}/tokens", create_token)
    r.add_delete(f"{p}/tokens/{{token_id}}", revoke_token)
