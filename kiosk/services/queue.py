"""Queue use cases: join, call, start, complete, leave, move, reorder."""

from __future__ import annotations

from typing import Any

from kiosk.domain import tickets
from kiosk.domain.errors import Conflict, InvalidField, NotFound, StaleVersion
from kiosk.domain.tickets import CALLED, CHECKED_IN, OPEN
from kiosk.domain.topics import topics_for_appointment, topics_for_queue
from kiosk.services.context import Ctx, append_event, sql
from kiosk.services.line import bump_version, new_entry, transition, waiting_line
from kiosk.services.rows import (
    active_provider,
    appointment_dict,
    claim_hash,
    entries_in_full,
    entry_by_id,
    entry_dict,
    get_shop,
    phone_of,
)
from kiosk.services.views import queue_snapshot
from kiosk.services.waits import wait_of
from kiosk.store.database import Outcome
from kiosk.store.models import Appointment, Customer, Provider, QueueEntry, Shop


def join(
    ctx: Ctx,
    shop_id: int,
    full_name: str,
    phone: str | None,
    provider_id: int | None,
    source: str,
) -> Outcome:
    shop = get_shop(shop_id)
    if provider_id is not None:
        active_provider(shop, provider_id)
    customer_id = sql(
        "INSERT INTO customer (name, phone) VALUES (?, ?)", (full_name, phone)
    ).lastrowid
    body, claim = new_entry(shop, customer_id, full_name, phone, provider_id, source)
    version = bump_version(shop)
    customer = {"id": customer_id, "name": full_name, "phone": phone, "age": None, "gender": None}
    event = append_event(
        ctx,
        shop,
        "queue_joined",
        topics_for_queue(shop),
        entries=[body],
        customers=[customer],
        version=version,
    )
    return Outcome({**body, "claim": claim}, (event,))


EVENT_FOR_STATUS = {
    tickets.CALLED: "queue_called",
    tickets.CHECKED_IN: "queue_recalled",
    tickets.IN_SERVICE: "queue_started",
    tickets.COMPLETED: "queue_completed",
    tickets.LEFT: "queue_left",
    tickets.NO_SHOW: "queue_no_show",
    tickets.CANCELLED: "queue_cancelled",
}


def _queue_outcome(
    ctx: Ctx,
    shop: Shop,
    entry: QueueEntry,
    type: str,
    moved: list[int],
    appointment: Appointment | None,
) -> Outcome:
    version = bump_version(shop)
    changed = entries_in_full(shop, [entry.id, *moved])
    topics = topics_for_queue(shop)
    appointments = None
    if appointment is not None:
        topics += topics_for_appointment(shop, appointment.date)
        appointments = [
            appointment_dict(appointment, Customer.get_by_id(appointment.customer_id), entry.id)
        ]
    body = next(e for e in changed if e["id"] == entry.id)
    event = append_event(
        ctx, shop, type, topics, entries=changed, appointments=appointments, version=version
    )
    return Outcome(body, (event,))


def update_entry(
    ctx: Ctx, entry_id: int, status: str | None, provider_id: int | None, move: bool
) -> Outcome:
    """PATCH a ticket: change its status, or move it to another provider, or both."""
    entry = entry_by_id(entry_id)
    shop = get_shop(entry.shop_id)
    if move:
        if entry.status not in OPEN:
            raise Conflict(
                f"a {entry.status} ticket is closed and cannot be moved",
                {"status": entry.status},
            )
        provider = active_provider(shop, provider_id)
        entry.provider = provider.id if provider else None
        entry.save()
    moved: list[int] = []
    appointment = None
    type = "queue_moved"
    if status is not None and (status != entry.status or not move):
        # Asking for the status it already has fails here too: the client should know.
        moved, appointment = transition(shop, entry, status)
        type = EVENT_FOR_STATUS[status]
    return _queue_outcome(ctx, shop, entry, type, moved, appointment)


