"""Wire dialects: one module per front end the appliance speaks to unchanged.

Each is an adapter over the one hub: it parses its clients' messages and renders
server messages as pure functions of committed state and events. `make_dialects`
builds a fresh set for each application (no module-level instances).
"""

from __future__ import annotations

from kiosk.realtime.dialects.appointments import Appointments
from kiosk.realtime.dialects.base import SocketDialect
from kiosk.realtime.dialects.central import Central
from kiosk.realtime.dialects.channels import Channels
from kiosk.realtime.dialects.rooms import Rooms
from kiosk.realtime.dialects.shop_queue import ShopQueue


def make_dialects() -> list[SocketDialect]:
    return [
        ShopQueue(with_new_entry=False),
        ShopQueue(with_new_entry=True),
        Appointments(),
        Central(per_doctor=False),
        Central(per_doctor=True),
        Rooms(),
        Channels(),
    ]
