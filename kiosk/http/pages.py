"""The pages of web/: one HTML file per screen, plus the script and style folders."""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

# Screen name -> its HTML file in web/.
PAGES = {
    "/": "index.html",
    "/kiosk": "kiosk.html",  # the paired desk tablet (SPEC §9)
    "/join": "join.html",  # a customer's own phone joins the queue here
    "/display": "display.html",
    "/staff": "staff.html",
    "/monitor": "monitor.html",
    "/test": "test.html",
    "/admin": "admin.html",
    "/login": "login.html",  # staff PIN sign-in (lib/auth.js sends pages here)
}
STATIC_DIRS = ("lib", "vendor", "assets", "pages", "i18n")
# Pages change with releases; a TV left on for weeks must pick up the new ones on
# its next reload rather than run a cached copy forever.
NO_CACHE = {"Cache-Control": "no-cache"}
# Every script and stylesheet is a file of web/, so an injected <script>, on*= handler or
# <style> never runs. Inline style= attributes stay allowed (the pages use a few; they
# cannot run code). data: is the blank favicon; connect-src 'self' covers our own ws://.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {**NO_CACHE, "Content-Security-Policy": CONTENT_SECURITY_POLICY}


def web_root() -> Path:
    """Where the pages are: inside a one-file build, an installed wheel, or the source tree."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks its data here
    if bundle:
        candidates.append(Path(bundle) / "web")
    package = Path(__file__).resolve().parent.parent
    candidates.append(package / "web")  # a wheel carries web/ inside the package
    candidates.append(package.parent / "web")  # the source tree / editable install
    for candidate in candidates:
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the web/ pages are missing from this installation")


def _page(path: Path):
    async def handler(request: web.Request) -> web.StreamResponse:
        if not path.is_file():
            raise web.HTTPNotFound(text="this page is not part of this version")
        return web.FileResponse(path, headers=PAGE_HEADERS)

    return handler


async def _no_cache_page_code(request: web.Request, response: web.StreamResponse) -> None:
    # A page's own modules and its words come with it: they were inline (no-cache)
    # before they moved out, so a reload after an upgrade must not pair new HTML with
    # old code or old text.
    if request.path.startswith(("/pages/", "/i18n/")):
        response.headers.setdefault("Cache-Control", "no-cache")


def bind(app: web.Application) -> None:
    root = web_root()
    for route, filename in PAGES.items():
        app.router.add_get(route, _page(root / filename))
    # The customer's own ticket on their phone (SPEC §2 claims).
    app.router.add_get("/t/{claim}", _page(root / "ticket.html"))
    # The same ticket on 58/80 mm paper, for a tablet with its own printer (SPEC §12).
    app.router.add_get("/t/{claim}/print", _page(root / "ticket-print.html"))
    for folder in STATIC_DIRS:
        if (root / folder).is_dir():
            # add_static refuses paths that escape the folder (no traversal).
            app.router.add_static(f"/{folder}/", root / folder, append_version=False)
    app.on_response_prepare.append(_no_cache_page_code)
