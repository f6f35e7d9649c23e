"""The line itself: positions, the queue version, new tickets and status moves."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from kiosk.domain import line_order, tickets
from kiosk.domain.clock import shop_today, stamp, utcnow
from kiosk.domain.errors import InvalidTransition
from kiosk.domain.tickets import CALLED, CHECKED_IN, IN_SERVICE
from kiosk.services.context import sql
from kiosk.services.rows import claim_hash
from kiosk.services.waits import estimate_of, estimates, open_lean, range_of
from kiosk.store.models import Appointment, QueueEntry, Shop


def waiting_line(shop: Shop) -> list[QueueEntry]:
    return list(
        QueueEntry.select()
        .where((QueueEntry.shop == shop.id) & (QueueEntry.status == CHECKED_IN))
        .order_by(QueueEntry.position_in_queue)
    )


def bump_version(shop: Shop) -> int:
    shop.queue_version = sql(
        "UPDATE shop SET queue_version = queue_version + 1 WHERE id = ? RETURNING queue_version",
        (shop.id,),
    ).fetchone()[0]
    return shop.queue_version


def _take_out_of_line(shop: Shop, entry: QueueEntry) -> list[int]:
    """Close the gap an entry leaves; returns the ids whose position moved."""
    gap = entry.position_in_queue
    entry.position_in_queue = None
    if gap is None:
        return []
    behind = QueueEntry.select(QueueEntry.id).where(
        (QueueEntry.shop == shop.id)
        & (QueueEntry.status == CHECKED_IN)
        & (QueueEntry.position_in_queue > gap)
        & (QueueEntry.id != entry.id)
    )
    moved = [row.id for row in behind]
    if moved:
        QueueEntry.update(position_in_queue=QueueEntry.position_in_queue - 1).where(
            QueueEntry.id.in_(moved)
        ).execute()
    return moved


def _put_at_front(shop: Shop, entry: QueueEntry) -> list[int]:
    line = QueueEntry.select(QueueEntry.id).where(
        (QueueEntry.shop == shop.id)
        & (QueueEntry.status == CHECKED_IN)
        & (QueueEntry.id != entry.id)
    )
    moved = [row.id for row in line]
    if moved:
        QueueEntry.update(position_in_queue=QueueEntry.position_in_queue + 1).where(
            QueueEntry.id.in_(moved)
        ).execute()
    entry.position_in_queue = 1
    return moved


def _column(statement: str, params: tuple[Any, ...]) -> list[Any]:
    return [row[0] for row in sql(statement, params).fetchall()]


def _make_room(shop: Shop, position: int) -> list[int]:
    """Tickets from `position` on move back one; returns their ids."""
    return _column(
        "UPDATE queue_entry SET position_in_queue = position_in_queue + 1 "
        "WHERE shop_id = ? AND status = 'CHECKED_IN' AND position_in_queue >= ? RETURNING id",
        (shop.id, position),
    )


def move_forward(shop: Shop, entry: QueueEntry, target: int) -> list[int]:
    """Bring a waiting ticket forward to `target`; those it passes move back one."""
    if target >= entry.position_in_queue:
        return []
    moved = _column(
        "UPDATE queue_entry SET position_in_queue = position_in_queue + 1 "
        "WHERE shop_id = ? AND status = 'CHECKED_IN' AND position_in_queue >= ? "
        "AND position_in_queue < ? AND id != ? RETURNING id",
        (shop.id, target, entry.position_in_queue, entry.id),
    )
    entry.position_in_queue = target
    return moved


def normal_calls_since_priority(shop: Shop) -> int:
    """Normal tickets called today since the last priority one was (SPEC §10's c)."""
    row = sql(
        "SELECT normal_calls FROM call_tally WHERE shop_id = ? AND day = ?",
        (shop.id, shop_today(shop)),
    ).fetchone()
    return row[0] if row else 0


def _tally_call(shop: Shop, entry: QueueEntry) -> None:
    """A ticket leaves the line to be served: a priority one starts the count again."""
    sql(
        "INSERT INTO call_tally (shop_id, day, normal_calls) VALUES (?, ?, ?) "
        "ON CONFLICT (shop_id) DO UPDATE SET normal_calls = CASE "
        "WHEN excluded.normal_calls = 0 OR day != excluded.day THEN excluded.normal_calls "
        "ELSE normal_calls + 1 END, day = excluded.day",
        (shop.id, shop_today(shop), 0 if entry.priority else 1),
    )


def priority_position(shop: Shop, rule: str, without: int | None = None) -> int:
    """The place (1-based) a priority ticket takes by the owner's rule, in the line as
    it is (or as it would be `without` one ticket that is being placed again)."""
    flags = _column(
        "SELECT priority = 1 FROM queue_entry WHERE shop_id = ? AND status = 'CHECKED_IN' "
        "AND id != ? ORDER BY position_in_queue",
        (shop.id, without or 0),
    )
    return line_order.priority_index(rule, flags, normal_calls_since_priority(shop)) + 1


def appointment_position(shop: Shop, provider_id: int | None, starts_at: datetime) -> int:
    """The place (1-based) of an early or on-time appointment: before the first ticket
    for its provider (or anyone) estimated to start after its time."""
    line, busy = open_lean(shop)
    found = estimates(shop, line, busy)
    now = utcnow()
    starts = [
        line_order.InLine(
            e["provider_id"],
            now + timedelta(minutes=found[e["id"]].start if e["id"] in found else 0),
        )
        for e in line
    ]
    return line_order.appointment_index(starts, provider_id, starts_at) + 1


def first_free_number(last: int, held: Iterable[str], prefix: str) -> int:
    """The day's next ticket number after `last` whose code no open ticket holds.

    Codes restart at 001 each day, but a ticket still open from an earlier day keeps
    its code, so issuing it again would make a call-out ambiguous (SPEC §11).
    """
    taken = set(held)
    number = last + 1
    while tickets.ticket_code(prefix, number) in taken:
        number += 1
    return number


def _next_ticket(shop: Shop, day: str, prefix: str) -> str:
    last = sql(
        "SELECT last FROM ticket_counter WHERE shop_id = ? AND day = ? AND prefix = ?",
        (shop.id, day, prefix),
    ).fetchone()
    # Only tickets of earlier days can hold a code the counter has not reached yet; the
    # shop's open tickets are the line itself, so this read stays small.
    held = _column(
        "SELECT ticket FROM queue_entry WHERE shop_id = ? AND ticket_day < ? "
        "AND status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')",
        (shop.id, day),
    )
    number = first_free_number(last[0] if last else 0, held, prefix)
    sql(
        "INSERT INTO ticket_counter (shop_id, day, prefix, last) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (shop_id, day, prefix) DO UPDATE SET last = excluded.last",
        (shop.id, day, prefix, number),
    )
    return tickets.ticket_code(prefix, number)


def new_entry(
    shop: Shop,
    customer_id: int,
    full_name: str,
    phone: str | None,
    provider_id: int | None,
    source: str,
    appointment_id: int | None = None,
    *,
    service_id: int | None = None,
    priority: bool = False,
    position: int | None = None,
) -> tuple[dict[str, Any], str, list[int]]:
    """Issue a ticket at `position` (None: the end of the line); returns the entry in
    full, its claim, and the tickets that moved back to make room."""
    day = shop_today(shop)
    prefix = tickets.APPOINTMENT_PREFIX if appointment_id else tickets.WALK_IN_PREFIX
    # Positions are 1..n, so the end of the line is MAX + 1 (an index seek, not a count).
    end = sql(
        "SELECT COALESCE(MAX(position_in_queue), 0) + 1 FROM queue_entry "
        "WHERE shop_id = ? AND status = 'CHECKED_IN'",
        (shop.id,),
    ).fetchone()[0]
    moved: list[int] = []
    if position is not None and position < end:
        moved = _make_room(shop, position)
    else:
        position = end
    claim = secrets.token_urlsafe(18)
    ticket = _next_ticket(shop, day, prefix)
    checked_in_at = stamp(shop)
    entry_id = sql(
        "INSERT INTO queue_entry (shop_id, provider_id, customer_id, full_name, ticket, "
        "ticket_day, position_in_queue, status, source, appointment_id, claim_hash, "
        "checked_in_at, service_id, priority) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'CHECKED_IN', ?, ?, ?, ?, ?, ?)",
        (
            shop.id,
            provider_id,
            customer_id,
            full_name,
            ticket,
            day,
            position,
            source,
            appointment_id,
            claim_hash(claim),
            checked_in_at,
            service_id,
            priority,
        ),
    ).lastrowid
    # What the customer is told now is kept, so the shop can see how good it was.
    wait = estimate_of(shop, entry_id)
    told = wait.minutes if wait else None
    sql("UPDATE queue_entry SET estimated_wait_at_join = ? WHERE id = ?", (told, entry_id))
    entry = {
        "id": entry_id,
        "shop_id": shop.id,
        "provider_id": provider_id,
        "customer_id": customer_id,
        "full_name": full_name,
        "phone": phone,
        "ticket": ticket,
        "position_in_queue": position,
        "status": CHECKED_IN,
        "source": source,
        "appointment_id": appointment_id,
        "checked_in_at": checked_in_at,
        "called_at": None,
        "started_at": None,
        "completed_at": None,
        "service_id": service_id,
        "priority": priority,
        "estimated_wait_at_join": told,
        "close_reason": None,
        "announced_at": None,
        "estimated_wait_minutes": told,
        "estimated_wait_range": range_of(wait),
    }
    return entry, claim, moved


def transition(shop: Shop, entry: QueueEntry, target: str) -> tuple[list[int], Appointment | None]:
    """Move a ticket to `target`; returns the other entries whose position moved and
    the appointment that moved with it."""
    if not tickets.can_move(entry.status, target):
        allowed = list(tickets.allowed(entry.status))
        moves = ", ".join(allowed) or "none"
        raise InvalidTransition(
            f"a {entry.status} ticket cannot become {target}; allowed: {moves}",
            {"from": entry.status, "to": target, "allowed": allowed},
        )
    now = stamp(shop)
    moved: list[int] = []
    if entry.status == CHECKED_IN:
        moved = _take_out_of_line(shop, entry)
        if target in (CALLED, IN_SERVICE):
            _tally_call(shop, entry)
    if target == CHECKED_IN:  # recall: back in line, at the front
        moved = _put_at_front(shop, entry)
        entry.called_at = None
        entry.announced_at = None
    elif target == CALLED:
        entry.called_at = now
        entry.announced_at = None  # a new call: no "again" of it yet
    elif target == IN_SERVICE:
        entry.started_at = now
    else:
        entry.completed_at = now
    entry.status = target
    entry.save()
    appointment = None
    follow = tickets.APPOINTMENT_FOR_TICKET.get(target)
    if entry.appointment_id and follow:
        appointment = Appointment.get_by_id(entry.appointment_id)
        if appointment.status != follow:
            appointment.status = follow
            appointment.save()
        else:
            appointment = None
    return moved, appointment
