"""Where the pages are: inside a one-file build, an installed wheel, or the source tree."""

from __future__ import annotations

import sys
from pathlib import Path


def web_root() -> Path:
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks its data here
    if bundle:
        candidates.append(Path(bundle) / "web")
    package = Path(__file__).resolve().parent
    candidates.append(package / "web")  # a wheel carries web/ inside the package
    candidates.append(package.parent / "web")  # the source tree / editable install
    for candidate in candidates:
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the web/ pages are missing from this installation")
