"""This appliance's own names: the only `Host` a request may carry, the only origins
that are this server (SPEC §15, §16).

DNS rebinding points a name the attacker owns (evil.example) at this box: the browser
then treats the box as evil.example, and its page's requests carry `Host:
evil.example` and a matching `Origin`. Comparing `Origin` with `Host` would accept
them; comparing both with the names the appliance knows it has does not.

Pure: the caller passes in the names it knows (mDNS name, LAN addresses, the owner's
list), so this module imports nothing of the rest of kiosk.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# A host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123),
# and underscores, which Windows PC names may carry and browsers accept.
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_PORT = re.compile(r"^[0-9]{1,5}$")


def _ip(text: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers and its own IPv4 address as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def split_host(value: str) -> tuple[str, int | None] | None:
    """`name`, `name:port`, `[v6]` or `[v6]:port` -> (name, port), the name lowercase
    without brackets or a trailing dot; None when it is not a host at all."""
    value = value.strip().lower()
    port: int | None = None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if _ip(name) is None or ":" not in name:
            return None
        if rest:
            if not rest.startswith(":") or not _PORT.match(rest[1:]):
                return None
            port = int(rest[1:])
    else:
        name, sep, raw_port = value.partition(":")
        if sep:
            if not _PORT.match(raw_port):
                return None
            port = int(raw_port)
        name = name[:-1] if name.endswith(".") else name
        if not name or len(name) > 253 or not _HOST_NAME.match(name):
            return None
    if port is not None and not 0 < port < 65536:
        return None
    return name, port


def host_entry(value: str) -> str | None:
    """An owner's `allowed_hosts` entry in one spelling (`name` or `name:port`), or
    None when it is not one."""
    split = split_host(value)
    if split is None:
        return None
    name, port = split
    shown = f"[{name}]" if ":" in name else name
    return shown if port is None else f"{shown}:{port}"


def machine_names() -> tuple[str, ...]:
    """The PC's own host name, as its owner types it, with and without `.local`."""
    try:
        name = socket.gethostname().strip().lower().rstrip(".")
    except OSError:
        return ()
    if not name or not _HOST_NAME.match(name):
        return ()
    short = name.split(".", 1)[0]
    return tuple(dict.fromkeys((name, short, f"{short}.local")))


@dataclass(frozen=True)
class OwnNames:
    """Names and addresses that are this appliance, computed once (start, settings
    change) so a request costs a set lookup or one address parse."""

    names: frozenset[str]  # host names on this server's port (or with no port)
    names_with_port: frozenset[str]  # owner entries bound to a port: "name:port"
    addresses: frozenset[IPAddress]  # LAN and bound addresses besides loopback

    @classmethod
    def build(
        cls, names: Iterable[str], owner_entries: Iterable[str], addresses: Iterable[str]
    ) -> OwnNames:
        plain = {n.lower().rstrip(".") for n in names if n}
        with_port = set()
        for entry in owner_entries:
            split = split_host(entry)
            if split is None:
                continue
            name, port = split
            if port is None:
                plain.add(name)
            else:
                with_port.add(f"{name}:{port}")
        ips = {ip for ip in map(_ip, addresses) if ip is not None}
        return cls(frozenset(plain), frozenset(with_port), frozenset(ips))

    def is_own(
        self, name: str, port: int | None, local_address: str | None, local_port: int | None
    ) -> bool:
        """Is `name[:port]` (from `split_host`) this server, reached on the local
        address and port the connection came in on?"""
        if port is not None:
            if f"{name}:{port}" in self.names_with_port:
                return True
            if port != local_port:
                return False
        if name in self.names:
            return True
        ip = _ip(name)
        if ip is None:
            return False
        if ip.is_loopback or ip in self.addresses:
            return True
        return local_address is not None and ip == _ip(local_address)


class HostNames:
    """The own names for the settings in force: rebuilt only when the owner's list
    changes (settings are replaced whole, so an identity check is enough)."""

    def __init__(self, fixed: Iterable[str], owner_flags: Iterable[str], addresses: Iterable[str]):
        self._fixed = tuple(fixed)
        self._owner_flags = tuple(owner_flags)
        self._addresses = tuple(addresses)
        self._for: tuple[str, ...] | None = None
        self._current = OwnNames(frozenset(), frozenset(), frozenset())

    def current(self, allowed_hosts: tuple[str, ...]) -> OwnNames:
        if allowed_hosts is not self._for:
            self._current = OwnNames.build(
                self._fixed, self._owner_flags + allowed_hosts, self._addresses
            )
            self._for = allowed_hosts
        return self._current
