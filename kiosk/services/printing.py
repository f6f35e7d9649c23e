"""Paper tickets (SPEC §12): what a ticket says, and the event that tells how printing went.

The printing itself is the appliance's hardware side (kiosk/appliance/printer.py); this
room only reads the facts to print and records the outcome, like every other write.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.clock import instant, shop_zone, utcnow
from kiosk.domain.tickets import CHECKED_IN
from kiosk.services.context import Ctx, append_event
from kiosk.services.rows import entry_by_id, get_shop
from kiosk.services.waits import estimate_of
from kiosk.store.database import Outcome
from kiosk.store.models import Provider, Service, Shop

STATUSES = ("ok", "offline", "paper_out", "error")
SEVERITY = {"ok": "success", "offline": "warning", "paper_out": "warning", "error": "error"}
PRINTER_TOPIC = "printer"


@dataclass(frozen=True)
class TicketFacts:
    """Everything a paper ticket shows, read in one go on the database thread."""

    entry_id: int
    shop_name: str
    ticket: str
    what: str | None  # the service, else the provider, else nothing
    issued_local: str  # "2026-12-01 11:40", shop time
    ahead: int | None  # None once the ticket is no longer waiting
    wait_minutes: int | None
    language: str
    url: str | None  # the phone link, or None for a reprint that cannot know the claim


def ticket_facts(entry_id: int, url: str | None) -> TicketFacts:
    entry = entry_by_id(entry_id)
    shop = get_shop(entry.shop_id)
    what = None
    if entry.service_id is not None:
        what = Service.select(Service.name).where(Service.id == entry.service_id).scalar()
    if what is None and entry.provider_id is not None:
        what = Provider.select(Provider.name).where(Provider.id == entry.provider_id).scalar()
    waiting = entry.status == CHECKED_IN
    estimate = estimate_of(shop, entry.id) if waiting else None
    issued = instant(entry.checked_in_at).astimezone(shop_zone(shop))
    return TicketFacts(
        entry_id=entry.id,
        shop_name=shop.name,
        ticket=entry.ticket,
        what=what,
        issued_local=issued.strftime("%Y-%m-%d %H:%M"),
        ahead=(entry.position_in_queue or 1) - 1 if waiting else None,
        wait_minutes=estimate.minutes if estimate else None,
        language=shop.language,
        url=url,
    )


def reprint_answer(entry_id: int) -> Outcome:
    """What a staff reprint answers, kept with its Idempotency-Key (http/requests.py
    write): a retry gets it back and nothing prints twice. Refused (404) as the ticket
    is unknown; no event, since the printer's outcome is the news."""
    facts = ticket_facts(entry_id, None)
    return Outcome({"entry_id": entry_id, "ticket": facts.ticket, "print": {"status": "queued"}})


def test_facts(url: str) -> TicketFacts:
    """The owner's test ticket: the first shop's name and language, a sample code,
    and a QR code of /join (that one is real and harmless to scan)."""
    shop = Shop.select().order_by(Shop.id).first()
    now = utcnow().astimezone(shop_zone(shop)) if shop else utcnow()
    return TicketFacts(
        entry_id=0,
        shop_name=shop.name if shop else "Queue Kiosk",
        ticket="A000",
        what=None,
        issued_local=now.strftime("%Y-%m-%d %H:%M"),
        ahead=0,
        wait_minutes=0,
        language=shop.language if shop else "en",
        url=url,
    )


def record_status(
    ctx: Ctx, status: str, message: str, entry_id: int | None, user_id: int | None
) -> Outcome:
    """One `printer_status` event: staff hear it in the `printer` room, and the kiosk
    that asked for the ticket in its own user room (it says "scan the QR code")."""
    topics = [PRINTER_TOPIC]
    if user_id is not None:
        topics.append(f"user:{user_id}")
    body = {"status": status, "message": message, "entry_id": entry_id}
    # Shaped as a relayed notification (room, severity, data), so both event dialects
    # send it as `{type: "printer_status", data: body}` the way they send any notice.
    event = append_event(
        ctx,
        None,
        "printer_status",
        topics,
        relayed=True,
        room=PRINTER_TOPIC,
        severity=SEVERITY[status],
        data=body,
    )
    return Outcome(body, (event,))
