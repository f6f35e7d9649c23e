"""mDNS advertisement, browsing and QR helpers (kiosk.appliance.discovery).

Network tests run in throwaway network namespaces (tests/netns.py) so no
multicast reaches the host's LAN: appliances run as child processes in one
namespace and are observed from another over a veth link, the way a tablet
sees the PC. In-process checks move the test thread into a namespace and
assert no zeroconf thread outlives ``close()``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.appliance import discovery
from tests import netns
from tests.mdns_child import WATCHER, child_env
from tests.netns import Namespace, NsProcess

# An appliance in a child process: prints one JSON line once start() returned,
# another after close(), and closes when its stdin does (or on SIGTERM).
ADVERTISER = textwrap.dedent(
    """
    import asyncio, json, signal, sys, threading, time
    from kiosk.appliance.discovery import Advertiser

    async def main():
        config = json.loads(sys.argv[1])
        adv = Advertiser(**config)
        began = time.monotonic()
        await adv.start()
        print(json.dumps({
            "event": "started",
            "elapsed": time.monotonic() - began,
            "registered": adv.registered,
            "names": adv.instance_names,
            "host": adv.host_name,
            "addresses": adv.addresses,
        }), flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        eof = asyncio.ensure_future(reader.read())
        await asyncio.wait([eof, asyncio.ensure_future(stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        await adv.close()
        others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
        print(json.dumps({"event": "closed", "threads": others}), flush=True)

    asyncio.run(main())
    """
)

KIOSK = discovery.KIOSK_SERVICE
HTTP = discovery.HTTP_SERVICE


@pytest.fixture
def spawn() -> Iterator[Callable[[Namespace, str, list[str]], NsProcess]]:
    """Start child Python processes inside namespaces; all killed at teardown."""
    children: list[NsProcess] = []

    def start(ns: Namespace, script: str, args: list[str]) -> NsProcess:
        child = NsProcess(ns, [sys.executable, "-c", script, *args], child_env())
        children.append(child)
        return child

    try:
        yield start
    finally:
        for child in children:
            child.cleanup()


@pytest.fixture
def lab() -> Iterator[netns.Lab]:
    with netns.lab() as the_lab:
        yield the_lab


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fail if a thread started during the test is still alive after it.

    The same check python-zeroconf's own suite makes (verify_threads_ended):
    a leaked engine thread keeps port 5353 bound and the process from
    exiting.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leaked = set(threading.enumerate()) - before
    while leaked and time.monotonic() < deadline:
        for thread in leaked:
            thread.join(timeout=0.1)
        leaked = {t for t in set(threading.enumerate()) - before if t.is_alive()}
    assert not leaked, f"threads left behind: {[t.name for t in leaked]}"


def advertiser_args(**config: Any) -> list[str]:
    return [json.dumps(config)]


def wait_for_event(
    child: NsProcess, predicate: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    """The first JSON line from ``child`` satisfying ``predicate``, within ``timeout``.

    Lines read earlier count too: events of different services arrive in no
    fixed order, and waiting for one must not throw away the other.
    """
    for line in child.lines:
        event = json.loads(line)
        if predicate(event):
            return event
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"event not seen in {timeout}s; got {child.lines}")
        line = child.read_line(remaining)
        if line is None:
            raise AssertionError(
                f"child exited (rc={child.proc.wait()}) before the event; "
                f"lines {child.lines}; stderr {child.stderr_tail()}"
            )
        event = json.loads(line)
        if predicate(event):
            return event


def full_name(event: dict[str, Any], type_: str) -> str:
    return f"{event['names'][type_]}.{type_}"


# --- network: two namespaces on one link -------------------------------------


def watched_appliance(
    lab: netns.Lab, spawn: Callable[..., NsProcess], **advertiser: Any
) -> tuple[Namespace, NsProcess, NsProcess, dict[str, Any]]:
    """A tablet watching (resolving) from one namespace, then an appliance advertising
    with these arguments from the other: (shop PC, watcher, appliance, its "started")."""
    shop_pc, tablet = lab.pair()
    watcher = spawn(tablet, WATCHER, ["--resolve"])
    wait_for_event(watcher, lambda e: e["event"] == "ready", timeout=10)
    appliance = spawn(shop_pc, ADVERTISER, advertiser_args(**advertiser))
    started = wait_for_event(appliance, lambda e: e["event"] == "started", timeout=20)
    return shop_pc, watcher, appliance, started


def test_advertised_appliance_is_resolved_from_the_lan_and_gone_after_close(
    lab: netns.Lab, spawn: Callable[..., NsProcess]
) -> None:
    shop_pc, watcher, appliance, started = watched_appliance(
        lab, spawn, port=8123, install_id="A1B2C3D4E5", version="1.2.3", shop_id=7
    )
    assert started["registered"]
    assert started["host"] == "queue-a1b2c3.local."
    assert set(started["names"]) == {KIOSK, HTTP}
    v4, v6 = shop_pc.addresses
    assert started["addresses"] == [v4, v6], "LAN IPv4 first, no loopback or link-local"

    kiosk_name = full_name(started, KIOSK)
    found = wait_for_event(
        watcher, lambda e: e.get("name") == kiosk_name and e["event"] != "removed", timeout=10
    )
    assert found["host"] == "queue-a1b2c3.local."
    assert found["port"] == 8123
    assert found["addresses"][0] == v4
    assert v6 in found["addresses"]
    assert not any(a.startswith(("127.", "fe80", "::1")) for a in found["addresses"])
    assert found["txt"] == {
        "path": "/",
        "api": "/api/v1",
        "version": "1.2.3",
        "shop": "7",
        "id": "A1B2C3D4E5",
    }

    http_name = full_name(started, HTTP)
    http = wait_for_event(
        watcher, lambda e: e.get("name") == http_name and e["event"] != "removed", timeout=10
    )
    assert http["port"] == 8123
    assert http["txt"]["path"] == "/"

    appliance.close_stdin()
    closed = wait_for_event(appliance, lambda e: e["event"] == "closed", timeout=10)
    assert closed["threads"] == [], "zeroconf left threads running after close()"
    assert appliance.stop() == 0

    # Goodbye packets (TTL 0) make the tablet drop it in ~1 s rather than
    # after the 75-minute PTR TTL.
    wait_for_event(
        watcher, lambda e: e.get("name") == kiosk_name and e["event"] == "removed", timeout=10
    )


def test_second_appliance_with_the_same_name_gets_a_distinct_name_and_host(
    lab: netns.Lab, spawn: Callable[..., NsProcess], no_thread_leak: None
) -> None:
    first_ns, second_ns = lab.pair()
    first = spawn(
        first_ns,
        ADVERTISER,
        advertiser_args(port=8000, install_id="111aaa", version="1", instance_name="Barber"),
    )
    first_started = wait_for_event(first, lambda e: e["event"] == "started", timeout=20)
    assert first_started["names"] == {KIOSK: "Barber", HTTP: "Barber"}

    second = spawn(
        second_ns,
        ADVERTISER,
        advertiser_args(port=8000, install_id="222bbb", version="1", instance_name="Barber"),
    )
    second_started = wait_for_event(second, lambda e: e["event"] == "started", timeout=20)
    assert second_started["registered"]
    for type_ in (KIOSK, HTTP):
        assert second_started["names"][type_] != "Barber"
        assert second_started["names"][type_].startswith("Barber")
    assert {first_started["host"], second_started["host"]} == {
        "queue-111aaa.local.",
        "queue-222bbb.local.",
    }

    # What `kiosk discover` would print on the second box: both appliances.
    with netns.entered(second_ns):
        services = asyncio.run(discovery.browse(timeout=2.5))
    by_name = {service["name"]: service for service in services}
    assert set(by_name) == {"Barber", second_started["names"][KIOSK]}
    assert by_name["Barber"]["host"] == "queue-111aaa.local."
    assert by_name["Barber"]["addresses"][0] == first_ns.addresses[0]
    assert by_name["Barber"]["txt"]["id"] == "111aaa"
    assert by_name[second_started["names"][KIOSK]]["host"] == "queue-222bbb.local."


def test_address_change_is_reannounced(lab: netns.Lab, spawn: Callable[..., NsProcess]) -> None:
    shop_pc, watcher, appliance, started = watched_appliance(
        lab, spawn, port=8000, install_id="c0ffee", version="1", watch_interval=0.3
    )
    kiosk_name = full_name(started, KIOSK)
    wait_for_event(watcher, lambda e: e.get("name") == kiosk_name, timeout=10)

    # As when DHCP hands the PC a new lease.
    new_address = f"10.201.{lab.subnet}.77"
    shop_pc.ip("addr", "add", f"{new_address}/24", "dev", str(shop_pc.ifname))
    wait_for_event(
        watcher,
        lambda e: e.get("name") == kiosk_name and new_address in e.get("addresses", []),
        timeout=10,
    )


# --- in-process, inside private namespaces ----------------------------------


def test_start_without_any_network_returns_promptly_and_closes_cleanly(
    lab: netns.Lab, no_thread_leak: None
) -> None:
    # A fresh namespace with even loopback down: no interface has an address.
    offline = lab.namespace("off", loopback_up=False)

    async def scenario() -> None:
        adv = discovery.Advertiser(port=8000, install_id="deadbeef", version="1")
        began = time.monotonic()
        await asyncio.wait_for(adv.start(), timeout=5)
        assert time.monotonic() - began < 2.0
        assert not adv.registered
        assert adv.instance_names == {}
        assert await discovery.browse(timeout=0.2) == []
        await adv.close()
        await adv.close()  # idempotent: the CLI may close on both signal and exit

    with netns.entered(offline):
        assert discovery.lan_addresses() == []
        assert discovery.primary_url(8000) == "http://127.0.0.1:8000"
        asyncio.run(scenario())


def test_registration_happens_once_a_network_appears(lab: netns.Lab, no_thread_leak: None) -> None:
    offline = lab.namespace("late", loopback_up=False)

    async def scenario() -> None:
        adv = discovery.Advertiser(port=8000, install_id="late01", version="1", watch_interval=0.2)
        await adv.start()
        assert not adv.registered
        # The loopback coming up is the smallest "network appeared" there is.
        await asyncio.to_thread(offline.ip, "link", "set", "lo", "up")
        deadline = time.monotonic() + 10
        while not adv.registered and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert adv.registered, "watcher never retried the registration"
        assert adv.addresses == ["127.0.0.1"]
        await adv.close()

    with netns.entered(offline):
        asyncio.run(scenario())


def test_loopback_advertiser_is_browsable_then_gone(lab: netns.Lab, no_thread_leak: None) -> None:
    ns = lab.namespace("lo")  # only lo, up: 127.0.0.1 as in DESIGN's test idiom

    async def scenario() -> None:
        adv = discovery.Advertiser(
            port=8765, install_id="F00BA4", version="2.0", interfaces=["127.0.0.1"]
        )
        await adv.start()
        assert adv.registered
        assert adv.addresses == ["127.0.0.1"]
        services = await discovery.browse(timeout=1.5, interfaces=["127.0.0.1"])
        assert services == [
            {
                "name": "Queue Kiosk",
                "host": "queue-f00ba4.local.",
                "addresses": ["127.0.0.1"],
                "port": 8765,
                "txt": {
                    "path": "/",
                    "api": "/api/v1",
                    "version": "2.0",
                    "shop": "1",
                    "id": "F00BA4",
                },
            }
        ]
        await adv.close()
        assert not adv.registered
        assert await discovery.browse(timeout=1.0, interfaces=["127.0.0.1"]) == []

    with netns.entered(ns):
        asyncio.run(scenario())


def test_close_during_probing_cancels_registration_promptly(
    lab: netns.Lab, no_thread_leak: None
) -> None:
    ns = lab.namespace("quit")

    async def scenario() -> None:
        adv = discovery.Advertiser(port=8000, install_id="abc123", version="1")
        starting = asyncio.create_task(adv.start())
        deadline = time.monotonic() + 2.0
        while adv._registering is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert adv._registering is not None
        # Into the ~1.5 s probe window (three probes 500 ms apart), so the
        # zeroconf instance exists and has sent probes when close() comes.
        await asyncio.sleep(0.4)
        began = time.monotonic()
        await adv.close()
        assert time.monotonic() - began < 1.0, "close() waited for probing to finish"
        await asyncio.wait_for(starting, timeout=1.0)  # returns, doesn't raise
        assert not adv.registered

    with netns.entered(ns):
        asyncio.run(scenario())


# --- pure functions -----------------------------------------------------------


def test_lan_addresses_put_the_shop_lan_first_and_drop_noise() -> None:
    candidates = [
        ("127.0.0.1", "lo"),
        ("::1", "lo"),
        ("172.17.0.1", "docker0"),
        ("fe80::1", "eth0"),
        ("169.254.10.2", "eth0"),
        ("2001:db8::5", "eth0"),
        ("100.64.1.2", "tailscale0"),
        ("192.168.1.20", "wlan0"),
        ("192.168.1.20", "wlan0"),
    ]
    assert discovery._ranked(candidates) == [
        "192.168.1.20",
        "172.17.0.1",
        "100.64.1.2",
        "2001:db8::5",
    ]


def test_lan_addresses_of_this_machine_exclude_loopback() -> None:
    assert not any(a.startswith(("127.", "::1", "fe80")) for a in discovery.lan_addresses())


@pytest.mark.parametrize(
    ("install_id", "host"),
    [
        ("3F9A1C77-0000", "queue-3f9a1c.local."),
        ("ab", "queue-ab.local."),
        ("", "queue-kiosk.local."),
        ("-_.!", "queue-kiosk.local."),
    ],
)
def test_host_name_comes_from_the_install_id(install_id: str, host: str) -> None:
    adv = discovery.Advertiser(port=1, install_id=install_id, version="1")
    assert adv.host_name == host


@pytest.mark.parametrize(
    ("given", "label"),
    [
        ("Bob's Barbers", "Bob's Barbers"),
        ("St. Mary's Clinic", "St  Mary's Clinic"),  # a dot would split the DNS label
        ("   ", "Queue Kiosk"),
        ("é" * 40, "é" * 28),  # 56 bytes: room left for the "-2" of a rename
    ],
)
def test_instance_name_is_made_safe_for_dns_sd(given: str, label: str) -> None:
    assert discovery._instance_label(given) == label


def test_primary_url_prefers_the_lan_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "lan_addresses", lambda: ["192.168.1.20", "fd00::1"])
    assert discovery.primary_url(8000) == "http://192.168.1.20:8000"
    monkeypatch.setattr(discovery, "lan_addresses", lambda: ["fd00::1"])
    assert discovery.primary_url(8000) == "http://[fd00::1]:8000"
    monkeypatch.setattr(discovery, "lan_addresses", lambda: [])
    assert discovery.primary_url(8000) == "http://127.0.0.1:8000"


def test_qr_codes_for_terminal_and_page() -> None:
    url = "http://192.168.1.20:8000/kiosk"
    text = discovery.qr_terminal(url)
    lines = text.splitlines()
    assert len(lines) > 10 and len({len(line) for line in lines}) == 1
    assert "\x1b" not in text
    assert "\x1b[" in discovery.qr_terminal(url, compact=False)

    svg = discovery.qr_svg(url)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "viewBox" in svg
    assert url in svg  # the title, for screen readers
