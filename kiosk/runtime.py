"""Live, in-memory facts about the running appliance (not persisted)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kiosk.services.settings import Settings


@dataclass
class Runtime:
    started_monotonic: float = field(default_factory=time.monotonic)
    settings: Settings = field(default_factory=Settings)
    # The one-time secret of the first-run link (/admin?setup=...): kept in memory
    # only, a new one on every start until the owner has claimed the appliance.
    setup_secret: str | None = None

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic
