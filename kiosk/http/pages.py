"""The pages of web/: one HTML file per screen, plus the shared script folders."""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

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