def call_next(ctx: Ctx, shop_id: int, provider_id: int | None) -> Outcome:
    shop = get_shop(shop_id)
    provider = active_provider(shop, provider_id)
    query = QueueEntry.select().where(
        (QueueEntry.shop == shop.id) & (QueueEntry.status == CHECKED_IN)
    )
    if provider is not None:
        query = query.where((QueueEntry.provider == provider.id) | QueueEntry.provider.is_null())
    entry = query.order_by(QueueEntry.position_in_queue).first()
    if entry is None:
        raise NotFound("nobody is waiting", {"shop_id": shop.id, "provider_id": provider_id})
    if provider is not None:  # the customer now goes to this provider's chair
        entry.provider = provider.id
    moved, appointment = transition(shop, entry, CALLED)
    return _queue_outcome(ctx, shop, entry, "queue_called", moved, appointment)


def reorder(ctx: Ctx, shop_id: int, entry_ids: list[int], version: int) -> Outcome:
    shop = get_shop(shop_id)
    line = waiting_line(shop)
    current = [e.id for e in line]
    if version != shop.queue_version:
        raise StaleVersion(
            f"the queue changed (version {shop.queue_version}, you sent {version}); reload it",
            {"version": shop.queue_version, "entry_ids": current},
        )
    if len(entry_ids) != len(set(entry_ids)) or set(entry_ids) != set(current):
        raise InvalidField("entry_ids", "must list every waiting entry of the shop exactly once")
    moved = []
    for position, entry_id in enumerate(entry_ids, start=1):
        if current[position - 1] != entry_id:
            moved.append(entry_id)
            QueueEntry.update(position_in_queue=position).where(QueueEntry.id == entry_id).execute()
    new_version = bump_version(shop)
    changed = entries_in_full(shop, moved)
    event = append_event(
        ctx,
        shop,
        "queue_reordered",
        topics_for_queue(shop),
        entries=changed,
        order=entry_ids,
        # With the order before, the audit trail can tell which ticket was dragged
        # from the ones that only shifted by a place.
        previous_order=current,
        version=new_version,
    )
    return Outcome(queue_snapshot(shop.id, seq=None), (event,))


def ticket_by_claim(claim: str) -> dict[str, Any]:
    entry = QueueEntry.get_or_none(QueueEntry.claim_hash == claim_hash(claim))
    if entry is None:
        raise NotFound("no such ticket")
    shop = get_shop(entry.shop_id)
    provider_name = (
        Provider.select(Provider.name).where(Provider.id == entry.provider_id).scalar()
        if entry.provider_id
        else None
    )
    return {
        **entry_dict(entry, wait_of(shop, entry), phone_of(entry)),
        "provider_name": provider_name,
        "shop_name": shop.name,
    }


def leave_by_claim(ctx: Ctx, claim: str) -> Outcome:
    entry = QueueEntry.get_or_none(QueueEntry.claim_hash == claim_hash(claim))
    if entry is None:
        raise NotFound("no such ticket")
    shop = get_shop(entry.shop_id)
    moved, appointment = transition(shop, entry, tickets.LEFT)
    return _queue_outcome(ctx, shop, entry, "queue_left", moved, appointment)


def announce(ctx: Ctx, entry_id: int) -> Outcome:
    """Call again (SPEC §9): every display repeats the call-out of a CALLED ticket.

    Nothing about the ticket or the line changes, so the queue's version stays: the
    event itself is the news, and the shop queue sockets carry it to the TVs."""
    entry = entry_by_id(entry_id)
    if entry.status != CALLED:
        raise Conflict(
            f"only a CALLED ticket can be called again; this one is {entry.status}",
            {"status": entry.status, "allowed": [CALLED]},
        )
    shop = get_shop(entry.shop_id)
    body = entries_in_full(shop, [entry.id])[0]
    event = append_event(
        ctx,
        shop,
        "queue_announced",
        topics_for_queue(shop),
        entries=[body],
        version=shop.queue_version,
    )
    return Outcome(body, (event,))
