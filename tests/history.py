"""Write a shop's past through the real use cases, at the times it happened.

The services stamp tickets with `kiosk.domain.clock.utcnow()`; `Clock` stands in for it
in every kiosk module that reads it, so a join "at 09:12 on 3 August" goes through
`queue.join`, `queue.call_next` and `queue.update_entry` exactly as the appliance runs
them, with the stamps, estimates at join and events they would have written then.
`data_dir(path)` opens a data folder's database in this process (no server), as
`kiosk token create` does, and closes it after; the server may then serve it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from kiosk.domain import clock as kiosk_clock
from kiosk.services import context
from kiosk.store import eventlog
from kiosk.store.eventlog import Actor
from kiosk.store.models import database
from tests.test_properties import _service_database

STAFF = context.Ctx(Actor(role="staff", token_id=None, name="history", address="127.0.0.1"))
SYSTEM = context.Ctx(eventlog.SYSTEM)


class Clock:
    """Now, as far as the kiosk modules know: set with `at`, read as `now()`."""

    def __init__(self, start: datetime) -> None:
        self.moment = start.astimezone(UTC)

    def at(self, moment: datetime) -> None:
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment


@contextlib.contextmanager
def fake_clock(start: datetime) -> Iterator[Clock]:
    """Every `utcnow` the kiosk modules hold, the clock module's own and each one a
    module imported by name, reads `Clock` until the block ends."""
    fake = Clock(start)
    real = kiosk_clock.utcnow
    holders = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("kiosk") and getattr(module, "utcnow", None) is real
    ]
    for module in holders:
        module.utcnow = fake.now
    try:
        yield fake
    finally:
        for module in holders:
            module.utcnow = real


def data_dir(path: Path):
    return _service_database(path)


def use(fn, *args):
    """One use case, one transaction, as the database thread runs it; its value."""
    with database.atomic():
        outcome = fn(*args)
    return getattr(outcome, "value", outcome)
