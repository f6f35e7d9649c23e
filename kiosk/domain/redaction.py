"""Redaction: what a display, a kiosk or an anonymous phone may see of a person.

A rendering step chosen by audience, never a second copy of the data: services hand
out full records, and whoever renders for a display-level audience passes them through
`render` first. Every key stays; hidden values become null (SPEC §8, §16).

Display-level askers are one class of principal (`REDACTED`), but what they are shown
depends on the owner's `display_names` setting at the moment of rendering: "initial"
shows "John D.", "ticket" shows tickets without any name (`TICKET_ONLY`). `shown_to`
makes that choice, so a cache keyed by the principal's class stays valid until the
next event (a change of the setting is one).
"""

from __future__ import annotations

from typing import Any, Literal

from kiosk.domain.tickets import display_name

Audience = Literal["full", "redacted", "ticket"]
FULL: Audience = "full"
REDACTED: Audience = "redacted"  # names as first name + last initial
TICKET_ONLY: Audience = "ticket"  # no names at all

# Dicts under these keys describe a person (customer records; seed 002's "patient").
_PERSON_KEYS = frozenset({"customer", "patient", "customers", "patients"})
# Contact data and the like, hidden wherever a person's record carries it; in relayed
# events under these keys at any depth. Any key starting with "birth" too.
_HIDDEN_KEYS = frozenset({"phone", "email", "age", "gender", "address"})
# In relayed events, strings under these keys are a person's name (seed 003's
# integrators send "cliente"); anywhere, at any depth.
_RELAYED_NAME_KEYS = frozenset({"name", "full_name", "cliente", "customer"})


def shown_to(audience: Audience, display_names: str | None) -> Audience:
    """The audience a body is rendered for, given the owner's `display_names` setting
    as of the data; None (not known) hides names rather than risk showing them."""
    if audience == FULL:
        return FULL
    return REDACTED if display_names == "initial" else TICKET_ONLY


def _hidden(key: str) -> bool:
    # Lowercased: an integrator's "Email" or "birthDate" is contact data all the same.
    lowered = key.lower()
    return lowered in _HIDDEN_KEYS or lowered.startswith("birth")


def _name(value: Any, audience: Audience) -> Any:
    if not isinstance(value, str):
        return value
    return None if audience == TICKET_ONLY else display_name(value)


# ---------------------------------------------------------------- the appliance's own data


def _person(record: dict[str, Any], audience: Audience) -> dict[str, Any]:
    out = {key: _walk(value, audience) for key, value in record.items()}
    if "name" in out:
        out["name"] = _name(out["name"], audience)
    for key in out:
        if _hidden(key):
            out[key] = None
    return out


def _walk(value: Any, audience: Audience, person: bool = False) -> Any:
    if isinstance(value, list):
        return [_walk(item, audience, person) for item in value]
    if not isinstance(value, dict):
        return value
    if person:
        return _person(value, audience)
    out = {key: _walk(item, audience, key in _PERSON_KEYS) for key, item in value.items()}
    # A queue entry carries its customer's name and phone on itself.
    if isinstance(out.get("full_name"), str):
        out["full_name"] = _name(out["full_name"], audience)
        if "phone" in out:
            out["phone"] = None
    # Why a ticket has priority (age, pregnancy, disability) is nobody else's business:
    # a TV never says which tickets have it (SPEC §10).
    if "priority" in out:
        out["priority"] = None
    return out


def render(value: Any, audience: Audience) -> Any:
    """Queue, appointment and ticket data as `audience` may see it: a deep copy for
    display-level audiences (names shortened or gone, no phone, age or gender)."""
    return value if audience == FULL else _walk(value, audience)


def principal_name(name: str | None, audience: Audience) -> str | None:
    """A token's or staff member's own name (who came online): for staff only."""
    return name if audience == FULL else None


# ---------------------------------------------------------------- relayed events


def _walk_relayed(value: Any, audience: Audience) -> Any:
    if isinstance(value, list):
        return [_walk_relayed(item, audience) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if _hidden(key):
            out[key] = None
        elif key in _RELAYED_NAME_KEYS and isinstance(item, str):
            out[key] = _name(item, audience)
        else:
            out[key] = _walk_relayed(item, audience)
    return out


def render_relayed(value: Any, audience: Audience) -> Any:
    """An integrator's event data as `audience` may see it. Its shape is the
    integrator's, so nothing is known of where a person sits in it: contact keys are
    hidden and name strings shortened at any depth, by key alone (SPEC §16)."""
    return value if audience == FULL else _walk_relayed(value, audience)
