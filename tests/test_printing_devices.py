"""USB, serial and CUPS printers through python-escpos's own drivers (SPEC §12).

A serial printer is a real pseudo-terminal here (the driver opens it as it would
/dev/ttyUSB0), with a fake printer reading the other end. No USB printer and no CUPS
are attached to this machine: those tests prove the honest answer, "offline" with the
driver's reason, within the 5 s, never a hang or a crash.
"""

from __future__ import annotations

import os
import pty
import shutil
import threading
import tty

import pytest

from kiosk.appliance.printer import PAPER_QUERY, RECEIPT_QUERY, send
from kiosk.appliance.ticket_layout import load_escpos
from kiosk.services.printer_config import Printer
from tests.escpos_decode import decode

# A driver that hung instead of answering would fail here, not stall the suite.
pytestmark = pytest.mark.timeout(60)

TICKET = b"\x1b@\x1ba\x01Serial ticket\n\x1dV\x00"


@pytest.fixture(scope="module")
def escpos():
    return load_escpos(None)


def test_a_serial_printer_prints_and_gives_its_receipt(escpos) -> None:
    master, slave = pty.openpty()
    tty.setraw(slave)
    received = bytearray()

    def printer() -> None:
        while not received.endswith(RECEIPT_QUERY):
            chunk = os.read(master, 4096)
            if not chunk:
                return
            received.extend(chunk)
            if bytes(received) == PAPER_QUERY:
                os.write(master, b"\x12")  # DLE EOT 4: paper present
        os.write(master, b"\x00")  # the receipt

    thread = threading.Thread(target=printer, daemon=True)
    thread.start()
    try:
        result = send(Printer(kind="serial", device=os.ttyname(slave)), TICKET, escpos)
        thread.join(5)
    finally:
        os.close(master)
        os.close(slave)
    assert result.status == "ok", result
    assert bytes(received).startswith(PAPER_QUERY)
    ticket = bytes(received[len(PAPER_QUERY) : -len(RECEIPT_QUERY)])
    assert decode(ticket).lines == ["Serial ticket"]


@pytest.mark.parametrize(
    ("answer", "query"),
    [(b"\x72", PAPER_QUERY), (b"\x0c", RECEIPT_QUERY)],
    ids=["before-the-ticket", "in-the-receipt"],
)
def test_a_serial_printer_out_of_paper_says_so(escpos, answer, query) -> None:
    master, slave = pty.openpty()
    tty.setraw(slave)
    seen = bytearray()

    def printer() -> None:
        while not seen.endswith(query):
            seen.extend(os.read(master, 4096))
        os.write(master, answer)  # DLE EOT 4: roll out / GS r 1: roll paper end

    thread = threading.Thread(target=printer, daemon=True)
    thread.start()
    try:
        result = send(Printer(kind="serial", device=os.ttyname(slave)), TICKET, escpos)
        thread.join(5)
        os.set_blocking(master, False)
        try:
            later = os.read(master, 4096)
        except BlockingIOError:
            later = b""
    finally:
        os.close(master)
        os.close(slave)
    assert result.status == "paper_out", result
    if query == PAPER_QUERY:
        assert bytes(seen) + later == PAPER_QUERY  # and not a byte of the ticket


@pytest.mark.parametrize(
    "printer",
    [
        Printer(kind="usb", usb_vendor=0x04B8, usb_product=0x0E15),
        Printer(kind="serial", device="/dev/ttyUSB97"),
        Printer(kind="cups", queue="TM-T20"),
    ],
    ids=["usb-unplugged", "serial-missing", "cups"],
)
def test_a_printer_that_is_not_there_is_reported_not_hung(escpos, printer) -> None:
    if printer.kind == "cups" and shutil.which("lp"):
        pytest.skip("this machine has CUPS's lp: the queue might exist")
    result = send(printer, TICKET, escpos)
    assert result.status == "offline", result
    assert printer.where in result.message
