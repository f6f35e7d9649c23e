"""Token secrets: made random, stored only as a hash, and remembered for a few seconds."""

from __future__ import annotations

import hashlib
import secrets
import time

from kiosk.security.principal import Principal


def new_secret() -> str:
    return "qk_" + secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    # Tokens are long random strings, so a fast hash is enough: unlike PINs they
    # cannot be guessed from a dictionary.
    return hashlib.sha256(secret.encode()).hexdigest()


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
