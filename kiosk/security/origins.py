"""Which pages may write with a browser's cookie or open a socket: our own, and the owner's list."""

from __future__ import annotations

import ipaddress

from aiohttp import web

from kiosk.keys import CONFIG, RUNTIME


def origin_allowed(origin: str | None, scheme: str, host: str, allowed: tuple[str, ...]) -> bool:
    """Cross-site WebSocket hijacking and CSRF both come from a browser page on another
    site: its requests carry that site's Origin. A missing Origin is a non-browser client,
    which cannot ride on a browser's cookies."""
    if origin is None:
        return True
    origin = origin.rstrip("/")
    return origin == f"{scheme}://{host}" or origin in allowed


def origin_ok(request: web.Request, *, required: bool = False) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    allowed = request.app[CONFIG].allowed_origins + request.app[RUNTIME].settings.allowed_origins
    return origin_allowed(origin, request.scheme, request.host, allowed)


def is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
