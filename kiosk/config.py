"""Run-time configuration: one frozen value built from flags, environment and defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP_NAME = "queue-kiosk"
DB_FILENAME = "kiosk.sqlite3"


def default_data_dir() -> Path:
    # The OS's per-user application data folder: a double-clicked binary has no
    # meaningful working directory, and its own unpack folder is deleted on exit.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Config:
    host: str = "0.0.0.0"
    port: int = 8000
    data_dir: Path = field(default_factory=default_data_dir)
    mdns: bool = True
    open_browser: bool = True
    demo: bool = False
    refresh_s: float = 30.0
    access_log: bool = False
    event_retention_days: int = 30
    http_body_bytes: int = 1024 * 1024  # larger request bodies: 413
    # Origins besides our own whose pages may open sockets and send cookie writes
    # (--allow-origin); the owner can add more in the settings.
    allowed_origins: tuple[str, ...] = ()
    # Names besides its own under which it may be reached (--allow-host): any other
    # Host header is refused (DNS rebinding); the owner can add more in the settings.
    allowed_hosts: tuple[str, ...] = ()

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILENAME


def env_default(name: str, fallback: str | int | None) -> str | int | None:
    """The value of KIOSK_<NAME> when set, else the fallback (flags override both)."""
    return os.environ.get(f"KIOSK_{name}", fallback)
