"""Who is online: each user's open sockets, announced on their first open and last close."""

from __future__ import annotations

from collections import Counter

from kiosk.realtime.conn import Conn
from kiosk.realtime.dialects.rooms import Rooms
from kiosk.realtime.hub import Hub


class Presence:
    def __init__(self) -> None:
        self.sockets: Counter[int] = Counter()

    def opened(self, hub: Hub, conn: Conn) -> None:
        if conn.user_id is None:
            return
        self.sockets[conn.user_id] += 1
        if self.sockets[conn.user_id] == 1:
            hub.dialects[Rooms.name].presence(hub, conn, connected=True)

    def closed(self, hub: Hub, conn: Conn) -> None:
        if conn.user_id is None:
            return
        self.sockets[conn.user_id] -= 1
        if self.sockets[conn.user_id] <= 0:
            del self.sockets[conn.user_id]
            hub.dialects[Rooms.name].presence(hub, conn, connected=False)
