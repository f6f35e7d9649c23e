"""The real appliance on a (simulated) shop LAN: mDNS, `kiosk discover`, no-network start.

tests/test_discovery.py proves kiosk.appliance.discovery in isolation; here the whole
program runs (`python -m kiosk serve` with mDNS on) in one network namespace and
is looked for from another over a veth link, the way a tablet sees the shop PC.
Multicast never leaves the namespaces (tests/netns.py); skipped without root.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import __version__
from tests import netns
from tests.mdns_child import child_env, watcher_argv
from tests.netns import Namespace, NsProcess

PORT = 8765
KIOSK_TYPE = "_queue-kiosk._tcp.local."
HTTP_TYPE = "_http._tcp.local."
INSTANCE = "Queue Kiosk"
# Serving must not wait for mDNS: probing alone takes ~1.5 s, and a box with no
# network must be usable from itself straight away.
PROMPT_S = 2.0
REGISTER_TIMEOUT_S = 20.0
DISCOVER_TIMEOUT_S = 5


@pytest.fixture
def lab() -> Iterator[netns.Lab]:
    with netns.lab() as the_lab:
        yield the_lab


@pytest.fixture
def spawn() -> Iterator[Callable[..., NsProcess]]:
    """Start processes inside namespaces; every one is gone after the test."""
    children: list[NsProcess] = []

    def start(ns: Namespace, argv: list[str]) -> NsProcess:
        child = NsProcess(ns, argv, child_env())
        children.append(child)
        return child

    try:
        yield start
    finally:
        for child in children:
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)  # the appliance ignores stdin
            child.cleanup()


def appliance(spawn: Callable[..., NsProcess], ns: Namespace, data_dir: Path) -> NsProcess:
    return spawn(
        ns,
        [
            sys.executable,
            "-m",
            "kiosk",
            "serve",
            "--no-browser",
            "--host",
            "0.0.0.0",
            "--port",
            str(PORT),
            "--data-dir",
            str(data_dir),
        ],
    )


def read_until(child: NsProcess, prefix: str, deadline: float) -> str:
    """The next stdout line starting with ``prefix``, read before ``deadline``."""
    while True:
        line = child.read_line(max(0.0, deadline - time.monotonic()))
        if line is None:
            raise AssertionError(
                f"exited ({child.proc.wait()}) before printing {prefix!r}:\n{child.stderr_tail()}"
            )
        if line.startswith(prefix):
            return line


def wait_for_log(child: NsProcess, pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while (found := re.search(pattern, child.stderr_tail())) is None:
        if child.proc.poll() is not None:
            raise AssertionError(f"exited ({child.proc.returncode}):\n{child.stderr_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line {pattern!r} in {timeout}s:\n{child.stderr_tail()}")
        time.sleep(0.05)  # polling the log file, with a deadline
    return found


def wait_for_event(
    child: NsProcess, predicate: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    for line in child.lines:
        if predicate(event := json.loads(line)):
            return event
    deadline = time.monotonic() + timeout
    while True:
        line = child.read_line(max(0.0, deadline - time.monotonic()))
        if line is None:
            raise AssertionError(f"watcher exited; saw {child.lines}: {child.stderr_tail()}")
        if predicate(event := json.loads(line)):
            return event


def get_status(ns: Namespace, host: str, path: str, timeout: float = 2.0) -> int:
    """GET from inside ``ns`` (the socket is created there); 0 when unreachable."""
    with netns.entered(ns):
        conn = http.client.HTTPConnection(host, PORT, timeout=timeout)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        except OSError:
            return 0
        finally:
            conn.close()


def discover(ns: Namespace) -> list[dict[str, str]]:
    """Run `kiosk discover` in ``ns``; one dict per line it printed."""
    result = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns.name,
            sys.executable,
            "-m",
            "kiosk",
            "discover",
            "--timeout",
            str(DISCOVER_TIMEOUT_S),
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=DISCOVER_TIMEOUT_S + 30,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    if lines == ["no appliances found"]:
        return []
    found = []
    for line in lines:
        name, address, *pairs = line.split("\t")
        found.append({"name": name, "address": address, **dict(p.split("=", 1) for p in pairs)})
    return found


def label_of(install_id: str) -> str:
    return re.sub(r"[^a-z0-9]", "", install_id.lower())[:6]


# ---------------------------------------------------------------- one shop PC, one tablet


def test_appliance_is_discovered_and_reached_from_the_lan_and_says_goodbye(
    lab: netns.Lab, spawn: Callable[..., NsProcess], tmp_path: Path
) -> None:
    shop_pc, tablet = lab.pair()
    v4 = shop_pc.addresses[0]
    watcher = spawn(tablet, watcher_argv())
    wait_for_event(watcher, lambda e: e["event"] == "ready", timeout=15)

    server = appliance(spawn, shop_pc, tmp_path / "data")
    deadline = time.monotonic() + 30
    read_until(server, "Serving on ", deadline)
    # The QR code's address is the LAN one, the .local name only secondary text.
    tablets = read_until(server, "Desk tablets and TVs: pair them from ", deadline)
    assert f"http://{v4}:{PORT}/admin" in tablets, tablets
    host = re.search(r"\(also (queue-[a-z0-9]{6}\.local):\d+\)", tablets)
    assert host, tablets

    # Reachable from the tablet before mDNS probing is even over.
    assert get_status(tablet, v4, "/api/v1/health") == 200
    assert "mDNS: registered" not in server.stderr_tail(), "serving waited for mDNS"

    wait_for_log(server, r"mDNS: registered", REGISTER_TIMEOUT_S)
    found = discover(tablet)
    assert len(found) == 1, found
    entry = found[0]
    assert entry["name"] == INSTANCE
    assert entry["address"] == f"{v4}:{PORT}"
    assert entry["version"] == __version__
    assert entry["shop"] == "1"
    assert entry["host"] == host.group(1)
    assert entry["id"] and label_of(entry["id"]) == host.group(1)[len("queue-") : -len(".local")]
    for service_type in (KIOSK_TYPE, HTTP_TYPE):
        wait_for_event(
            watcher,
            lambda e, t=service_type: e["event"] == "added" and e["name"] == f"{INSTANCE}.{t}",
            timeout=10,
        )

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=15) == 0, server.stderr_tail()
    for service_type in (KIOSK_TYPE, HTTP_TYPE):
        wait_for_event(
            watcher,
            lambda e, t=service_type: e["event"] == "removed" and e["name"] == f"{INSTANCE}.{t}",
            timeout=10,
        )
    assert get_status(tablet, v4, "/api/v1/health", timeout=1) == 0


# ---------------------------------------------------------------- no network at all


def test_appliance_without_any_network_serves_at_once_and_logs_the_mdns_problem(
    lab: netns.Lab, spawn: Callable[..., NsProcess], tmp_path: Path
) -> None:
    # Only a loopback interface, and it is down: not even 127.0.0.1 works yet.
    offline = lab.namespace("off", loopback_up=False)
    began = time.monotonic()
    server = appliance(spawn, offline, tmp_path / "data")
    read_until(server, "Serving on http://127.0.0.1:", began + PROMPT_S)
    wait_for_log(
        server,
        r"WARNING kiosk\.appliance\.discovery: mDNS registration failed \(will retry\)",
        timeout=5,
    )
    assert server.proc.poll() is None, "the appliance gave up without a network"

    # Loopback comes up: the same process answers on 127.0.0.1 straight away.
    offline.ip("link", "set", "lo", "up")
    assert get_status(offline, "127.0.0.1", "/api/v1/health") == 200
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=15) == 0, server.stderr_tail()
    assert "Traceback" not in server.stderr_tail()


def test_appliance_with_no_lan_answers_on_loopback_within_two_seconds(
    lab: netns.Lab, spawn: Callable[..., NsProcess], tmp_path: Path
) -> None:
    # A PC with its cable unplugged: loopback up, nothing else.
    unplugged = lab.namespace("unplugged")
    began = time.monotonic()
    server = appliance(spawn, unplugged, tmp_path / "data")
    while (status := get_status(unplugged, "127.0.0.1", "/api/v1/health", timeout=0.5)) != 200:
        assert server.proc.poll() is None, server.stderr_tail()
        assert time.monotonic() - began < PROMPT_S, f"no health answer in {PROMPT_S}s ({status})"
        time.sleep(0.02)  # polling the port, with a deadline
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=15) == 0, server.stderr_tail()
    assert "Traceback" not in server.stderr_tail()


# ---------------------------------------------------------------- two boxes, one link


def test_two_appliances_on_one_link_get_distinct_instance_and_host_names(
    lab: netns.Lab, spawn: Callable[..., NsProcess], tmp_path: Path
) -> None:
    first_ns, second_ns = lab.pair()
    first = appliance(spawn, first_ns, tmp_path / "first")
    wait_for_log(first, rf"mDNS: registered '{INSTANCE}'", REGISTER_TIMEOUT_S)
    # The second box is plugged in later with the same default name.
    second = appliance(spawn, second_ns, tmp_path / "second")
    renamed = wait_for_log(second, r"mDNS: registered '([^']+)'", REGISTER_TIMEOUT_S)
    assert renamed.group(1) != INSTANCE, second.stderr_tail()

    for observer in (first_ns, second_ns):
        found = {entry["address"]: entry for entry in discover(observer)}
        assert set(found) == {f"{first_ns.addresses[0]}:{PORT}", f"{second_ns.addresses[0]}:{PORT}"}
        one = found[f"{first_ns.addresses[0]}:{PORT}"]
        two = found[f"{second_ns.addresses[0]}:{PORT}"]
        assert one["name"] == INSTANCE and two["name"] == renamed.group(1)
        assert one["host"] != two["host"]
        assert all(re.fullmatch(r"queue-[a-z0-9]{6}\.local", e["host"]) for e in (one, two))
        assert one["id"] != two["id"]

    for server in (second, first):
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=15) == 0, server.stderr_tail()
