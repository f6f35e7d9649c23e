"""Throwaway Linux network namespaces for discovery tests.

mDNS is multicast on UDP 5353: run on the host it would talk to (and be heard
by) whatever else is on the machine's LAN. These helpers give each test its own
link(s) — namespaces joined by veth pairs — so the traffic never leaves the
test, and a separate namespace with no interfaces at all stands in for "no
network". Everything is named with a per-run token and torn down in
``finally`` so a failed test leaves no namespaces behind.

Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2; ``require_netns()``
tells pytest to skip with the reason when either is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

CLONE_NEWNET = 0x40000000
_IP_TIMEOUT = 10.0


class NetnsUnavailable(RuntimeError):
    """This machine cannot give us network namespaces."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", *args], capture_output=True, text=True, check=check, timeout=_IP_TIMEOUT
    )


@functools.cache
def netns_unavailable_reason() -> str | None:
    """Why namespaces can't be used here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux-only"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    probe = f"qkprobe{secrets.token_hex(3)}"
    try:
        result = _ip("netns", "add", probe, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`ip netns add` failed: {exc}"
    if result.returncode != 0:
        return f"`ip netns add` failed: {result.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def require_netns() -> None:
    reason = netns_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


@dataclass
class Namespace:
    name: str
    # Addresses this test gave the namespace's link, IPv4 first.
    addresses: list[str] = field(default_factory=list)
    ifname: str | None = None

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _ip("-n", self.name, *args, check=check)


class Lab:
    """A set of namespaces created for one test; ``close()`` removes them all.

    Namespace and interface names carry a random token so parallel or crashed
    runs never collide (interface names are limited to 15 bytes).
    """

    def __init__(self) -> None:
        self.token = secrets.token_hex(3)
        # One /24 per lab, picked at random, so two concurrent runs don't
        # share a subnet on the (unlikely) chance they share a link.
        self.subnet = 1 + secrets.randbelow(250)
        self._namespaces: list[str] = []
        self._links: list[str] = []
        self._count = 0

    def namespace(self, label: str, *, loopback_up: bool = True) -> Namespace:
        name = f"qk-{self.token}-{label}"
        _ip("netns", "add", name)
        self._namespaces.append(name)
        ns = Namespace(name)
        if loopback_up:
            ns.ip("link", "set", "lo", "up")
        return ns

    def _host_octet(self) -> int:
        self._count += 1
        return self._count

    def _configure(self, ns: Namespace, ifname: str, n: int) -> None:
        v4 = f"10.201.{self.subnet}.{n}"
        # A ULA too, so AAAA advertisement is exercised. nodad: duplicate
        # detection is pointless on a private two-host link and would leave
        # the address "tentative" for the first second or two of the test.
        v6 = f"fd42:201:{self.subnet:x}::{n:x}"
        ns.ip("addr", "add", f"{v4}/24", "dev", ifname)
        ns.ip("-6", "addr", "add", f"{v6}/64", "dev", ifname, "nodad")
        # No multicast route is needed although a fresh namespace has no
        # default route: zeroconf sends from per-interface sockets with
        # IP_MULTICAST_IF set, which bypasses the routing table's choice.
        ns.ip("link", "set", ifname, "up")
        ns.ifname = ifname
        ns.addresses = [v4, v6]

    def pair(self) -> tuple[Namespace, Namespace]:
        """Two namespaces joined directly by one veth pair."""
        a = self.namespace("a")
        b = self.namespace("b")
        ia = f"qk{self.token}a"
        ib = f"qk{self.token}b"
        _ip("link", "add", ia, "type", "veth", "peer", "name", ib)
        self._links.append(ia)
        _ip("link", "set", ia, "netns", a.name)
        _ip("link", "set", ib, "netns", b.name)
        self._configure(a, ia, self._host_octet())
        self._configure(b, ib, self._host_octet())
        return a, b

    def close(self) -> None:
        # Deleting a namespace destroys its veth ends (and their peers);
        # the explicit link deletions cover links still in the root namespace
        # if setup failed half-way.
        for link in self._links:
            _ip("link", "del", link, check=False)
        for name in reversed(self._namespaces):
            _ip("netns", "del", name, check=False)
        self._namespaces.clear()
        self._links.clear()


@contextlib.contextmanager
def lab() -> Iterator[Lab]:
    require_netns()
    the_lab = Lab()
    try:
        yield the_lab
    finally:
        the_lab.close()


_libc: ctypes.CDLL | None = None


def _setns(fd: int) -> None:
    global _libc  # noqa: PLW0603 - loaded lazily, Linux-only
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(ns: Namespace) -> Iterator[None]:
    """Move the *calling thread* into ``ns`` for the duration of the block.

    Sockets keep the namespace they were created in, so an asyncio loop run
    inside this block (``asyncio.run``) does all its networking in ``ns`` —
    letting in-process tests check for leaked threads while their multicast
    stays off the host's LAN. Only this thread moves; other threads are
    unaffected.
    """
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)


class NsProcess:
    """A child process in a namespace that speaks JSON lines on stdout.

    Reading is select()-based with a deadline, so a silent child fails the
    test with a timeout instead of hanging it.
    """

    def __init__(self, ns: Namespace, argv: Sequence[str], env: dict[str, str]) -> None:
        # stderr goes to a file, not a pipe: nobody drains it while the test
        # waits on stdout, and a chatty child must not block on a full pipe.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in cleanup()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._buffer = b""
        self.lines: list[str] = []

    def read_line(self, timeout: float) -> str | None:
        """Next stdout line, or None at EOF; raises TimeoutError after ``timeout``."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no output within {timeout:.1f}s; stderr: {self.stderr_tail()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                if self._buffer:
                    break
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        text = line.decode()
        self.lines.append(text)
        return text

    def stderr_tail(self) -> str:
        """The last of what the child wrote to stderr so far (for failure messages)."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()

    def stop(self, timeout: float = 10.0) -> int:
        """Ask politely (stdin EOF), then SIGTERM, then SIGKILL; returns the exit code."""
        self.close_stdin()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        """Make sure the child is gone and its pipes and files closed."""
        if self.proc.poll() is None:
            self.stop(timeout=5.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()
