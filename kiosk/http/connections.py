"""The HTTP edge under a slow or greedy client (SPEC §16): a header deadline, a cap
on plain HTTP connections per address, descriptors, and the listening socket.

One LAN device that opens a thousand connections and never finishes a request must
not use up the server's file descriptors, or `/api/v1/health` stops answering for
everyone. So each address holds at most `limits.http_per_address` plain connections
(a socket leaves the count when it upgrades; `ws_per_address` caps it from then on),
and a connection whose headers have not arrived within `HEADER_TIMEOUT_S` is closed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger(__name__)

# Headers must arrive within this many seconds of a connection opening, and of the
# previous response on a keep-alive connection. aiohttp (>= 3.14) arms its keep-alive
# timer when a connection opens and again after each response, and closes the
# connection when it fires while no request has arrived (a half-sent header included:
# trickling bytes does not move it). So `keepalive_timeout` is exactly this deadline;
# tests/test_hostile_http.py proves both cases against the real server.
HEADER_TIMEOUT_S = 10.0

_REFUSED_TEXT = b"too many open connections from this address\n"
_REFUSED = (
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 10\r\n"
    b"Connection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_REFUSED_TEXT), _REFUSED_TEXT)
)


def _refuse(transport: asyncio.Transport) -> None:
    if not transport.is_closing():
        transport.write(_REFUSED)
        transport.close()


class ConnectionCap:
    """Counts plain HTTP connections per peer address; a connection beyond the cap is
    answered 429 and closed before it costs more than its accept."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self.per_address: Counter[str] = Counter()
        self._counted: dict[object, str] = {}  # RequestHandler -> address it counts for

    def install(self, server: web.Server) -> None:
        """Hook the server's own per-connection calls (every RequestHandler reports
        its connection_made/connection_lost to its server), so no connection escapes
        the count, whatever path its request later takes."""
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler, transport) -> None:
            made(handler, transport)
            self._opened(handler, transport)

        def connection_lost(handler, exc=None) -> None:
            self._release(handler)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]

    def _opened(self, handler: object, transport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if self.per_address[address] >= self._limit():
            transport.pause_reading()  # not one byte of its request gets parsed
            # Answered once aiohttp's handler task has started: ending the connection
            # inside connection_made (a close, or a write that finds the peer gone) runs
            # connection_lost before that task's first step, which then fails an
            # assertion and logs an ERROR for every refused connection.
            asyncio.get_running_loop().call_later(0, _refuse, transport)
            return
        self.per_address[address] += 1
        self._counted[handler] = address

    def _release(self, handler: object) -> None:
        address = self._counted.pop(handler, None)
        if address is None:
            return
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]

    def upgraded(self, request: web.Request) -> None:
        """A WebSocket took over this connection: from now on it counts under the
        socket cap, not here (a TV's one socket must not use up its HTTP budget)."""
        self._release(request.protocol)


class AcceptErrorFilter(logging.Filter):
    """Out of descriptors, asyncio logs "socket.accept() out of system resource" for
    every failed accept (thousands a second with a full backlog), and each failure
    schedules a retry that may fail again ("Exception in callback ..._start_serving").
    One line a minute, with the count left out, says the same."""

    MESSAGE = "socket.accept() out of system resource"
    RETRY = "_start_serving"

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._every_s = every_s
        self._clock = clock
        self._last: float | None = None
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(self.MESSAGE) and self.RETRY not in message:
            return True
        now = self._clock()
        if self._last is not None and now - self._last < self._every_s:
            self._suppressed += 1
            return False
        if self._suppressed:
            record.msg = f"{record.msg} (and {self._suppressed} more since the last report)"
        self._last, self._suppressed = now, 0
        return True


def quiet_accept_errors() -> AcceptErrorFilter:
    accept_filter = AcceptErrorFilter()
    logging.getLogger("asyncio").addFilter(accept_filter)
    return accept_filter


def raise_descriptor_limit() -> None:
    """Every connection is a descriptor; the usual soft limit (1024) is far below what
    the OS allows this process (the hard limit), so take all of it."""
    if sys.platform == "win32":
        return
    import resource

    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        # An unlimited hard limit (macOS) still has a kernel ceiling: ask for a plenty.
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError) as exc:
        log.warning("cannot raise the open-files limit: %s", exc)


def dual_stack_socket(host: str, port: int) -> socket.socket | None:
    """`::` means every address, IPv4 too, where the OS allows one socket for both
    (asyncio itself always sets IPV6_V6ONLY). None when it does not."""
    if host != "::" or not socket.has_dualstack_ipv6():
        return None
    return socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
