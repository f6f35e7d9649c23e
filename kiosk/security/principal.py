"""Who is asking: a role (display < kiosk < staff < admin) and what it may do."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from kiosk.domain.errors import Forbidden, PinChangeRequired, Unauthorized
from kiosk.domain.redaction import FULL, REDACTED, Audience
from kiosk.store.eventlog import Actor

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
    # An admin whose PIN is shorter than a new admin's may only change it (SPEC §16).
    must_change_pin: bool = False

    @property
    def anonymous(self) -> bool:
        return self.token_id is None

    @property
    def audience(self) -> Audience:
        return FULL if at_least(self.role, "staff") and not self.must_change_pin else REDACTED

    def actor(self, address: str | None) -> Actor:
        return Actor(role=self.role, token_id=self.token_id, name=self.name, address=address)


ANONYMOUS = Principal(role="display")


def at_least(role: str, needed: str) -> bool:
    return _RANK[role] >= _RANK[needed]


def require(principal: Principal, needed: str) -> None:
    if at_least(principal.role, needed):
        if principal.must_change_pin and at_least(needed, "staff"):
            raise PinChangeRequired(
                "choose a new PIN of at least 6 digits first (POST /api/v1/auth/pin)",
                {"needed": needed},
            )
        return
    if principal.anonymous:
        raise Unauthorized(f"this needs a {needed} token", {"needed": needed})
    raise Forbidden(
        f"a {principal.role} token cannot do this; it needs {needed}",
        {"role": principal.role, "needed": needed},
    )


# Request-scoped keys (request[...]), not app state: who asks, and why a token failed.
PRINCIPAL = web.RequestKey("principal", Principal)
TOKEN_ERROR = web.RequestKey("token_error", str)
