"""What the owner sets at /admin: display mode, self check-in, allowed origins, limits.

Stored as one JSON row, held in memory as a frozen value, replaced whole on a change
(so a request never sees half an update). Limits are settings so tests and benchmarks
may raise them (SPEC §5).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.domain.errors import InvalidField
from kiosk.domain.line_order import valid_rule
from kiosk.security.hosts import host_entry
from kiosk.services.context import Ctx
from kiosk.services.printer_config import Printer, printer_changed
from kiosk.store import eventlog
from kiosk.store.database import Outcome
from kiosk.store.models import Setting, Shop

KEY = "settings"
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]{1,253}$")
DISPLAY_NAMES = ("initial", "ticket")  # "John D." on the TV, or the ticket only


@dataclass(frozen=True)
class Limits:
    """Abuse limits, SPEC §8 defaults; each breach gets a clear answer."""

    ws_message_bytes: int = 64 * 1024  # larger client message: close 1009
    ws_messages_per_s: float = 20.0  # token bucket per socket ...
    ws_burst: int = 100  # ... with this burst; empty: close 1008
    ws_per_address: int = 50  # more sockets from one address: the upgrade gets 429
    heartbeat_s: float = 20.0  # ping every this often; 2 missed: close 4408
    self_checkin_joins: int = 5  # anonymous joins per address ...
    self_checkin_window_s: float = 600.0  # ... per this window: 429
    login_attempts: int = 5  # wrong PINs from one address before a lockout ...
    login_lockout_s: float = 30.0  # ... that doubles with every further failure
    # Plain HTTP connections one address may hold open (sockets count under
    # ws_per_address once upgraded): one device cannot use up the server's descriptors.
    http_per_address: int = 50


# (minimum, maximum) a setting may take: a typo must not switch a limit off.
_LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "ws_message_bytes": (1024, 16 * 1024 * 1024),
    "ws_messages_per_s": (0.1, 100_000),
    "ws_burst": (1, 1_000_000),
    "ws_per_address": (1, 100_000),
    "heartbeat_s": (0.2, 3600),
    "self_checkin_joins": (1, 100_000),
    "self_checkin_window_s": (1, 86_400),
    "login_attempts": (1, 1000),
    "login_lockout_s": (0.1, 86_400),
    # A browser opens about 6 connections per site; fewer than that breaks pages.
    "http_per_address": (6, 10_000),
}


@dataclass(frozen=True)
class Settings:
    self_checkin: bool = True
    display_names: str = "initial"
    display_voice: bool = True
    allowed_origins: tuple[str, ...] = ()
    # Names besides its own under which this appliance may be reached (a router's DNS
    # name, a reverse proxy's), each `name` or `name:port`: any other Host gets 421.
    allowed_hosts: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    # The order of the line (SPEC §10): where priority tickets go, whether the kiosk
    # may issue them, and how late an appointment may be and still keep its time.
    priority_rule: str = "first"
    priority_at_kiosk: bool = False
    appointment_grace_minutes: int = 10
    # SPEC §11: keep tickets still open from an earlier day instead of closing them at
    # the next day's opening.
    carry_over: bool = False
    # The ticket printer (SPEC §12): none until the owner sets one up.
    printer: Printer = field(default_factory=Printer)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["allowed_origins"] = list(self.allowed_origins)
        out["allowed_hosts"] = list(self.allowed_hosts)
        return out

    def public(self) -> dict[str, Any]:
        """What any screen may know (a TV needs the display mode)."""
        return {
            "self_checkin": self.self_checkin,
            "display_names": self.display_names,
            "display_voice": self.display_voice,
            "priority_at_kiosk": self.priority_at_kiosk,
        }


def changed(current: Settings, changes: dict[str, Any]) -> Settings:
    """`current` with `changes` applied, each checked; raises InvalidField."""
    updates: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    for key, value in changes.items():
        if key not in known:
            raise InvalidField(key, "is not a known setting")
        if key in ("self_checkin", "display_voice", "priority_at_kiosk", "carry_over"):
            if not isinstance(value, bool):
                raise InvalidField(key, "must be true or false")
            updates[key] = value
        elif key == "display_names":
            if value not in DISPLAY_NAMES:
                raise InvalidField(key, f"must be one of {', '.join(DISPLAY_NAMES)}")
            updates[key] = value
        elif key == "allowed_origins":
            if (
                not isinstance(value, list)
                or len(value) > 50
                or not all(isinstance(o, str) and ORIGIN.match(o) for o in value)
            ):
                raise InvalidField(key, "must be a list of origins like http://192.168.1.20:3000")
            updates[key] = tuple(o.rstrip("/") for o in value)
        elif key == "allowed_hosts":
            updates[key] = _hosts(value)
        elif key == "priority_rule":
            if not valid_rule(value):
                raise InvalidField(key, 'must be "first" or "ratio:N" with N from 1 to 10')
            updates[key] = value
        elif key == "appointment_grace_minutes":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 240:
                raise InvalidField(key, "must be a whole number of minutes from 0 to 240")
            updates[key] = value
        elif key == "limits":
            updates[key] = _limits(current.limits, value)
        elif key == "printer":
            updates[key] = printer_changed(current.printer, value)
    return replace(current, **updates)


def _hosts(value: Any) -> tuple[str, ...]:
    entries = (
        [host_entry(h) for h in value if isinstance(h, str)] if isinstance(value, list) else []
    )
    if (
        not isinstance(value, list)
        or len(value) > 50
        or len(entries) != len(value)
        or None in entries
    ):
        raise InvalidField(
            "allowed_hosts", "must be a list of host names like kiosk.shop.lan or kiosk.lan:8000"
        )
    return tuple(dict.fromkeys(entries))


def _limits(current: Limits, value: Any) -> Limits:
    if not isinstance(value, dict):
        raise InvalidField("limits", "must be an object")
    updates = {}
    for name, raw in value.items():
        if name not in _LIMIT_RANGES:
            raise InvalidField(f"limits.{name}", "is not a known limit")
        low, high = _LIMIT_RANGES[name]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
            raise InvalidField(f"limits.{name}", f"must be a number from {low} to {high}")
        updates[name] = type(getattr(current, name))(raw)
    return replace(current, **updates)


def load() -> Settings:
    """The stored settings (database thread); defaults for anything never set."""
    row = Setting.get_or_none(Setting.key == KEY)
    if row is None:
        return Settings()
    stored = dict(row.value)
    nested = {key: stored.pop(key) for key in ("limits", "printer") if key in stored}
    try:
        return changed(changed(Settings(), stored), nested)
    except InvalidField:  # a file from a newer or broken version: keep it usable
        return Settings()


def store(settings: Settings) -> None:
    Setting.replace(key=KEY, value=settings.as_dict()).execute()


def update_settings(ctx: Ctx, current: Settings, changes: dict[str, Any]) -> Outcome:
    new = changed(current, changes)
    store(new)
    # Every shop's screens show the display settings: let their queue views refresh.
    topics = ["admin"] + [f"queue:{shop_id}" for (shop_id,) in Shop.select(Shop.id).tuples()]
    event = eventlog.append(
        type="settings_updated",
        at=iso_utc(utcnow()),
        shop_id=None,
        actor=ctx.actor,
        topics=topics,
        data={"changes": changes, "settings": new.as_dict()},
    )
    return Outcome(new, (event,))
