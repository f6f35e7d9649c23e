"""A paper ticket as ESC/POS bytes (SPEC §12), drawn with python-escpos.

Text the printer's code pages can show goes as text (small, fast, sharp); a line they
cannot show (a name in Arabic or Chinese, the labels of an Arabic shop) goes as a
picture drawn with a font of this PC that has its letters, and is left off the paper
when there is none: the code and the QR code suffice.

python-escpos reads its printer profiles (capabilities.json) at import and caches them
in a folder: it is imported on first use, from the printing thread, with that cache
in the data folder (the one-file binary's own folder is deleted on exit).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Dots across the paper (203 dpi heads): what a line's picture may be wide.
DOTS = {58: 384, 80: 576}
# Fonts with the letters the code pages lack, the likely ones on each OS first.
FONTS_CJK = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
FONTS_OTHER = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "C:/Windows/Fonts/arial.ttf",
    "C:/Windows/Fonts/segoeui.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
)


def load_escpos(cache_dir: Path | None) -> Any:
    """The python-escpos printer module, its profile cache kept in `cache_dir`."""
    if cache_dir is None or "escpos.printer" in sys.modules:
        from escpos import printer

        return printer
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache_dir))
    # python-escpos 3.1 calls mkdtemp() at import even when told where its cache is
    # (`environ.get(KEY, mkdtemp())`): one empty folder in the shop PC's temp folder per
    # start. Made inside our cache folder instead, and removed.
    saved, tempfile.tempdir = tempfile.tempdir, str(cache_dir)
    try:
        from escpos import printer
    finally:
        tempfile.tempdir = saved
        for stray in cache_dir.glob("tmp*"):
            with contextlib.suppress(OSError):
                stray.rmdir()
    return printer


def _cjk(text: str) -> bool:
    return any(
        0x2E80 <= ord(c) <= 0x9FFF or 0xAC00 <= ord(c) <= 0xD7AF or 0xF900 <= ord(c) <= 0xFAFF
        for c in text
    )


@functools.lru_cache(maxsize=32)
def _font(cjk: bool, size: int):
    from PIL import ImageFont

    for path in FONTS_CJK if cjk else FONTS_OTHER:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return None


def _picture(text: str, dots: int, size: int):
    """One line of text as a black-on-white picture the width of the paper, or None.
    A line too long for the paper is drawn smaller rather than cut off."""
    from PIL import Image, ImageDraw

    font = _font(_cjk(text), size)
    if font is None:
        return None
    # Right-to-left scripts are shaped and ordered by Pillow's layout engine (raqm).
    width = font.getlength(text)
    while width > dots and size > 14:
        size -= 2
        font = _font(_cjk(text), size)
        width = font.getlength(text)
    image = Image.new("1", (dots, size + size // 2), 1)
    ImageDraw.Draw(image).text((max(0, (dots - width) / 2), size // 8), text, font=font, fill=0)
    return image


def _printable(p: Any, text: str) -> bool:
    # Right-to-left letters are never sent as text: the code pages hold them in one
    # unjoined form, and the printer would put them left to right.
    encoder = p.magic.encoder
    return all(
        ord(c) < 128
        or (unicodedata.bidirectional(c) not in ("R", "AL") and encoder.find_suitable_encoding(c))
        for c in text
    )


def _line(p: Any, text: str, dots: int, size: int = 24) -> None:
    """A line as text when the code pages can show it, else as a picture, else nothing."""
    text = " ".join(text.split())
    if not text:
        return
    if _printable(p, text):
        p.textln(text)
        return
    picture = _picture(text, dots, size)
    if picture is not None:
        p.image(picture)


def render(
    printer_module: Any,
    facts: Any,
    width_mm: int,
    header: str,
    footer: str,
    labels: Mapping[str, str],
) -> bytes:
    """The whole ticket, from ESC @ to the cut, for paper `width_mm` wide."""
    dots = DOTS[width_mm]
    p = printer_module.Dummy()
    p.profile.profile_data["media"]["width"]["pixels"] = dots
    p.hw("INIT")
    p.set(align="center")
    for note in header.splitlines():
        _line(p, note, dots)
    p.set(align="center", bold=True, double_height=True, double_width=True)
    _line(p, facts.shop_name, dots, 32)
    p.set(align="center", bold=False, normal_textsize=True)
    _line(p, labels.get("ticket", "Your ticket"), dots)
    # The code in large type: ESC/POS's own size command, 4x wide and high on 80 mm.
    big = 4 if width_mm == 80 else 3
    p.set(align="center", bold=True, custom_size=True, width=big, height=big)
    p.textln(facts.ticket)
    p.set(align="center", bold=False, normal_textsize=True)
    if facts.what:
        _line(p, facts.what, dots)
    _line(p, facts.issued_local, dots)
    if facts.ahead is not None:
        _line(p, labels.get("ahead", "People ahead: {n}").replace("{n}", str(facts.ahead)), dots)
    if facts.wait_minutes is not None:
        wait = labels.get("wait", "Wait: about {minutes} min")
        _line(p, wait.replace("{minutes}", str(facts.wait_minutes)), dots)
    if facts.url:
        p.ln()
        p.qr(facts.url, size=8 if width_mm == 80 else 6, native=True, center=False)
        _line(p, labels.get("scan", "Scan to follow your turn"), dots)
    for note in footer.splitlines():
        _line(p, note, dots)
    p.cut()
    return p.output
