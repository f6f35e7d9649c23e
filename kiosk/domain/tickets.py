"""The rules of a ticket: status machine, codes and names.

Plain functions over plain data: no I/O, no ORM, so they are easy to reason about
and to test exhaustively.
"""

from __future__ import annotations

import unicodedata

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


# Scripts written without spaces between words (SPEC §14): Chinese (Han), Japanese
# (kana, with the prolonged-sound mark and the middle dot), Korean (Hangul) and Thai.
_UNSPACED = (
    (0x0E00, 0x0E7F),  # Thai
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3040, 0x30FF),  # Hiragana, Katakana (ー ・ too)
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana
    (0x20000, 0x3134F),  # CJK extensions B-G
)


def _unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def _mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def display_name(full_name: str) -> str:
    """ "John Michael Doe" -> "John D."; one Latin word stays as it is (SPEC §8). One word
    of 2+ characters in a script written without spaces keeps its first character and
    masks the rest: "李小龙" -> "李**" (SPEC §14)."""
    words = full_name.split()
    if len(words) >= 2:
        return f"{words[0]} {words[-1][0]}."
    word = full_name.strip()
    if not word or not all(_unspaced(c) or _mark(c) for c in word) or _mark(word[0]):
        return word
    first = 1
    while first < len(word) and _mark(word[first]):  # a Thai vowel sign stays with its letter
        first += 1
    rest = sum(1 for c in word[first:] if not _mark(c))
    return word[:first] + "*" * rest if rest else word
