"""REST: the ticket printer (SPEC §12) — its state, a test ticket, reprints, and the
print that follows a paired kiosk's join.

A print never holds up its request: the join is answered `print: {status: queued}`
the moment it is durable, the ticket goes out on the printer's thread, and how it went
arrives as a `printer_status` event (staff's `printer` room, the kiosk's own user room).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import orjson
from aiohttp import web

from kiosk.appliance import ticket_layout
from kiosk.appliance.printer import PrintDesk, Result
from kiosk.domain.clock import iso_utc, utcnow
from kiosk.domain.errors import Conflict
from kiosk.http.api_devices import public_base
from kiosk.http.pages import web_root
from kiosk.http.requests import ctx_of, json_response, path_id, principal_of, read, write
from kiosk.keys import CONFIG, DB, PRINTER, RUNTIME
from kiosk.security.principal import require
from kiosk.services import printing
from kiosk.services.context import Ctx
from kiosk.services.printing import TicketFacts
from kiosk.store.database import Outcome

log = logging.getLogger(__name__)

QUEUED = {"status": "queued"}
LABELS = ("ticket", "ahead", "wait", "scan")


@functools.lru_cache(maxsize=8)
def _labels(language: str) -> dict[str, str]:
    """The paper's words, from the same catalogs as every screen (web/i18n)."""
    root = web_root() / "i18n"
    path = root / f"{language}.json"
    catalog = orjson.loads((path if path.is_file() else root / "en.json").read_bytes())
    return {name: catalog[f"print.{name}"] for name in LABELS if f"print.{name}" in catalog}


def _renderer(facts: TicketFacts, printer: Any):
    def render(escpos: Any) -> bytes:
        return ticket_layout.render(
            escpos, facts, printer.width_mm, printer.header, printer.footer, _labels(facts.language)
        )

    return render


async def _print_and_tell(
    app: web.Application, ctx: Ctx, facts: TicketFacts, user_id: int | None
) -> Result:
    """Print one ticket, then record how it went as one event (which staff hear)."""
    printer = app[RUNTIME].settings.printer
    desk = app[PRINTER]
    result = await desk.print(printer, _renderer(facts, printer))
    desk.note(result, iso_utc(utcnow()), facts.entry_id or None)
    if result.status != "ok":
        log.warning("ticket %s: printer %s: %s", facts.ticket, result.status, result.message)
    try:
        await app[DB].run(
            printing.record_status,
            ctx,
            result.status,
            result.message,
            facts.entry_id or None,
            user_id,
        )
    except Exception:  # the database is closing: the state above still tells
        log.exception("recording the printer's outcome failed")
    return result


def _phone_link(request: web.Request, claim: str) -> str:
    return f"{public_base(request)}/t/{claim}"


def on_join(request: web.Request, use_case):
    """For a paired kiosk's join with auto-print on: the use case, marked so that its
    answer says `print: queued`, and a callable that starts the print once the answer
    is durable. A replayed answer (same Idempotency-Key) never runs the use case, and
    so never prints twice."""
    principal = principal_of(request)
    printer = request.app[RUNTIME].settings.printer
    if principal.role != "kiosk" or printer.kind == "none" or not printer.auto_print:
        return use_case, lambda: None
    joined: list[dict[str, Any]] = []

    def marked(*args: Any) -> Outcome:
        outcome = use_case(*args)
        joined.append(outcome.value)
        return Outcome({**outcome.value, "print": QUEUED}, outcome.events)

    async def start() -> None:
        entry = joined[0]
        # Reads the interfaces when the kiosk is on loopback: not on the event loop.
        link = await asyncio.to_thread(_phone_link, request, entry["claim"])
        facts = await read(request, printing.ticket_facts, entry["id"], link)
        await _print_and_tell(request.app, ctx_of(request), facts, principal.token_id)

    def after() -> None:
        if joined:
            request.app[PRINTER].spawn(start())

    return marked, after


def _configured(request: web.Request):
    printer = request.app[RUNTIME].settings.printer
    if printer.kind == "none":
        raise Conflict("no ticket printer is set up; choose one at /admin", {"kind": "none"})
    return printer


async def get_printer(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    printer = request.app[RUNTIME].settings.printer
    state = request.app[PRINTER].state
    return json_response(
        {
            "kind": printer.kind,
            "where": printer.where,
            "width_mm": printer.width_mm,
            "auto_print": printer.auto_print,
            "status": state.status if printer.kind != "none" else "none",
            "message": state.message,
            "at": state.at,
            "entry_id": state.entry_id,
            "printed": state.printed,
            "failed": state.failed,
            "pending": state.pending,
        }
    )


async def get_paper(request: web.Request) -> web.Response:
    """What /t/{claim}/print needs of the owner's ticket: paper width, header, footer.
    Public: the same words are on every paper ticket the shop hands out."""
    printer = request.app[RUNTIME].settings.printer
    return json_response(
        {"width_mm": printer.width_mm, "header": printer.header, "footer": printer.footer}
    )


async def print_test(request: web.Request) -> web.Response:
    """A test ticket, answered with how it went (the owner is standing at the printer)."""
    principal = principal_of(request)
    require(principal, "admin")
    _configured(request)
    link = f"{await asyncio.to_thread(public_base, request)}/join"
    facts = await read(request, printing.test_facts, link)
    # Staff and admins hear the `printer` room: no second copy in their own user room.
    result = await _print_and_tell(request.app, ctx_of(request), facts, None)
    return json_response({"status": result.status, "message": result.message})


async def reprint(request: web.Request) -> web.Response:
    """Staff reprint: no claim is kept (only its hash), so the paper has no QR code."""
    principal = principal_of(request)
    require(principal, "staff")
    entry_id = path_id(request, "entry_id")
    _configured(request)
    # Once per Idempotency-Key: a staff tablet that retries after a timeout gets the
    # first answer, and the customer one paper ticket.
    answer = await write(request, printing.reprint_answer, entry_id, status=202)
    if answer.status == 202 and "Idempotent-Replayed" not in answer.headers:
        facts = await read(request, printing.ticket_facts, entry_id, None)
        request.app[PRINTER].spawn(_print_and_tell(request.app, ctx_of(request), facts, None))
    return answer


async def printer_ctx(app: web.Application):
    app[PRINTER] = PrintDesk(app[CONFIG].data_dir / "cache" / "escpos")
    if app[RUNTIME].settings.printer.kind != "none":
        app[PRINTER].warm_up()
    yield
    await app[PRINTER].close()


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/printer", get_printer)
    r.add_get(f"{p}/printer/paper", get_paper)
    r.add_post(f"{p}/printer/test", print_test)
    r.add_post(f"{p}/queue/{{entry_id}}/print", reprint)
