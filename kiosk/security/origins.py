"""Which pages may write with a browser's cookie or open a socket: our own, and the owner's list.

"Our own" means one of this appliance's own names (security/hosts.py) on the port the
connection came in on, never whatever `Host` the client sent: under DNS rebinding the
attacker's page sends a `Host` and an `Origin` that agree with each other.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from kiosk.keys import CONFIG, HOSTS, RUNTIME
from kiosk.security.hosts import OwnNames, split_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def local_end(request: web.Request) -> tuple[str | None, int | None]:
    """The address and port this connection reached (a dual-stack socket, a LAN card,
    loopback): the server's own end, which no header can change."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return str(sockname[0]), int(sockname[1])
    return None, None


def own_names(request: web.Request) -> OwnNames:
    app = request.app
    return app[HOSTS].current(app[RUNTIME].settings.allowed_hosts)


def origin_allowed(
    origin: str | None,
    scheme: str,
    own: OwnNames,
    local: tuple[str | None, int | None],
    allowed: tuple[str, ...],
) -> bool:
    """Cross-site WebSocket hijacking and CSRF both come from a browser page on another
    site: its requests carry that site's Origin. A missing Origin is a non-browser client,
    which cannot ride on a browser's cookies."""
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in allowed:
        return True
    origin_scheme, sep, authority = origin.partition("://")
    if not sep or origin_scheme.lower() != scheme or "/" in authority or "@" in authority:
        return False  # "null" (sandboxed frames, file://), another scheme, or junk
    split = split_host(authority)
    if split is None:
        return False
    name, port = split
    # An Origin names its port only when it is not the scheme's default.
    return own.is_own(name, port or _DEFAULT_PORTS.get(scheme), *local)


def origin_ok(request: web.Request, *, required: bool = False) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    allowed = request.app[CONFIG].allowed_origins + request.app[RUNTIME].settings.allowed_origins
    return origin_allowed(origin, request.scheme, own_names(request), local_end(request), allowed)


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address) if address is not None else None
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # A dual-stack socket (--host ::) sees the PC's own 127.0.0.1 as ::ffff:127.0.0.1.
        ip = ip.ipv4_mapped
    return ip is not None and ip.is_loopback
