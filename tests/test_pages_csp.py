"""Every screen runs under its strict Content-Security-Policy without tripping it.

Each page is opened in headless Chromium with the role it is used with; a
`securitypolicyviolation` event or a console error about the policy fails the test,
so a page that still needs an inline script, an inline <style> or a foreign URL
shows up here rather than as a dead button on the appliance.
"""

from __future__ import annotations

import http.client
from typing import Any

import pytest

from tests.browser import Pages
from tests.kiosk_harness import Server

# The fixtures `chromium` (one browser for the session) and `pages`.
pytest_plugins = ("tests.browser",)

# What every page's policy must say at least (SPEC: scripts only from the appliance).
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "object-src": {"'none'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'none'"},
}
# path (with {shop} / {claim}), role, whether the page keeps a live connection
SCREENS = [
    ("/", None, False),
    ("/kiosk?shop={shop}", "kiosk", True),
    ("/join?shop={shop}", None, True),
    ("/display?shop={shop}", "display", True),
    ("/t/{claim}", None, True),
    ("/staff?shop={shop}", "staff", True),
    ("/monitor?shop={shop}", "staff", True),
    ("/admin?shop={shop}", "admin", True),
    ("/login", None, False),
    ("/test?shop={shop}", None, True),
]


def policy(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


@pytest.fixture(scope="module")
def queue(server: Server) -> dict[str, str]:
    """A shop with a provider and one customer waiting (for the ticket page)."""
    admin = server.client("admin")
    shop = admin.post("/api/v1/shops", {"name": "CSP Barbers"})
    assert shop.status == 201, shop.body
    shop_id = shop.body["id"]
    r = admin.post(f"/api/v1/shops/{shop_id}/providers", {"name": "Chair 1"})
    assert r.status == 201, r.body
    r = server.client("kiosk").post(f"/api/v1/shops/{shop_id}/queue", {"full_name": "Cora Csp"})
    assert r.status == 201, r.body
    return {"shop": str(shop_id), "claim": r.body["claim"]}


def csp_problems(pages: Pages, page) -> list[str]:
    log = pages.log(page)
    in_page = page.evaluate("window.__qkCsp || []")
    console = [e for e in log.console_errors if "Content Security Policy" in e]
    return sorted(set(in_page) | set(log.csp_violations)) + console


@pytest.mark.parametrize(("path", "role", "live"), SCREENS, ids=[s[0] for s in SCREENS])
def test_page_runs_under_its_policy(pages, queue, path, role, live):
    page = pages.open(path.format(**queue), role=role, wait_live=live)
    if not live:
        page.wait_for_load_state("networkidle")

    header = pages.log(page).headers.get("content-security-policy", "")
    directives = policy(header)
    for name, needed in REQUIRED.items():
        assert needed <= set(directives.get(name, [])), (name, header)
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, header
    assert csp_problems(pages, page) == []
    assert pages.log(page).page_errors == []


def test_injected_inline_code_is_refused_and_reported(pages, queue):
    """The check above can fail: markup a bug might let in is blocked, and seen."""
    page = pages.open("/kiosk?shop={shop}".format(**queue), role="kiosk")
    page.evaluate(
        """() => {
        const s = document.createElement('script');
        s.textContent = 'window.__ran = "script"';
        document.body.append(s);
        document.body.insertAdjacentHTML('beforeend',
          '<img src="/assets/icon.svg" onload="window.__ran = \\'handler\\'">');
      }"""
    )
    page.wait_for_function("() => window.__qkCsp.length >= 2", timeout=5000)
    assert page.evaluate("window.__ran === undefined")
    assert len(csp_problems(pages, page)) >= 2


def _raw_get(server: Server, path: str) -> tuple[int, Any, bytes]:
    # http.client sends the path as written: no client-side clean-up of "..".
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def test_page_modules_are_served_and_nothing_outside_web_is(server):
    status, headers, body = _raw_get(server, "/pages/kiosk/main.js")
    # A module script with any other MIME type is refused by the browser.
    assert status == 200 and "javascript" in headers["Content-Type"], (status, headers)
    assert b"import" in body
    # Page code is as fresh as its page (which is no-cache): no old code after an upgrade.
    assert headers["Cache-Control"] == "no-cache"
    for path in (
        "/pages/../../kiosk/pages.py",
        "/pages/%2e%2e/%2e%2e/kiosk/pages.py",
        "/pages/..%2f..%2fkiosk/pages.py",
        "/pages/kiosk/../../../pyproject.toml",
    ):
        status, _, body = _raw_get(server, path)
        assert status in (400, 403, 404), (path, status)
        assert b"CONTENT_SECURITY_POLICY" not in body and b"[project]" not in body, path
