"""People and devices: staff PINs, sessions, API tokens and pairing links.

Database-thread use cases like the rest of services/: each change appends one event, so the
audit trail names who did it. Slow PIN hashing never runs here (it would stall every
write behind it): callers hash or verify on a worker thread and pass the result in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.domain.errors import Conflict, Forbidden, InvalidField, NotFound
from kiosk.security.principal import ROLES, Principal
from kiosk.security.tokens import hash_secret, new_secret
from kiosk.services.context import Ctx
from kiosk.store import eventlog
from kiosk.store.database import Outcome
from kiosk.store.models import Pairing, Setting, Staff, Token

ADMIN_TOPICS = ["admin"]
SESSION_HOURS = 16  # a working day on one login
DEVICE_DAYS = 400  # a paired tablet stays paired (browsers cap cookies near this)
PAIRING_MINUTES = 10
SHORT_CODE_DIGITS = 6
STAFF_ROLES = ("staff", "admin")
RESET_KEY = "setup_reset"


def _event(ctx: Ctx, type: str, **data: Any) -> eventlog.Event:
    return eventlog.append(
        type=type,
        at=iso_utc(utcnow()),
        shop_id=None,
        actor=ctx.actor,
        topics=ADMIN_TOPICS,
        data=data,
    )


def _as(ctx: Ctx, role: str, token_id: int, name: str) -> Ctx:
    """The actor for an event done by someone who only now got a token."""
    return Ctx(eventlog.Actor(role=role, token_id=token_id, name=name, address=ctx.actor.address))


def _later(**delta: float) -> str:
    return iso_utc(utcnow() + timedelta(**delta))


def staff_dict(staff: Staff) -> dict[str, Any]:
    return {
        "id": staff.id,
        "name": staff.name,
        "role": staff.role,
        "created_at": staff.created_at,
        "disabled": staff.disabled_at is not None,
        "must_change_pin": bool(staff.must_change_pin),
    }


def token_dict(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "kind": token.kind,
        "created_at": token.created_at,
        "last_seen_at": token.last_seen_at,
        "expires_at": token.expires_at,
        "revoked": token.revoked_at is not None,
        "staff_id": token.staff_id,
    }


# ---------------------------------------------------------------- first run and PINs


def claimed() -> bool:
    """Has the owner set an admin PIN yet?"""
    return Staff.select().where((Staff.role == "admin") & Staff.disabled_at.is_null()).exists()


def pin_hashes() -> list[tuple[int, str]]:
    """Every active staff member's PIN hash, for a login to check off-thread."""
    return list(Staff.select(Staff.id, Staff.pin_hash).where(Staff.disabled_at.is_null()).tuples())


def _session(staff: Staff) -> tuple[Token, str]:
    token, secret = create_token(staff.role, staff.name, iso_utc(utcnow()))
    token.last_seen_at = token.created_at
    token.kind = "session"
    token.staff = staff.id
    token.expires_at = _later(hours=SESSION_HOURS)
    token.save()
    return token, secret


def claim(ctx: Ctx, name: str, pin_hash: str) -> Outcome:
    """The owner's first-run claim: an admin PIN and a session, once only."""
    if claimed():
        raise Forbidden("this appliance has already been set up; log in with a PIN")
    staff = Staff.create(name=name, role="admin", pin_hash=pin_hash, created_at=iso_utc(utcnow()))
    token, secret = _session(staff)
    ctx = _as(ctx, staff.role, token.id, staff.name)
    event = _event(ctx, "appliance_claimed", staff=staff_dict(staff))
    return Outcome({"staff": staff_dict(staff), "secret": secret}, (event,))


def login(ctx: Ctx, staff_id: int, pin_too_short: bool = False) -> Outcome:
    """A PIN login. An admin PIN shorter than a new admin's (set under release 1) still
    signs in, but marks the admin: until the PIN is changed, that is all they may do."""
    staff = Staff.get_or_none((Staff.id == staff_id) & Staff.disabled_at.is_null())
    if staff is None:
        raise NotFound("that staff member no longer exists")
    if staff.role == "admin" and pin_too_short and not staff.must_change_pin:
        staff.must_change_pin = True
        staff.save()
    token, secret = _session(staff)
    ctx = _as(ctx, staff.role, token.id, staff.name)
    event = _event(ctx, "staff_logged_in", staff=staff_dict(staff))
    return Outcome({"staff": staff_dict(staff), "secret": secret}, (event,))


def pin_hash_of(staff_id: int) -> tuple[str, str] | None:
    """(role, PIN hash) of an active staff member."""
    return (
        Staff.select(Staff.role, Staff.pin_hash)
        .where((Staff.id == staff_id) & Staff.disabled_at.is_null())
        .tuples()
        .first()
    )


