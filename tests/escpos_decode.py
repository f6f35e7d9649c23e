"""A small ESC/POS decoder for the tests: bytes a printer received -> what it would do.

No maintained parser exists on the registries; this one knows the commands the
appliance's tickets use (and that python-escpos emits for them), and fails loudly on
any other ESC, GS or DLE command, so a ticket can never pass by being misread.
tests/test_escpos_decode.py runs it over python-escpos's own output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
# ESC t n -> the Python codec of that code page (Epson numbering).
CODEPAGES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}
# Commands with one parameter byte, by their two-byte prefix.
ONE_BYTE = {
    (ESC, ord("a")): "align",
    (ESC, ord("E")): "bold",
    (ESC, ord("!")): "mode",
    (ESC, ord("-")): "underline",
    (ESC, ord("M")): "font",
    (ESC, ord("d")): "feed",
    (ESC, ord("{")): "flip",
    (ESC, ord("G")): "double_strike",
    (ESC, ord("3")): "line_spacing",
    (GS, ord("!")): "size",
    (GS, ord("B")): "invert",
    (GS, ord("b")): "smooth",
    (GS, ord("r")): "status_request",
    (DLE, 0x04): "realtime_status",
}


class DecodeError(AssertionError):
    pass


@dataclass
class Ticket:
    """What a run of ESC/POS bytes does: the commands in order, and text by line."""

    ops: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, name: str) -> list[Any]:
        return [value for op, value in self.ops if op == name]

    @property
    def lines(self) -> list[str]:
        return self.of("line")

    @property
    def qr_codes(self) -> list[str]:
        return self.of("qr")

    @property
    def images(self) -> list[tuple[int, int]]:
        return self.of("image")

    @property
    def cuts(self) -> int:
        return len(self.of("cut"))

    def style_of(self, line: str) -> dict[str, Any]:
        """The size, bold and alignment in force when `line` was printed."""
        for op, value in self.ops:
            if op == "line" and value == line:
                return self._style_at(self.ops.index((op, value)))
        raise KeyError(line)

    def _style_at(self, index: int) -> dict[str, Any]:
        style: dict[str, Any] = {"size": 0, "bold": 0, "align": 0, "mode": 0}
        for op, value in self.ops[:index]:
            if op == "init":
                style = {"size": 0, "bold": 0, "align": 0, "mode": 0}
            elif op == "mode":
                # ESC ! sets the size too; whichever of ESC ! and GS ! came last counts.
                style["mode"] = value
                style["size"] = (0x10 if value & 0x20 else 0) | (0x01 if value & 0x10 else 0)
            elif op in style:
                style[op] = value
        return style


def decode(data: bytes) -> Ticket:
    ticket = Ticket()
    text = bytearray()
    codec = "cp437"
    i = 0

    def flush_text() -> None:
        if text:
            ticket.ops.append(("text", bytes(text).decode(codec)))
            text.clear()

    def need(n: int) -> bytes:
        if i + n > len(data):
            raise DecodeError(f"truncated command at byte {i}: {data[i : i + 8]!r}")
        return data[i : i + n]

    while i < len(data):
        b = data[i]
        if b == LF:
            flush_text()
            line = "".join(v for op, v in _trailing_text(ticket.ops))
            ticket.ops = _without_trailing_text(ticket.ops)
            ticket.ops.append(("line", line))
            i += 1
            continue
        if b not in (ESC, GS, DLE):
            if b < 0x20:
                raise DecodeError(f"unknown control byte {b:#x} at {i}")
            text.append(b)
            i += 1
            continue
        flush_text()
        head = need(2)
        key = (head[0], head[1])
        if key == (ESC, ord("@")):
            ticket.ops.append(("init", None))
            i += 2
        elif key == (ESC, ord("t")):
            page = need(3)[2]
            if page not in CODEPAGES:
                raise DecodeError(f"code page {page} is not known to the decoder")
            codec = CODEPAGES[page]
            ticket.ops.append(("codepage", page))
            i += 3
        elif key in ONE_BYTE:
            ticket.ops.append((ONE_BYTE[key], need(3)[2]))
            i += 3
        elif key == (GS, ord("V")):
            mode = need(3)[2]
            ticket.ops.append(("cut", mode))
            i += 4 if mode in (65, 66) else 3
        elif key == (GS, ord("(")) and need(3)[2] == ord("k"):
            low, high = need(5)[3], need(5)[4]
            body = need(5 + low + high * 256)[5:]
            i += 5 + low + high * 256
            if body[:3] == b"1P0":  # QR: store the data
                ticket.ops.append(("qr", body[3:].decode("utf-8")))
            elif body[:2] in (b"1A", b"1C", b"1E", b"1Q"):  # model, size, level, print
                ticket.ops.append(("qr_" + chr(body[1]), body[2:]))
            else:
                raise DecodeError(f"2D code function {body[:2]!r} not known to the decoder")
        elif key == (GS, ord("v")):
            x_low, x_high, y_low, y_high = need(8)[4:8]
            width_bytes, height = x_low + x_high * 256, y_low + y_high * 256
            i += 8 + width_bytes * height
            if i > len(data):
                raise DecodeError("truncated raster image")
            ticket.ops.append(("image", (width_bytes * 8, height)))
        else:
            raise DecodeError(f"unknown command {bytes(head)!r} at byte {i}")
    flush_text()
    return ticket


def _trailing_text(ops: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    out = []
    for op, value in reversed(ops):
        if op != "text":
            if op in ("line", "init", "cut", "image", "feed") or op.startswith("qr"):
                break
            continue  # a style change inside a line: the line goes on
        out.append((op, value))
    return list(reversed(out))


def _without_trailing_text(ops: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    keep = list(ops)
    while keep and keep[-1][0] == "text":
        keep.pop()
    return keep
