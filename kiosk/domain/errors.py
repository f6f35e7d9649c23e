"""Domain errors: what went wrong, in words a client can act on.

Services raise these without knowing HTTP; `http/middleware.py` maps each code to its status.
"""

from __future__ import annotations

from typing import Any


class KioskError(Exception):
    code = "conflict"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadJson(KioskError):
    code = "bad_json"


class Unauthorized(KioskError):
    code = "unauthorized"


class Forbidden(KioskError):
    code = "forbidden"


class PinChangeRequired(Forbidden):
    """An admin still on a PIN shorter than the rules now ask for (SPEC §16)."""

    code = "pin_change_required"


class UnsupportedMediaType(KioskError):
    code = "unsupported_media_type"


class NotFound(KioskError):
    code = "not_found"


class InvalidTransition(KioskError):
    code = "invalid_transition"


class StaleVersion(KioskError):
    code = "stale_version"


class Conflict(KioskError):
    code = "conflict"


class ShopClosed(KioskError):
    """A self-service join outside opening hours (SPEC §11); details say when it opens."""

    code = "closed"


class OffDuty(KioskError):
    """A call for a provider on a break or time off, not confirmed with `force`."""

    code = "off_duty"


class InvalidField(KioskError):
    code = "invalid_field"

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", {"field": field, "reason": reason})


class IdempotencyMismatch(KioskError):
    code = "idempotency_mismatch"


class RateLimited(KioskError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message, {"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


HTTP_STATUS = {
    "bad_json": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "pin_change_required": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "invalid_transition": 409,
    "stale_version": 409,
    "conflict": 409,
    "closed": 409,
    "off_duty": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "invalid_field": 422,
    "idempotency_mismatch": 422,
    "rate_limited": 429,
    "internal": 500,
}