def change_pin(ctx: Ctx, staff_id: int, pin_hash: str, pin_taken: bool) -> Outcome:
    staff = Staff.get_or_none((Staff.id == staff_id) & Staff.disabled_at.is_null())
    if staff is None:
        raise NotFound("that staff member no longer exists")
    if pin_taken:
        raise Conflict("another staff member already has this PIN; choose another")
    staff.pin_hash = pin_hash
    staff.must_change_pin = False
    staff.save()
    body = staff_dict(staff)
    return Outcome(body, (_event(ctx, "staff_pin_changed", staff=body),))


def start_reset(secret_hash: str, expires_at: str) -> None:
    """`kiosk admin reset`: a one-time link that lets whoever is at the PC set a new
    admin PIN (it runs on the PC, where the database file can be read anyway)."""
    Setting.replace(key=RESET_KEY, value={"hash": secret_hash, "expires_at": expires_at}).execute()


def reset_pending(secret_hash: str) -> bool:
    row = Setting.get_or_none(Setting.key == RESET_KEY)
    if row is None or row.value.get("expires_at", "") <= iso_utc(utcnow()):
        return False
    return hmac.compare_digest(row.value.get("hash", ""), secret_hash)


def reset_admin(ctx: Ctx, secret_hash: str, name: str, pin_hash: str) -> Outcome:
    """Use a reset link once: the first admin gets the new PIN (a new admin if none is
    left), every session of theirs ends, and the owner is signed in."""
    if not reset_pending(secret_hash):
        raise Forbidden("this setup link has expired or was used; run `kiosk admin reset` again")
    Setting.delete().where(Setting.key == RESET_KEY).execute()
    staff = (
        Staff.select()
        .where((Staff.role == "admin") & Staff.disabled_at.is_null())
        .order_by(Staff.id)
        .first()
    )
    now = iso_utc(utcnow())
    ended: list[int] = []
    if staff is None:
        staff = Staff.create(name=name, role="admin", pin_hash=pin_hash, created_at=now)
    else:
        staff.pin_hash = pin_hash
        staff.must_change_pin = False
        staff.save()
        sessions = Token.select(Token.id).where(
            (Token.staff == staff.id) & Token.revoked_at.is_null()
        )
        ended = [t.id for t in sessions]
        Token.update(revoked_at=now).where(Token.id.in_(ended)).execute()
    token, secret = _session(staff)
    ctx = _as(ctx, staff.role, token.id, staff.name)
    event = _event(ctx, "admin_pin_reset", staff=staff_dict(staff), ended_token_ids=ended)
    body = {"staff": staff_dict(staff), "secret": secret, "ended_token_ids": ended}
    return Outcome(body, (event,))


def logout(ctx: Ctx, token_id: int) -> Outcome:
    Token.update(revoked_at=iso_utc(utcnow())).where(
        (Token.id == token_id) & (Token.kind == "session")
    ).execute()
    return Outcome({"logged_out": True}, (_event(ctx, "staff_logged_out", token_id=token_id),))


def list_staff() -> list[dict[str, Any]]:
    return [staff_dict(s) for s in Staff.select().order_by(Staff.id)]


def create_staff(ctx: Ctx, name: str, role: str, pin_hash: str, pin_taken: bool) -> Outcome:
    if role not in STAFF_ROLES:
        raise InvalidField("role", "must be staff or admin")
    if pin_taken:  # a login is a PIN alone, so two people cannot share one
        raise Conflict("another staff member already has this PIN; choose another")
    staff = Staff.create(name=name, role=role, pin_hash=pin_hash, created_at=iso_utc(utcnow()))
    body = staff_dict(staff)
    return Outcome(body, (_event(ctx, "staff_created", staff=body),))


def disable_staff(ctx: Ctx, staff_id: int) -> Outcome:
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id}")
    if (
        staff.role == "admin"
        and Staff.select()
        .where((Staff.role == "admin") & Staff.disabled_at.is_null() & (Staff.id != staff.id))
        .count()
        == 0
    ):
        raise Conflict("this is the last admin; add another admin first")
    staff.disabled_at = iso_utc(utcnow())
    staff.save()
    Token.update(revoked_at=staff.disabled_at).where(
        (Token.staff == staff.id) & Token.revoked_at.is_null()
    ).execute()
    body = staff_dict(staff)
    return Outcome(body, (_event(ctx, "staff_disabled", staff=body),))


# ---------------------------------------------------------------- tokens and devices


