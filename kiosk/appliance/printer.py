"""The ticket printer (SPEC §12): sending a ticket, off the event loop, within 5 s.

Every job runs on the printer's own thread (one printer, one ticket at a time), never
on the event loop and never on the default executor that other chores share: a
printer that never reads costs its own thread five seconds, and a join costs nothing.

A ticket counts as printed only when the printer says so. Before it, a real-time status
query (DLE EOT 4) finds a printer out of paper; after it, a status request (GS r 1),
which the printer answers only once it has worked through everything before it, is the
receipt. A printer that takes the bytes and never answers is reported, not trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.appliance import ticket_layout

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
PAPER_QUERY = b"\x10\x04\x04"  # DLE EOT 4: roll paper sensor, answered at once
RECEIPT_QUERY = b"\x1d\x72\x01"  # GS r 1: paper sensor, answered after the ticket
PAPER_END = 0x60  # DLE EOT 4 bits 5 and 6: the roll is out
RECEIPT_PAPER_END = 0x0C  # GS r 1 bits 2 and 3
# How long to wait for the paper query's answer before sending anyway.
PAPER_QUERY_S = 1.0
# Tickets waiting for a stuck printer: past this many, a new one is refused at once (a
# ticket that comes out a minute late is for someone who has already walked away).
MAX_PENDING = 3


@dataclass(frozen=True)
class Result:
    status: str  # ok, offline, paper_out, error
    message: str


class Deadline:
    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("the printer did not answer within 5 s")
        return left


def _receipt(reply: bytes) -> Result:
    if reply and reply[0] & RECEIPT_PAPER_END:
        return Result("paper_out", "the printer is out of paper")
    return Result("ok", "printed")


def _network(host: str, port: int, data: bytes, deadline: Deadline) -> Result:
    """Port 9100 (raw): one connection per ticket, as every ESC/POS network printer takes."""
    try:
        conn = socket.create_connection((host, port), timeout=min(deadline.left(), 3.0))
    except (OSError, TimeoutError) as exc:
        return Result("offline", f"no printer answers at {host}:{port} ({exc})")
    with conn:
        try:
            conn.settimeout(min(PAPER_QUERY_S, deadline.left()))
            conn.sendall(PAPER_QUERY)
            with contextlib.suppress(TimeoutError):
                status = conn.recv(1)
                if status and status[0] & PAPER_END == PAPER_END:
                    return Result("paper_out", "the printer is out of paper")
            conn.settimeout(deadline.left())
            conn.sendall(data + RECEIPT_QUERY)
            conn.settimeout(deadline.left())
            reply = conn.recv(16)
            if not reply:
                return Result("error", "the printer closed the connection before the end")
            # A late answer to the paper query may come with it: the receipt is last.
            return _receipt(reply[-1:])
        except TimeoutError:
            return Result("error", "the printer took no ticket or gave no receipt within 5 s")
        except OSError as exc:
            return Result("error", f"the printer dropped the ticket halfway ({exc})")


def _device(escpos: Any, printer: Any, deadline: Deadline) -> Any:
    """USB, serial and CUPS through python-escpos's own drivers."""
    if printer.kind == "usb":
        return escpos.Usb(
            printer.usb_vendor, printer.usb_product, timeout=int(deadline.left() * 1000)
        )
    if printer.kind == "serial":
        return escpos.Serial(printer.device, timeout=deadline.left())
    return escpos.LP(printer.queue)  # CUPS: the `lp` command, raw


def _paper_is_out(device: Any, kind: str) -> bool:
    """The real-time paper query over a driver; no answer within a second: carry on."""
    device._raw(PAPER_QUERY)
    if kind == "serial":
        port = device.device
        waited, port.timeout = port.timeout, PAPER_QUERY_S
        try:
            status = port.read(1)
        finally:
            port.timeout = waited
    else:
        try:
            status = bytes(device.device.read(device.in_ep, 16, int(PAPER_QUERY_S * 1000)))
        except Exception:  # pyusb raises its own timeout error
            status = b""
    return bool(status) and status[-1] & PAPER_END == PAPER_END


