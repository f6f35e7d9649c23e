"""The ticket printer the owner set at /admin (SPEC §12): one value of the settings.

Checked field by field like every other setting, so a typo is a 422 naming the field,
never a printer that silently does nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from kiosk.domain.errors import InvalidField

KINDS = ("none", "network", "usb", "serial", "cups")
WIDTHS = (58, 80)
HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,253}$")
# A serial port (/dev/ttyUSB0, COM3) or a CUPS queue name: no shell, but no surprises.
DEVICE = re.compile(r"^[A-Za-z0-9_./:\\-]{1,200}$")
QUEUE = re.compile(r"^[A-Za-z0-9_.@-]{1,127}$")
MAX_NOTE = 200  # the owner's header and footer, each


@dataclass(frozen=True)
class Printer:
    kind: str = "none"
    host: str = ""
    port: int = 9100
    usb_vendor: int | None = None
    usb_product: int | None = None
    device: str = ""
    queue: str = ""
    width_mm: int = 80
    auto_print: bool = False
    header: str = ""
    footer: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def where(self) -> str:
        """Where the printer is, in the owner's words for the state and the log."""
        if self.kind == "network":
            return f"{self.host}:{self.port}"
        if self.kind == "usb":
            return f"USB {self.usb_vendor or 0:04x}:{self.usb_product or 0:04x}"
        if self.kind == "serial":
            return self.device
        if self.kind == "cups":
            return self.queue
        return ""


def _usb_id(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"(0x)?[0-9A-Fa-f]{1,4}", value):
        return int(value, 16)  # written as on the box and in `lsusb`: 04b8
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return value
    raise InvalidField(f"printer.{key}", "must be a USB id such as 04b8 (hex) or null")


def _text(key: str, value: Any, pattern: re.Pattern | None, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidField(f"printer.{key}", f"must be text of at most {limit} characters")
    if pattern is not None and value and not pattern.match(value):
        raise InvalidField(f"printer.{key}", "has characters a printer address cannot have")
    return value


def printer_changed(current: Printer, value: Any) -> Printer:
    """`current` with the fields of `value` applied, each checked; raises InvalidField."""
    if not isinstance(value, dict):
        raise InvalidField("printer", "must be an object")
    known = {f.name for f in fields(Printer)}
    updates: dict[str, Any] = {}
    for key, raw in value.items():
        if key not in known:
            raise InvalidField(f"printer.{key}", "is not a printer setting")
        if key == "kind":
            if raw not in KINDS:
                raise InvalidField("printer.kind", f"must be one of {', '.join(KINDS)}")
            updates[key] = raw
        elif key == "width_mm":
            if raw not in WIDTHS or isinstance(raw, bool):
                raise InvalidField("printer.width_mm", "must be 58 or 80")
            updates[key] = raw
        elif key == "port":
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 65535:
                raise InvalidField("printer.port", "must be a port number from 1 to 65535")
            updates[key] = raw
        elif key == "auto_print":
            if not isinstance(raw, bool):
                raise InvalidField("printer.auto_print", "must be true or false")
            updates[key] = raw
        elif key in ("usb_vendor", "usb_product"):
            updates[key] = _usb_id(key, raw)
        elif key == "host":
            updates[key] = _text(key, raw, HOST, 253)
        elif key == "device":
            updates[key] = _text(key, raw, DEVICE, 200)
        elif key == "queue":
            updates[key] = _text(key, raw, QUEUE, 127)
        else:  # header, footer
            updates[key] = _text(key, raw, None, MAX_NOTE)
    printer = replace(current, **updates)
    missing = {
        "network": ("host", printer.host),
        "usb": ("usb_vendor", printer.usb_vendor is not None and printer.usb_product is not None),
        "serial": ("device", printer.device),
        "cups": ("queue", printer.queue),
    }.get(printer.kind)
    if missing is not None and not missing[1]:
        raise InvalidField(f"printer.{missing[0]}", f"is needed for a {printer.kind} printer")
    return printer