def list_tokens() -> list[dict[str, Any]]:
    """Tokens still in force (revoked and expired ones are history, in the audit)."""
    now = iso_utc(utcnow())
    live = Token.revoked_at.is_null() & (Token.expires_at.is_null() | (Token.expires_at > now))
    return [token_dict(t) for t in Token.select().where(live).order_by(Token.id)]


def issue_token(ctx: Ctx, role: str, name: str, kind: str = "api") -> Outcome:
    if role not in ROLES:
        raise InvalidField("role", f"must be one of {', '.join(ROLES)}")
    token, secret = create_token(role, name, iso_utc(utcnow()))
    if kind != "api":
        token.kind = kind
        token.expires_at = _later(days=DEVICE_DAYS)
        token.save()
    body = token_dict(token)
    event = _event(ctx, "token_created", token=body)
    return Outcome({**body, "token": secret}, (event,))


def revoke_token(ctx: Ctx, token_id: int) -> Outcome:
    token = Token.get_or_none(Token.id == token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound(f"no active token {token_id}")
    token.revoked_at = iso_utc(utcnow())
    token.save()
    body = token_dict(token)
    return Outcome(body, (_event(ctx, "token_revoked", token=body),))


def touch(token_ids: list[int]) -> None:
    """Last seen, for the devices list; batched so it costs one write a minute."""
    if token_ids:
        Token.update(last_seen_at=iso_utc(utcnow())).where(Token.id.in_(token_ids)).execute()


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _live_pairing(where) -> Pairing | None:
    return Pairing.get_or_none(
        where & Pairing.used_at.is_null() & (Pairing.expires_at >= iso_utc(utcnow()))
    )


def _new_short_code() -> str:
    """Six digits no other open pairing holds, so a typed code names one device."""
    while True:
        short = f"{secrets.randbelow(10**SHORT_CODE_DIGITS):0{SHORT_CODE_DIGITS}d}"
        if _live_pairing(Pairing.short_hash == _code_hash(short)) is None:
            return short


def start_pairing(ctx: Ctx, role: str, name: str) -> Outcome:
    if role not in ("kiosk", "display"):
        raise InvalidField("role", "a paired device is a kiosk or a display")
    code = secrets.token_urlsafe(12)
    short = _new_short_code()
    expires_at = _later(minutes=PAIRING_MINUTES)
    Pairing.create(
        code_hash=_code_hash(code),
        short_hash=_code_hash(short),
        role=role,
        name=name,
        expires_at=expires_at,
    )
    event = _event(ctx, "pairing_started", role=role, name=name, expires_at=expires_at)
    body = {"code": code, "short_code": short, "role": role, "name": name}
    return Outcome({**body, "expires_at": expires_at}, (event,))


def redeem_pairing(ctx: Ctx, code: str) -> Outcome:
    """The device opened its link: it becomes a paired device, once."""
    pairing = _live_pairing(Pairing.code_hash == _code_hash(code))
    if pairing is None:
        raise NotFound("this pairing link is used up or expired; make a new one at /admin")
    return _pair(ctx, pairing)


def redeem_short_code(ctx: Ctx, short: str) -> Outcome:
    """The owner typed the 6-digit code on the device: the same as opening the link."""
    pairing = _live_pairing(Pairing.short_hash == _code_hash(short))
    if pairing is None:
        raise NotFound("no open pairing has this code; check it, or make a new one at /admin")
    return _pair(ctx, pairing)


def _pair(ctx: Ctx, pairing: Pairing) -> Outcome:
    # One row holds both the link and the code, so using either uses up both.
    pairing.used_at = iso_utc(utcnow())
    pairing.save()
    token, secret = create_token(pairing.role, pairing.name, pairing.used_at)
    token.kind = "device"
    token.expires_at = _later(days=DEVICE_DAYS)
    token.last_seen_at = token.created_at
    token.save()
    body = token_dict(token)
    ctx = _as(ctx, token.role, token.id, token.name)  # the audit names the new device
    return Outcome({**body, "secret": secret}, (_event(ctx, "device_paired", token=body),))


def create_token(role: str, name: str, created_at: str) -> tuple[Token, str]:
    """Store a new token (hashed) and return it with its secret, shown only once."""
    if role not in ROLES:
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
    must_change = token.staff_id is not None and bool(
        Staff.select(Staff.must_change_pin).where(Staff.id == token.staff_id).scalar()
    )
    return Principal(
        role=token.role,
        token_id=token.id,
        name=token.name,
        kind=token.kind,
        staff_id=token.staff_id,
        must_change_pin=must_change,
    )
