"""One running appliance per data folder: held for the server's lifetime, so that
`kiosk restore` (and a second server started by mistake) can tell it is running.

An OS file lock, not a PID file: it goes away with the process, even after kill -9
or a power cut, so a stale lock never keeps the shop closed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FILENAME = "kiosk.lock"


class DataFolderBusy(RuntimeError):
    """Another Queue Kiosk holds this data folder."""

    def __init__(self, data_dir: Path):
        super().__init__(f"another Queue Kiosk is running with the data folder {data_dir}")


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def held(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / FILENAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            raise DataFolderBusy(data_dir)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def running(data_dir: Path) -> bool:
    """Is a server using this data folder right now?"""
    if not (data_dir / FILENAME).exists():
        return False
    try:
        with held(data_dir):
            return False
    except DataFolderBusy:
        return True
