"""The one-time setup link: printed at start, and kept in the data folder for an owner
who did not see the terminal (`setup-link.txt`, readable only by its owner).

Whoever can read that file can read the database file too, so it gives nothing away.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILENAME = "setup-link.txt"


def write(data_dir: Path, url: str) -> Path:
    path = data_dir / FILENAME
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a fresh file gets the mode below even where one was left behind
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "Open this link in a browser on this PC to set the owner's PIN of Queue Kiosk.\n"
            "It works once.\n\n"
            f"{url}\n"
        )
    return path


def remove(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (data_dir / FILENAME).unlink()
