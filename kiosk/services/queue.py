"""Queue use cases: join, call, start, complete, leave, move, transfer, priority, reorder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.domain import tickets
from kiosk.domain.clock import stamp
from kiosk.domain.errors import Conflict, InvalidField, NotFound, StaleVersion
from kiosk.domain.line_order import FIRST
from kiosk.domain.tickets import CALLED, CHECKED_IN, OPEN
from kiosk.domain.topics import topics_for_appointment, topics_for_queue
from kiosk.services.catalog import active_service, offers, only_service
from kiosk.services.context import Ctx, append_event, sql
from kiosk.services.duty import refuse_closed_join, refuse_off_duty
from kiosk.services.line import (
    bump_version,
    move_forward,
    new_entry,
    priority_position,
    transition,
    waiting_line,
)
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
from kiosk.services.waits import estimate_of
from kiosk.store.database import Outcome
from kiosk.store.models import Appointment, Customer, Provider, QueueEntry, Service, Shop

UNCHANGED = object()
# Who joins by themselves (a kiosk, or a phone without a token): opening hours apply.
SELF_SERVICE = ("display", "kiosk")


def join(
    ctx: Ctx,
    shop_id: int,
    full_name: str,
    phone: str | None,
    provider_id: int | None,
    source: str,
    service_id: int | None = None,
    priority_rule: str | None = None,
) -> Outcome:
    """A new ticket; `priority_rule` set (the owner's rule) makes it a priority ticket."""
    shop = get_shop(shop_id)
    if ctx.actor.role in SELF_SERVICE:
        # Staff may still add a walk-in when the shop is closed to self-service.
        refuse_closed_join(shop)
    if provider_id is not None:
        active_provider(shop, provider_id)
    if service_id is None:
        service_id = only_service(shop)
    active_service(shop, service_id, provider_id)
    customer_id = sql(
        "INSERT INTO customer (name, phone) VALUES (?, ?)", (full_name, phone)
    ).lastrowid
    body, claim, moved = new_entry(
        shop,
        customer_id,
        full_name,
        phone,
        provider_id,
        source,
        service_id=service_id,
        priority=priority_rule is not None,
        position=priority_position(shop, priority_rule) if priority_rule else None,
    )
    version = bump_version(shop)
    customer = {"id": customer_id, "name": full_name, "phone": phone, "age": None, "gender": None}
    event = append_event(
        ctx,
        shop,
        "queue_joined",
        topics_for_queue(shop),
        # The new ticket first (the dialects' new_entry), then those it went ahead of.
        entries=[body, *entries_in_full(shop, moved)],
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


@dataclass(frozen=True)
class Changes:
    """What a PATCH of a ticket asks for; UNCHANGED where it says nothing."""

    status: str | None = None
    provider_id: int | None | object = UNCHANGED
    service_id: int | None | object = UNCHANGED
    priority: bool | None = None

    @property
    def moves(self) -> bool:
        return self.provider_id is not UNCHANGED

    @property
    def transfers(self) -> bool:
        return self.service_id is not UNCHANGED

    def kind(self) -> str:
        """The event of the change when its status stays."""
        if self.transfers:
            return "queue_transferred"
        if self.priority is not None and not self.moves:
            return "queue_prioritized"
        return "queue_moved"


def _reprioritize(shop: Shop, entry: QueueEntry, priority: bool, rule: str) -> list[int]:
    """Mark or unmark a waiting ticket. Marked, it is placed again by the rule, but
    never further back than it already is; unmarked, it keeps its place."""
    if priority == entry.priority:
        return []
    if entry.status != CHECKED_IN:
        raise Conflict(
            f"priority is set on a waiting ticket; this one is {entry.status}",
            {"status": entry.status},
        )
    entry.priority = priority
    if not priority:
        return []
    target = min(priority_position(shop, rule, without=entry.id), entry.position_in_queue)
    return move_forward(shop, entry, target)


def update_entry(
    ctx: Ctx,
    entry_id: int,
    status: str | None,
    provider_id: int | None,
    move: bool,
    service_id: int | None | object = UNCHANGED,
    priority: bool | None = None,
    rule: str = FIRST,
) -> Outcome:
    """PATCH a ticket: its status, provider (`move`), service (a transfer) or priority."""
    changes = Changes(status, provider_id if move else UNCHANGED, service_id, priority)
    entry = entry_by_id(entry_id)
    shop = get_shop(entry.shop_id)
    if (changes.moves or changes.transfers) and entry.status not in OPEN:
        raise Conflict(
            f"a {entry.status} ticket is closed and cannot be moved",
            {"status": entry.status},
        )
    provider_id = changes.provider_id if changes.moves else entry.provider_id
    if changes.moves:
        provider = active_provider(shop, provider_id)
        entry.provider = provider.id if provider else None
    if changes.transfers:
        # A transfer keeps the ticket's check-in time and place in line.
        active_service(shop, changes.service_id, provider_id)
        entry.service = changes.service_id
    elif changes.moves and entry.service_id is not None:
        service = Service.get_by_id(entry.service_id)
        if not offers(service, provider_id):
            raise InvalidField(
                "provider_id", f"provider {provider_id} does not offer {service.name!r} here"
            )
    moved: list[int] = []
    if changes.priority is not None:
        moved = _reprioritize(shop, entry, changes.priority, rule)
    entry.save()
    appointment = None
    type = changes.kind()
    status = changes.status
    changed_else = changes.moves or changes.transfers or changes.priority is not None
    if status is not None and (status != entry.status or not changed_else):
        # Asking for the status it already has fails here too: the client should know.
        closed_gap, appointment = transition(shop, entry, status)
        moved = sorted(set(moved) | set(closed_gap))
        type = EVENT_FOR_STATUS[status]
    return _queue_outcome(ctx, shop, entry, type, moved, appointment)


def call_next(ctx: Ctx, shop_id: int, provider_id: int | None, force: bool = False) -> Outcome:
    """The first eligible waiting ticket; for a provider on a break or time off only
    when the caller confirms with `force` (SPEC §11)."""
    shop = get_shop(shop_id)
    provider = active_provider(shop, provider_id)
    if provider is not None and not force:
        refuse_off_duty(shop, provider.id)
    query = QueueEntry.select().where(
        (QueueEntry.shop == shop.id) & (QueueEntry.status == CHECKED_IN)
    )
    if provider is not None:
        # Their own tickets and anyone's, for services they offer (SPEC §10).
        not_offered = [
            service.id
            for service in Service.select().where(Service.shop == shop.id)
            if not offers(service, provider.id)
        ]
        query = query.where(
            ((QueueEntry.provider == provider.id) | QueueEntry.provider.is_null())
            & (QueueEntry.service.is_null() | QueueEntry.service.not_in(not_offered))
        )
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
    service_name = (
        Service.select(Service.name).where(Service.id == entry.service_id).scalar()
        if entry.service_id
        else None
    )
    wait = estimate_of(shop, entry.id) if entry.status == CHECKED_IN else None
    return {
        **entry_dict(entry, wait, phone_of(entry)),
        "provider_name": provider_name,
        "service_name": service_name,
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

    The line does not change, so the queue's version stays. The ticket keeps when it
    was called again (`announced_at`), so a TV that missed the event (offline, or
    polling) repeats the call as its next queue body shows the new time; shop queue
    sockets also carry the event itself as `announced` (seed 000 clients)."""
    entry = entry_by_id(entry_id)
    if entry.status != CALLED:
        raise Conflict(
            f"only a CALLED ticket can be called again; this one is {entry.status}",
            {"status": entry.status, "allowed": [CALLED]},
        )
    shop = get_shop(entry.shop_id)
    entry.announced_at = stamp(shop)
    entry.save()
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
