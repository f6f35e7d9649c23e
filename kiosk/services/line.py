"""The line itself: positions, the queue version, new tickets and status moves."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from kiosk.domain import tickets
from kiosk.domain.clock import shop_today, stamp
from kiosk.domain.errors import InvalidTransition
from kiosk.domain.tickets import CALLED, CHECKED_IN, IN_SERVICE
from kiosk.services.context import sql
from kiosk.services.rows import claim_hash
from kiosk.services.waits import wait_for
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
    held = [
        row[0]
        for row in sql(
            "SELECT ticket FROM queue_entry WHERE shop_id = ? AND ticket_day < ? "
            "AND status IN ('CHECKED_IN', 'CALLED', 'IN_SERVICE')",
            (shop.id, day),
        ).fetchall()
    ]
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
) -> tuple[dict[str, Any], str]:
    """Issue a ticket at the end of the line; returns the entry in full and its claim."""
    day = shop_today(shop)
    prefix = tickets.APPOINTMENT_PREFIX if appointment_id else tickets.WALK_IN_PREFIX
    # Positions are 1..n, so the end of the line is MAX + 1 (an index seek, not a count).
    position = sql(
        "SELECT COALESCE(MAX(position_in_queue), 0) + 1 FROM queue_entry "
        "WHERE shop_id = ? AND status = 'CHECKED_IN'",
        (shop.id,),
    ).fetchone()[0]
    claim = secrets.token_urlsafe(18)
    ticket = _next_ticket(shop, day, prefix)
    checked_in_at = stamp(shop)
    entry_id = sql(
        "INSERT INTO queue_entry (shop_id, provider_id, customer_id, full_name, ticket, "
        "ticket_day, position_in_queue, status, source, appointment_id, claim_hash, "
        "checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'CHECKED_IN', ?, ?, ?, ?)",
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
        ),
    ).lastrowid
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
        "estimated_wait_minutes": wait_for(shop, entry_id, provider_id, position),
    }
    return entry, claim


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
    if target == CHECKED_IN:  # recall: back in line, at the front
        moved = _put_at_front(shop, entry)
        entry.called_at = None
    elif target == CALLED:
        entry.called_at = now
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
