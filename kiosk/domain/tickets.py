"""The rules of a ticket: status machine, codes and names.

Plain functions over plain data: no I/O, no ORM, so they are easy to reason about
and to test exhaustively.
"""

from __future__ import annotations

CHECKED_IN = "CHECKED_IN"
CALLED = "CALLED"
IN_SERVICE = "IN_SERVICE"
COMPLETED = "COMPLETED"
LEFT = "LEFT"
NO_SHOW = "NO_SHOW"
CANCELLED = "CANCELLED"

OPEN = (CHECKED_IN, CALLED, IN_SERVICE)
CLOSED = (COMPLETED, LEFT, NO_SHOW, CANCELLED)
STATUSES = OPEN + CLOSED
_EXITS = (LEFT, NO_SHOW, CANCELLED)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    CHECKED_IN: (CALLED, IN_SERVICE, *_EXITS),
    CALLED: (IN_SERVICE, CHECKED_IN, *_EXITS),  # CALLED -> CHECKED_IN is a recall
    IN_SERVICE: (COMPLETED, *_EXITS),
    COMPLETED: (),
    LEFT: (),
    NO_SHOW: (),
    CANCELLED: (),
}

SOURCES = ("kiosk", "walk_in", "appointment", "phone")
WALK_IN_PREFIX = "A"
APPOINTMENT_PREFIX = "B"

# Appointment statuses (seed 002, lowercase) and how a ticket drags its appointment.
APPOINTMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "scheduled": ("confirmed", "checked_in", "in_progress", "cancelled", "no_show"),
    "confirmed": ("checked_in", "in_progress", "cancelled", "no_show"),
    "checked_in": ("in_progress", "cancelled", "no_show"),
    "in_progress": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}
APPOINTMENT_FOR_TICKET = {
    IN_SERVICE: "in_progress",
    COMPLETED: "completed",
    NO_SHOW: "no_show",
    LEFT: "cancelled",
    CANCELLED: "cancelled",
}
TICKET_FOR_APPOINTMENT = {
    "in_progress": IN_SERVICE,
    "completed": COMPLETED,
    "no_show": NO_SHOW,
    "cancelled": CANCELLED,
}


def allowed(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def ticket_code(prefix: str, number: int) -> str:
    """`A007`; past 999 a fourth digit, because a code must never repeat within a day."""
    return f"{prefix}{number:03d}"


def display_name(full_name: str) -> str:
    """ "John Michael Doe" -> "John D."; one word stays as it is (SPEC §8)."""
    words = full_name.split()
    if len(words) < 2:
        return full_name.strip()
    return f"{words[0]} {words[-1][0]}."
