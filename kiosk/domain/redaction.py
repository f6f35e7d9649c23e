"""Redaction: what a display, a kiosk or an anonymous phone may see of a person.

A rendering step chosen by audience, never a second copy of the data: services hand
out full records, and whoever renders for a redacted audience passes them through
`redact` first. Every key stays; hidden values become null (SPEC §8).
"""

from __future__ import annotations

from typing import Any, Literal

from kiosk.domain.tickets import display_name

Audience = Literal["full", "redacted"]
FULL: Audience = "full"
REDACTED: Audience = "redacted"

# Dicts under these keys describe a person (customer records; seed 002's "patient").
_PERSON_KEYS = frozenset({"customer", "patient", "customers", "patients"})
_HIDDEN_PERSON_FIELDS = ("phone", "age", "gender")


def _person(record: dict[str, Any]) -> dict[str, Any]:
    out = {key: _walk(value) for key, value in record.items()}
    if isinstance(out.get("name"), str):
        out["name"] = display_name(out["name"])
    for key in _HIDDEN_PERSON_FIELDS:
        if key in out:
            out[key] = None
    return out


def _walk(value: Any, person: bool = False) -> Any:
    if isinstance(value, list):
        return [_walk(item, person) for item in value]
    if not isinstance(value, dict):
        return value
    if person:
        return _person(value)
    out = {key: _walk(item, key in _PERSON_KEYS) for key, item in value.items()}
    # A queue entry carries its customer's name and phone on itself.
    if isinstance(out.get("full_name"), str):
        out["full_name"] = display_name(out["full_name"])
        if "phone" in out:
            out["phone"] = None
    return out


def redact(value: Any) -> Any:
    """A redacted deep copy: names as first name + last initial, no phone, age, gender."""
    return _walk(value)


def render(value: Any, audience: Audience) -> Any:
    return value if audience == FULL else redact(value)
