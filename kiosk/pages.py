"""The pages of web/: one HTML file per screen, plus the shared script folders."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from kiosk.paths import web_root

# Screen name -> its HTML file in web/.
PAGES = {
    "/": "index.html",
    "/kiosk": "kiosk.html",
    "/display": "display.html",
    "/staff": "staff.html",
    "/monitor": "monitor.html",
    "/test": "test.html",
    "/admin": "admin.html",
    "/login": "login.html",  # staff PIN sign-in (lib/auth.js sends pages here)
}
STATIC_DIRS = ("lib", "vendor", "assets")
# Pages change with releases; a TV left on for weeks must pick up the new ones on
# its next reload rather than run a cached copy forever.
NO_CACHE = {"Cache-Control": "no-cache"}


def _page(path: Path):
    async def handler(request: web.Request) -> web.StreamResponse:
        if not path.is_file():
            raise web.HTTPNotFound(text="this page is not part of this version")
        return web.FileResponse(path, headers=NO_CACHE)

    return handler


def bind(app: web.Application) -> None:
    root = web_root()
    for route, filename in PAGES.items():
        app.router.add_get(route, _page(root / filename))
    # The customer's own ticket on their phone (SPEC §2 claims).
    app.router.add_get("/t/{claim}", _page(root / "ticket.html"))
    for folder in STATIC_DIRS:
        if (root / folder).is_dir():
            # add_static refuses paths that escape the folder (no traversal).
            app.router.add_static(f"/{folder}/", root / folder, append_version=False)
