"""Every piece of shared application state, under one typed key each.

Handlers read `request.app[KEY]`; nothing imports the app or keeps module globals.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    pass

CONFIG = web.AppKey["Config"]("config")
RUNTIME = web.AppKey["Runtime"]("runtime")
DB = web.AppKey["DatabaseThread"]("db")
HUB = web.AppKey["Hub"]("hub")
TOKENS = web.AppKey["TokenCache"]("tokens")
# Token ids used since the last flush of their last-seen times (one write a minute).
SEEN = web.AppKey("seen", set)
SELF_CHECKIN = web.AppKey["SlidingWindow"]("self_checkin")
LOGIN_GUARD = web.AppKey["LoginGuard"]("login_guard")
PRESENCE = web.AppKey["Presence"]("presence")
SOCKETS_PER_ADDRESS = web.AppKey("sockets_per_address", Counter)
# This appliance's own names (Host and Origin checks), rebuilt when the owner's list changes.
HOSTS = web.AppKey["HostNames"]("hosts")
# Plain HTTP connections per address (kiosk/http/connections.py); sockets leave it on upgrade.
HTTP_CONNECTIONS = web.AppKey["ConnectionCap"]("http_connections")
# The port the server listens on, once it does (it may be chosen by the OS).
PORT = web.AppKey("port", asyncio.Future)
# Set when opening hours, a schedule or time off changed: the day chore looks again at
# once instead of at its next routine look (kiosk/realtime/days.py).
HOURS_CHANGED = web.AppKey("hours_changed", asyncio.Event)
# The ticket printer's own thread and its last outcome (kiosk/appliance/printer.py).
PRINTER = web.AppKey["PrintDesk"]("printer")
