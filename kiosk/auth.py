"""Who is asking: roles, tokens, and the limits on anonymous self check-in."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from dataclasses import dataclass

from kiosk.errors import Forbidden, Unauthorized
from kiosk.eventlog import Actor
from kiosk.models import Token
from kiosk.redaction import FULL, REDACTED, Audience

ROLES = ("display", "kiosk", "staff", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    role: str
    token_id: int | None = None
    name: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.token_id is None

    @property
    def audience(self) -> Audience:
        return FULL if at_least(self.role, "staff") else REDACTED

    def actor(self, address: str | None) -> Actor:
        return Actor(role=self.role, token_id=self.token_id, name=self.name, address=address)


ANONYMOUS = Principal(role="display")


def at_least(role: str, needed: str) -> bool:
    return _RANK[role] >= _RANK[needed]


def require(principal: Principal, needed: str) -> None:
    if at_least(principal.role, needed):
        return
    if principal.anonymous:
        raise Unauthorized(f"this needs a {needed} token", {"needed": needed})
    raise Forbidden(
        f"a {principal.role} token cannot do this; it needs {needed}",
        {"role": principal.role, "needed": needed},
    )


def new_secret() -> str:
    return "qk_" + secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    # Tokens are long random strings, so a fast hash is enough: unlike PINs they
    # cannot be guessed from a dictionary.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(role: str, name: str, created_at: str) -> tuple[Token, str]:
    """Store a new token (hashed) and return it with its secret, shown only once."""
    if role not in _RANK:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    secret = new_secret()
    token = Token.create(name=name, role=role, token_hash=hash_secret(secret), created_at=created_at)
    return token, secret


def find_token(secret_hash: str) -> Principal | None:
    token = Token.get_or_none((Token.token_hash == secret_hash) & Token.revoked_at.is_null())
    if token is None:
        return None
    return Principal(role=token.role, token_id=token.id, name=token.name)


class TokenCache:
    """Known-good tokens for a few seconds, so most requests skip the database.

    Unknown tokens are never cached: a token made with `kiosk token create` while the
    server runs works at once. A revocation takes effect within `ttl_s`.
    """

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 1024):
        self._ttl = ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, secret_hash: str) -> Principal | None:
        hit = self._entries.get(secret_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, secret_hash: str, principal: Principal) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[secret_hash] = (principal, time.monotonic() + self._ttl)


class SlidingWindow:
    """At most `limit` events per `window_s` per key (e.g. joins per address)."""

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str) -> float:
        """Record a hit and return 0, or return the seconds until one is allowed."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window_s - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle addresses rather than grow forever
            self._hits = {k: v for k, v in self._hits.items() if v}
        return 0.0
