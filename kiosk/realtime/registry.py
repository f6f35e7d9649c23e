"""Who listens to what: sockets, the groups they joined, and the topics of those groups."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from kiosk.realtime.conn import Conn, Group


class Registry:
    def __init__(self) -> None:
        self.conns: set[Conn] = set()
        self._groups: dict[Group, set[Conn]] = {}
        self._topics: dict[str, set[Group]] = {}
        self._ids = itertools.count(1)

    def attach(self, conn: Conn) -> None:
        conn.id = next(self._ids)
        self.conns.add(conn)

    def detach(self, conn: Conn) -> list[Group]:
        """Forget a socket; returns the groups it left empty."""
        emptied = [group for group in list(conn.groups) if self.unsubscribe(conn, group)]
        self.conns.discard(conn)
        return emptied

    def subscribe(self, conn: Conn, group: Group) -> None:
        conn.groups.add(group)
        self._groups.setdefault(group, set()).add(conn)
        self._topics.setdefault(group.topic, set()).add(group)

    def unsubscribe(self, conn: Conn, group: Group) -> bool:
        """Take a socket out of a group; True when the group is now empty and gone."""
        conn.groups.discard(group)
        members = self._groups.get(group)
        if members is None:
            return False
        members.discard(conn)
        if members:
            return False
        del self._groups[group]
        groups = self._topics[group.topic]
        groups.discard(group)
        if not groups:
            del self._topics[group.topic]
        return True

    def listened(self, topic: str) -> bool:
        return topic in self._topics

    def listening(self, group: Group) -> bool:
        return group in self._groups

    def topic_groups(self, topic: str) -> list[Group]:
        return list(self._topics.get(topic, ()))

    def topics_of(self, *dialects: str) -> set[str]:
        return {g.topic for g in self._groups if g.dialect in dialects}

    def members(self, group: Group) -> set[Conn]:
        return self._groups.get(group, set())

    def counts(self) -> dict[str, Any]:
        rooms: Counter[str] = Counter()
        dialects: Counter[str] = Counter()
        users = set()
        for conn in self.conns:
            dialects[conn.dialect] += 1
            if conn.user_id is not None:
                users.add(conn.user_id)
            for topic in {g.topic for g in conn.groups}:
                rooms[topic] += 1
        return {
            "total_connections": len(self.conns),
            "unique_users": len(users),
            "rooms": dict(rooms),
            "dialects": dict(dialects),
        }