def _through_driver(escpos: Any, printer: Any, data: bytes, deadline: Deadline) -> Result:
    device = _device(escpos, printer, deadline)
    if not device.is_usable():
        return Result(
            "error",
            f"{printer.kind} printing needs a driver this build does not have "
            "(see packaging/README.md)",
        )
    try:
        device.open()
    except Exception as exc:  # each driver raises its own kind of "not found"
        return Result("offline", f"no printer at {printer.where} ({exc})")
    try:
        if printer.kind != "cups" and _paper_is_out(device, printer.kind):
            return Result("paper_out", "the printer is out of paper")
        device._raw(data)
        if printer.kind == "cups":
            return Result("ok", "sent to the print queue")
        device._raw(RECEIPT_QUERY)
        # pyserial's read(16) would wait out its whole timeout for 15 more bytes.
        reply = device.device.read(1) if printer.kind == "serial" else device._read()
        if not reply:
            return Result("error", "the printer gave no receipt")
        return _receipt(bytes(reply)[-1:])
    except Exception as exc:
        return Result("error", f"printing failed ({exc})")
    finally:
        with contextlib.suppress(Exception):
            device.close()


def send(printer: Any, data: bytes, escpos: Any = None) -> Result:
    """Send a rendered ticket to the configured printer; blocking, at most ~5 s."""
    deadline = Deadline(TIMEOUT_S)
    try:
        if printer.kind == "network":
            return _network(printer.host, printer.port, data, deadline)
        if printer.kind in ("usb", "serial", "cups"):
            return _through_driver(escpos, printer, data, deadline)
        return Result("error", "no printer is set up")
    except TimeoutError as exc:
        return Result("error", str(exc))


@dataclass
class PrinterState:
    """What `GET /api/v1/printer` shows: the last outcome and what is in flight."""

    status: str = "unknown"
    message: str = ""
    at: str | None = None
    entry_id: int | None = None
    printed: int = 0
    failed: int = 0
    pending: int = 0


class PrintDesk:
    """The printer's own thread and the state of its last job."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self.state = PrinterState()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printer")
        self._tasks: set[asyncio.Task] = set()

    def _job(self, printer: Any, render: Callable[[Any], bytes]) -> Result:
        try:
            escpos = ticket_layout.load_escpos(self.cache_dir)
            data = render(escpos)
        except Exception as exc:
            log.exception("drawing a ticket failed")
            return Result("error", f"the ticket could not be drawn ({exc})")
        return send(printer, data, escpos)

    async def print(self, printer: Any, render: Callable[[Any], bytes]) -> Result:
        """Run one job on the printer thread; a driver that hangs past its own timeout
        is given up on here (its thread finishes later, the answer is already out)."""
        if self.state.pending >= MAX_PENDING:
            return Result("error", f"{MAX_PENDING} tickets are still waiting for the printer")
        self.state.pending += 1
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._thread, self._job, printer, render)
            # Each job ahead on the printer's thread may take its whole time too.
            return await asyncio.wait_for(future, (TIMEOUT_S + 2.0) * self.state.pending)
        except TimeoutError:
            return Result("error", "the printer driver did not return within 5 s")
        finally:
            self.state.pending -= 1

    def warm_up(self) -> None:
        """Import python-escpos on the printer's thread now (about 0.7 s of imports), so
        the first customer's ticket does not pay for it."""
        self._thread.submit(ticket_layout.load_escpos, self.cache_dir)

    def spawn(self, coroutine: Any) -> None:
        """Start a print in the background: the request that asked has its answer."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def note(self, result: Result, at: str, entry_id: int | None) -> None:
        self.state.status, self.state.message = result.status, result.message
        self.state.at, self.state.entry_id = at, entry_id
        if result.status == "ok":
            self.state.printed += 1
        else:
            self.state.failed += 1

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        # A job stuck in a driver is not waited for: stopping must not take 5 s more.
        self._thread.shutdown(wait=False, cancel_futures=True)
