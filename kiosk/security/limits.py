"""Limits on guessing and floods: joins per address, PIN lockouts, socket messages."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` events per `window_s` per key (e.g. joins per address); the
    limits are passed on each check because the owner may change them live.

    Memory stays bounded: keys whose last hit left the window are forgotten, and past
    `max_keys` live ones the least recent go; both only when the map has doubled since
    the last clean-up, so a check costs O(1) amortised, not a scan of every address."""

    def __init__(self, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._hits: dict[str, deque[float]] = {}
        self._max_keys = max_keys
        self._clean_at = max_keys
        self._clock = clock
        self._longest_window_s = 0.0

    def __len__(self) -> int:
        return len(self._hits)

    def check(self, key: str, limit: int, window_s: float) -> float:
        """Record a hit and return 0, or return the seconds until one is allowed."""
        now = self._clock()
        self._longest_window_s = max(self._longest_window_s, window_s)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + window_s - now
        hits.append(now)
        if len(self._hits) > self._clean_at:
            self._clean(now)
        return 0.0

    def _clean(self, now: float) -> None:
        horizon = now - self._longest_window_s
        live = {k: v for k, v in self._hits.items() if v and v[-1] > horizon}
        if len(live) > self._max_keys:
            newest = sorted(live, key=lambda k: live[k][-1])[-self._max_keys :]
            live = {k: live[k] for k in newest}
        self._hits = live
        self._clean_at = max(self._max_keys, 2 * len(live))


class LoginGuard:
    """Wrong PINs. Per address: after `attempts` failures a lockout that doubles with
    every further failure (capped). An IPv6 host owns a whole /64, so besides its /128 the
    /64 is counted too, at four times the limit. Across all addresses: after a few
    failures every login waits, doubling up to a minute, so rotating addresses does not
    multiply an attacker's guesses (SPEC §16)."""

    MAX_LOCKOUT_S = 15 * 60
    NETWORK_FACTOR = 4
    FREE_FAILURES = 10  # across the appliance, within the window, before anyone waits
    WINDOW_S = 15 * 60
    MAX_GLOBAL_WAIT_S = 60.0
    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._recent: deque[float] = deque()  # failures anywhere, oldest first

    @classmethod
    def _keys(cls, address: str) -> list[tuple[str, int]]:
        """(key, how many times the per-address limit it may take)."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return [(address, 1)]
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:a.b.c.d from a dual-stack socket is that IPv4 host
        if ip.version == 6:
            network = ipaddress.ip_network(f"{ip}/64", strict=False)
            return [(str(ip), 1), (f"net:{network}", cls.NETWORK_FACTOR)]
        return [(str(ip), 1)]

    def wait_s(self, address: str) -> float:
        now = time.monotonic()
        local = max(self._locked_until.get(key, 0.0) for key, _ in self._keys(address))
        return max(0.0, local - now, self._global_until(now) - now)

    def _global_until(self, now: float) -> float:
        while self._recent and self._recent[0] <= now - self.WINDOW_S:
            self._recent.popleft()
        excess = len(self._recent) - self.FREE_FAILURES
        if excess <= 0:
            return 0.0
        return self._recent[-1] + min(self.MAX_GLOBAL_WAIT_S, 2.0 ** (excess - 1))

    def failed(self, address: str, attempts: int, lockout_s: float) -> None:
        now = time.monotonic()
        self._recent.append(now)
        for key, factor in self._keys(address):
            count = self._failures.get(key, 0) + 1
            self._failures[key] = count
            allowed = attempts * factor
            if count >= allowed:
                lock = min(self.MAX_LOCKOUT_S, lockout_s * 2 ** (count - allowed))
                self._locked_until[key] = now + lock
        if len(self._failures) > self.MAX_KEYS:
            self._forget_idle(now)

    def succeeded(self, address: str) -> None:
        """The attempt was counted before the PIN was checked; take it back."""
        if self._recent:
            self._recent.pop()
        for key, _ in self._keys(address)[:1]:  # the /64 keeps its count: one host is not all
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        # Addresses no longer locked out start afresh: a bound on memory that costs an
        # attacker nothing he could not get by waiting out the lockout anyway.
        locked = {k for k, until in self._locked_until.items() if until > now}
        self._failures = {k: v for k, v in self._failures.items() if k in locked}
        self._locked_until = {k: v for k, v in self._locked_until.items() if k in locked}


class TokenBucket:
    """Messages per second per socket, with a burst; `take` is False when empty."""

    __slots__ = ("tokens", "updated")

    def __init__(self, burst: int) -> None:
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self, rate_per_s: float, burst: int) -> bool:
        now = time.monotonic()
        self.tokens = min(float(burst), self.tokens + (now - self.updated) * rate_per_s)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
