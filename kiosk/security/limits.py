"""Limits on guessing and floods: joins per address, PIN lockouts, socket messages."""

from __future__ import annotations

import time
from collections import deque


class SlidingWindow:
    """At most `limit` events per `window_s` per key (e.g. joins per address); the
    limits are passed on each check because the owner may change them live."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str, limit: int, window_s: float) -> float:
        """Record a hit and return 0, or return the seconds until one is allowed."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + window_s - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle addresses rather than grow forever
            self._hits = {k: v for k, v in self._hits.items() if v}
        return 0.0


class LoginGuard:
    """Wrong PINs from one address: after `attempts` failures, a lockout that doubles
    with every further failure (capped), so guessing 4 digits takes days, not minutes."""

    MAX_LOCKOUT_S = 15 * 60

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def wait_s(self, address: str) -> float:
        return max(0.0, self._locked_until.get(address, 0.0) - time.monotonic())

    def failed(self, address: str, attempts: int, lockout_s: float) -> None:
        count = self._failures.get(address, 0) + 1
        self._failures[address] = count
        if count >= attempts:
            lock = min(self.MAX_LOCKOUT_S, lockout_s * 2 ** (count - attempts))
            self._locked_until[address] = time.monotonic() + lock

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
        self._locked_until.pop(address, None)


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
