"""The tests' ESC/POS decoder (tests/escpos_decode.py) read over python-escpos's own
output for known commands: if it misread them, the printing tests would prove nothing."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from PIL import Image

from tests.escpos_decode import DecodeError, decode


def test_text_lines_styles_and_the_cut() -> None:
    p = Dummy()
    p.hw("INIT")
    p.set(align="center", bold=True)
    p.textln("Barber Shop")
    p.set(align="left", bold=False, custom_size=True, width=4, height=4)
    p.textln("A012")
    p.set(normal_textsize=True)
    p.text("two ")
    p.textln("parts")
    p.cut()
    ticket = decode(p.output)
    assert ticket.lines == ["Barber Shop", "A012", "two parts"]
    assert ticket.style_of("Barber Shop")["bold"] == 1
    assert ticket.style_of("Barber Shop")["align"] == 1
    assert ticket.style_of("A012")["size"] == 0x33  # 4x wide, 4x high
    assert ticket.style_of("two parts")["size"] == 0
    assert ticket.cuts == 1


def test_code_page_text_comes_back_as_written() -> None:
    p = Dummy()
    p.textln("Café Ñandú — Größe")
    p.textln("Привет")
    ticket = decode(p.output)
    assert ticket.lines == ["Café Ñandú — Größe", "Привет"]
    assert len(set(ticket.of("codepage"))) >= 2  # it switched pages to get there
    assert ticket.of("codepage")


def test_a_native_qr_code_carries_its_data() -> None:
    p = Dummy()
    p.qr("http://192.168.1.20:8000/t/abcdefghijkl", size=8, native=True)
    ticket = decode(p.output)
    assert ticket.qr_codes == ["http://192.168.1.20:8000/t/abcdefghijkl"]
    assert ticket.of("qr_C") == [b"\x08"]  # module size 8


def test_a_raster_image_has_its_size() -> None:
    p = Dummy()
    p.image(Image.new("1", (384, 40), 1))
    assert decode(p.output).images == [(384, 40)]


@pytest.mark.parametrize(
    "data",
    [b"\x1b\x99\x00", b"\x1d(k\x10\x00", b"\x1b", b"hello\x07"],
    ids=["unknown-esc", "truncated-qr", "lone-esc", "control-byte"],
)
def test_what_it_does_not_know_fails_loudly(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(data)
