"""Secrets a person types: PINs and pairing codes. Each try is counted before it is
checked, and they travel only as JSON from this appliance's own pages."""

from __future__ import annotations

import math

from aiohttp import web

from kiosk.domain.errors import Forbidden, RateLimited, UnsupportedMediaType
from kiosk.keys import LOGIN_GUARD, RUNTIME
from kiosk.security.origins import origin_ok


def count_guess(request: web.Request, what: str = "PINs") -> str:
    """Count this attempt BEFORE checking it, so a burst of parallel guesses cannot
    slip past the lockout while the slow hashes run. PINs and pairing codes share one
    per-address guard: a guesser gains nothing by switching between them."""
    address = request.remote or "?"
    guard = request.app[LOGIN_GUARD]
    wait_s = guard.wait_s(address)
    if wait_s > 0:
        raise RateLimited(
            f"too many wrong {what}; wait before trying again",
            retry_after_s=max(1, math.ceil(wait_s)),
        )
    limits = request.app[RUNTIME].settings.limits
    guard.failed(address, limits.login_attempts, limits.login_lockout_s)
    return address


def require_json_from_this_site(request: web.Request) -> None:
    """A form post or `no-cors` fetch from another site can send neither the JSON type
    nor our Origin, so together they keep other sites from guessing through a browser."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "send this as JSON (Content-Type: application/json)",
            {"content_type": request.content_type},
        )
    if not origin_ok(request):
        raise Forbidden(
            "cross-site request refused: only this appliance's own pages may send this",
            {"origin": request.headers.get("Origin")},
        )
