"""web/ carries no inline script: every script is a file, so the pages' strict
Content-Security-Policy (script-src 'self') can refuse anything injected. Nor a <style>
block, which the policy (style-src 'self') would refuse as well.

A static scan, no server and no browser: it reads every HTML file under web/.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parent.parent / "web"
HTML_FILES = sorted(WEB.rglob("*.html"))
# Also a URL attribute's value that merely starts with spaces or control characters
# is still a javascript: URL to a browser.
JAVASCRIPT_URL = re.compile(r"^[\x00-\x20]*javascript:", re.IGNORECASE)


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{self._where()}: <{tag} {name}=…> event handler")
            if value is not None and JAVASCRIPT_URL.match(value):
                self.problems.append(f"{self._where()}: <{tag} {name}={value!r}> javascript: URL")
        if tag == "style":
            self.problems.append(f"{self._where()}: <style> block (use a .css file)")
        if tag == "script":
            self._in_script = True
            if not dict(attrs).get("src"):
                self.problems.append(f"{self._where()}: <script> without src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"{self._where()}: inline script body {data.strip()[:40]!r}")


def scan(text: str) -> list[str]:
    parser = _Scan()
    parser.feed(text)
    parser.close()
    return parser.problems


def test_web_has_html_pages():
    assert len(HTML_FILES) >= 9, HTML_FILES


@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: str(p.relative_to(WEB)))
def test_page_has_no_inline_script(path: Path):
    assert scan(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">import "/lib/ui.js";</script>',
        '<button onclick="go()">Go</button>',
        '<body ONLOAD="go()">',
        '<a href="javascript:go()">Go</a>',
        '<a href=" JavaScript:go()">Go</a>',
        '<form action="javascript:void 0">',
        "<style>body { color: red }</style>",
    ],
)
def test_the_scan_catches(html: str):
    assert scan(html) != []


def test_the_scan_lets_module_files_through():
    ok = '<script type="module" src="/pages/kiosk/main.js"></script><a href="/staff">Staff</a>'
    assert scan(ok) == []
