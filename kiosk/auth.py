"""Who is asking: roles, tokens, PINs, origins, and the limits on guessing and floods."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    kind: str = "api"  # api | device | session
    staff_id: int | None = None
    via_cookie: bool = False  # cookie-authenticated writes must carry our Origin

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
    token = Token.create(
        name=name, role=role, token_hash=hash_secret(secret), created_at=created_at
    )
    return token, secret


def find_token(secret_hash: str, now_iso: str) -> Principal | None:
    token = Token.get_or_none(
        (Token.token_hash == secret_hash)
        & Token.revoked_at.is_null()
        & (Token.expires_at.is_null() | (Token.expires_at > now_iso))
    )
    if token is None:
        return None
    return Principal(
        role=token.role,
        token_id=token.id,
        name=token.name,
        kind=token.kind,
        staff_id=token.staff_id,
    )


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

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, token_id: int) -> None:
        """A revoked token stops working at once in this process."""
        self._entries = {k: v for k, v in self._entries.items() if v[0].token_id != token_id}


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


# ---------------------------------------------------------------- PINs

# scrypt with n=2**14, r=8: ~30 ms and 16 MiB per try here. A PIN has few digits, so
# the lockout below does most of the protecting; the slow hash keeps a stolen
# database file from giving PINs away in an instant.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_digest = base64.b64encode(digest).decode()
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${encoded_salt}${encoded_digest}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT["maxmem"],
            dklen=len(base64.b64decode(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


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


# ---------------------------------------------------------------- origins


def origin_allowed(origin: str | None, scheme: str, host: str, allowed: tuple[str, ...]) -> bool:
    """Cross-site WebSocket hijacking and CSRF both come from a browser page on another
    site: its requests carry that site's Origin. A missing Origin is a non-browser client,
    which cannot ride on a browser's cookies."""
    if origin is None:
        return True
    origin = origin.rstrip("/")
    return origin == f"{scheme}://{host}" or origin in allowed
