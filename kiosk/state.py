"""Live, in-memory facts about the running appliance (not persisted)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Runtime:
    started_monotonic: float = field(default_factory=time.monotonic)
    # Appliance-wide switch (SPEC §8): anonymous joins from phones, rate-limited.
    self_checkin: bool = True

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic
