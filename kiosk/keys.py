"""Every piece of shared application state, under one typed key each.

Handlers read `request.app[KEY]`; nothing imports the app or keeps module globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    pass

CONFIG = web.AppKey["Config"]("config")
DB = web.AppKey["DatabaseThread"]("db")
TOKENS = web.AppKey["TokenCache"]("tokens")
SELF_CHECKIN = web.AppKey["SlidingWindow"]("self_checkin")
RUNTIME = web.AppKey["Runtime"]("runtime")
HUB = web.AppKey["Hub"]("hub")
# Token ids used since the last flush of their last-seen times (one write a minute).
SEEN = web.AppKey("seen", set)
