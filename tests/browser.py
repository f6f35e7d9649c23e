"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, for page tests.

    pytest_plugins = ("tests.browser",)  # the fixtures `chromium` and `pages`
    from tests.browser import XSS, Pages, shot

- `launch_chromium()` starts Debian's Chromium with the flags the appliance's CI uses;
  Playwright gives every launch a fresh temporary user-data dir (no profile leaks
  between runs), and every `Pages.context()` is a fresh incognito-like context.
- The `chromium` fixture is one browser per test module (a launch costs about a
  second); isolation comes from the fresh context each page gets. Not one per session:
  Playwright's sync API runs an event loop in the main thread while it is open, which
  breaks every later test that runs asyncio. It is a plugin's fixture
  (`pytest_plugins`) so every browser module shares its definition.
- The `pages` fixture is a `Pages` on the module's `server`, closed after each test.
- `Pages` opens several pages against one real server (`tests.kiosk_harness.Server`),
  each at a named viewport (tablet 1024x768, phone 390x844, TV 1920x1080), with a
  token of a role if asked, and collects console errors, page errors, dialogs and
  Content-Security-Policy violations (the page's `securitypolicyviolation` events) so a
  test can assert that none happened: `assert pages.problems(a, b) == {}`.
- `shot(page, name)` saves a PNG under test-artifacts/screenshots/.

Never `playwright install`: the browser is the system one (executable_path).

PYTEST_DONT_REWRITE: test modules import this file before pytest loads it as their
plugin, too late for assert rewriting (and it asserts nothing).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "tablet": {"width": 1024, "height": 768},
    "phone": {"width": 390, "height": 844},
    "tv": {"width": 1920, "height": 1080},
}
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

# Markup that runs a script if a page ever puts a name into HTML instead of text.
XSS = "<img src=x onerror=alert(1)>"

# Console noise that is expected while a test stops the server on purpose.
EXPECTED_NOISE = re.compile(
    r"WebSocket connection to .* failed|Failed to load resource|net::ERR_CONNECTION_REFUSED"
    r"|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE"
)


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
    )


# Per module, not per session: Playwright's sync API keeps an event loop running in the
# main thread while it is open, and every later test that runs asyncio (the socket and
# in-process tests) would then fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def pages(chromium, server) -> Iterator[Pages]:
    p = Pages(chromium, server)
    try:
        yield p
    finally:
        p.close()


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    # The headers of the page's own document (the last `goto`).
    headers: dict[str, str] = field(default_factory=dict)

    def unexpected_errors(self) -> list[str]:
        noise = EXPECTED_NOISE.search
        return (
            [e for e in self.console_errors if not noise(e)]
            + self.page_errors
            + self.csp_violations
        )


class Pages:
    """Open pages of one server in one browser; close them all at the end."""

    def __init__(self, browser, server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[Any] = []
        self.logs: dict[Any, PageLog] = {}
        # Each context is a browser profile of its own, holding up to six connections
        # to the appliance, and every one comes from 127.0.0.1: a test opens more of
        # them than any one device in a shop would, so it raises the per-address cap
        # (a setting, SPEC §16; tests/test_hostile_http.py tests the cap itself).
        raised = server.client("admin").patch(
            "/api/v1/settings", {"limits": {"http_per_address": 1000}}
        )
        assert raised.status == 200, raised.body

    def context(self, size: str = "tablet", **kw: Any):
        ctx = self.browser.new_context(viewport=VIEWPORTS[size], **kw)
        self.contexts.append(ctx)
        return ctx

    def open(
        self,
        path: str,
        *,
        size: str = "tablet",
        role: str | None = None,
        context=None,
        init_script: str | None = None,
        wait_live: bool = True,
    ):
        """Open `path` on the server (with `?token=` of `role` if given)."""
        ctx = context or self.context(size)
        page = ctx.new_page()
        log = PageLog()
        self.logs[page] = log
        page.on(
            "console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))

        def on_dialog(dialog):
            log.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.expose_binding(
            "__qkCspViolation", lambda _source, text: log.csp_violations.append(text)
        )
        page.add_init_script(CSP_SPY)
        if init_script:
            page.add_init_script(init_script)
        url = self.server.base_url + path
        if role:
            url += ("&" if "?" in path else "?") + "token=" + self.server.token(role)
        response = page.goto(url)
        if response is not None:
            log.headers = response.headers
        if wait_live:
            wait_live_status(page, "connected")
        return page

    def log(self, page) -> PageLog:
        return self.logs[page]

    def problems(self, *opened) -> dict[str, list[str]]:
        """url -> unexpected errors and dialogs, for the pages that had any
        (tests: `assert pages.problems(a, b) == {}`)."""
        found = {}
        for page in opened:
            log = self.logs[page]
            if log.unexpected_errors() or log.dialogs:
                found[page.url] = log.unexpected_errors() + log.dialogs
        return found

    def close(self) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # best effort at teardown
                ctx.close()
        self.contexts.clear()


# Reports every Content-Security-Policy violation of the page to its PageLog (and keeps
# them in window.__qkCsp, which a test can read without racing the report), including
# those that happen before the page's own scripts run.
CSP_SPY = """
window.__qkCsp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const text = `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`;
  window.__qkCsp.push(text);
  window.__qkCspViolation(text);
}, true);
"""


def wait_live_status(page, status: str, timeout_ms: int = 10_000) -> None:
    page.wait_for_selector(f'html[data-live="{status}"]', state="attached", timeout=timeout_ms)


def shot(page, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
