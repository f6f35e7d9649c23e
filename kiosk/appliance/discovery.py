"""How devices on the shop LAN find the appliance: mDNS and QR codes.

The appliance advertises itself over mDNS (``_http._tcp`` for generic browsers,
``_queue-kiosk._tcp`` for our own tools) and ``kiosk discover`` browses for it.
Many Android tablets and smart TVs cannot resolve ``.local`` names, so the
primary way in is a QR code of ``http://<LAN address>:<port>/...``; this module
also picks that address and draws the code.

Nothing here may hold up serving: registration runs as a background task, logs
and carries on when there is no network, and retries when one appears.
Self-contained on purpose (imports nothing from the rest of ``kiosk``) so it
can be tested, and reasoned about, alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ipaddress
import logging
import re
from collections.abc import Sequence
from typing import Any

import ifaddr
import segno
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger(__name__)

KIOSK_SERVICE = "_queue-kiosk._tcp.local."
HTTP_SERVICE = "_http._tcp.local."
SERVICE_TYPES: tuple[str, ...] = (KIOSK_SERVICE, HTTP_SERVICE)

# Probing (~1.5 s) plus announcing (~0.5 s) normally; zeroconf itself may wait
# up to 9 s for its engine to start. Past this something is wrong and we would
# rather retry from the watcher than hold a half-registered responder.
_REGISTER_TIMEOUT = 15.0
_DEFAULT_WATCH_INTERVAL = 10.0
# RFC 6763 §4.1.1: an instance name is at most 63 bytes; keep room for the
# "-N" suffix zeroconf appends on a name conflict.
_MAX_INSTANCE_BYTES = 56

_RFC1918 = tuple(
    ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# Interfaces a shop PC commonly has besides its LAN card (container bridges,
# hypervisors, VPNs). Their addresses are still advertised, just never first:
# a QR code pointing at 172.17.0.1 (docker0) is useless to a tablet.
_VIRTUAL_IFACE = re.compile(
    r"^(docker|br-|veth|virbr|vmnet|vboxnet|vnet|lxc|lxd|cni|flannel|podman|"
    r"tun|tap|wg|zt|tailscale|utun|ham)",
    re.IGNORECASE,
)


def _address_rank(address: str, iface_name: str) -> int | None:
    """Sort key for an interface address (lower is better), None to drop it."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return None
    virtual = bool(_VIRTUAL_IFACE.match(iface_name))
    if ip.version == 4:
        if any(ip in net for net in _RFC1918):
            return 1 if virtual else 0
        return 2
    return 3


def _ranked(candidates: Sequence[tuple[str, str]]) -> list[str]:
    ranked: dict[str, int] = {}
    for address, iface in candidates:
        rank = _address_rank(address, iface)
        if rank is not None and (address not in ranked or rank < ranked[address]):
            ranked[address] = rank
    # sorted() is stable, so within a rank the OS's interface order survives.
    return sorted(ranked, key=ranked.__getitem__)


def lan_addresses() -> list[str]:
    """This machine's usable addresses, best first.

    Order: private IPv4 on a physical-looking interface, private IPv4 on a
    virtual one, other IPv4, then IPv6 (ULA/global). Loopback, link-local and
    multicast are left out. Empty when there is no network.
    """
    # ifaddr (a zeroconf dependency) reads getifaddrs(); the usual
    # getaddrinfo(gethostname()) trick returns 127.0.1.1 on Debian-likes and
    # nothing useful on a box whose hostname isn't in /etc/hosts.
    try:
        adapters = ifaddr.get_adapters()
    except OSError as exc:
        log.warning("cannot list network interfaces: %s", exc)
        return []
    candidates: list[tuple[str, str]] = []
    for adapter in adapters:
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            candidates.append((address, adapter.name))
    return _ranked(candidates)


def primary_url(port: int) -> str:
    """The URL to print and to put in the QR code: first LAN address, else loopback."""
    addresses = lan_addresses()
    host = addresses[0] if addresses else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _qr(url: str) -> segno.QRCode:
    # micro=False: phone cameras don't read Micro QR codes.
    return segno.make(url, error="m", micro=False)


def qr_terminal(url: str, *, compact: bool = True) -> str:
    """A QR code of ``url`` as text for a terminal.

    ``compact`` uses Unicode half blocks: half the height, and still readable
    when the output lands in a log file, but drawn for a dark-background
    terminal (inverted on a light one, which some scanners refuse).
    ``compact=False`` uses ANSI colours instead, correct on any theme but
    twice as tall and garbage outside a terminal.
    """
    out = io.StringIO()
    _qr(url).terminal(out=out, compact=compact)
    return out.getvalue()


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as an inline ``<svg>`` element (no XML declaration).

    No width/height: the page sizes it with CSS through the viewBox. An
    explicit light background keeps it scannable on dark page themes.
    """
    return _qr(url).svg_inline(scale=1, omitsize=True, svgclass="qr", light="#fff", title=url)


def host_name_for(install_id: str) -> str:
    label = re.sub(r"[^a-z0-9]", "", install_id.lower())[:6]
    return f"queue-{label}.local." if label else "queue-kiosk.local."


def _instance_label(instance_name: str) -> str:
    # zeroconf writes names by splitting on "." (no escaping), so a shop
    # called "St. Mary's" would go out as two DNS labels and be misread.
    raw = instance_name.strip().replace(".", " ") or "Queue Kiosk"
    encoded = raw.encode()[:_MAX_INSTANCE_BYTES]
    # Cutting bytes may split a multi-byte character; drop the fragment.
    return encoded.decode(errors="ignore").rstrip()


class Advertiser:
    """Announces this appliance on the LAN over mDNS until closed.

    ``start()`` registers both service types and starts a watcher that
    re-announces when the machine's addresses change (DHCP renewals, Wi-Fi
    joining late, a cable plugged in after boot). With ``interfaces`` given
    (e.g. ``["127.0.0.1"]`` in tests) only those are used and advertised.
    """

    def __init__(
        self,
        *,
        port: int,
        install_id: str,
        version: str,
        shop_id: int = 1,
        instance_name: str = "Queue Kiosk",
        interfaces: list[str] | None = None,
        watch_interval: float = _DEFAULT_WATCH_INTERVAL,
    ) -> None:
        self._port = port
        self._install_id = install_id
        self._version = version
        self._shop_id = shop_id
        self._instance = _instance_label(instance_name)
        self._interfaces = list(interfaces) if interfaces is not None else None
        self._watch_interval = watch_interval
        self._server = host_name_for(install_id)
        self._aiozc: AsyncZeroconf | None = None
        self._infos: list[AsyncServiceInfo] = []
        self._addresses: list[str] = []
        self._watcher: asyncio.Task[None] | None = None
        self._registering: asyncio.Task[None] | None = None
        # Serialises start, the watcher's updates and close, which all touch
        # the same zeroconf instance and ServiceInfo objects.
        self._lock = asyncio.Lock()
        self._closed = False
        self._last_error: str | None = None

    @property
    def host_name(self) -> str:
        """The mDNS host name, e.g. ``queue-3f9a1c.local.``."""
        return self._server

    @property
    def instance_names(self) -> dict[str, str]:
        """Registered instance name per service type, after conflict renaming.

        Empty until registration succeeded. A second appliance with the same
        name ends up as e.g. ``"Queue Kiosk-2"``.
        """
        return {info.type: info.name[: -len(info.type) - 1] for info in self._infos}

    @property
    def addresses(self) -> list[str]:
        """Addresses currently advertised in the A/AAAA records."""
        return list(self._addresses)

    @property
    def registered(self) -> bool:
        return bool(self._infos)

    async def start(self) -> None:
        """Register the services; never raises for network trouble.

        Takes about two seconds (probing), so run it as a background task.
        Without a network it logs, returns, and the watcher retries later.
        """
        async with self._lock:
            if self._closed or self._watcher is not None:
                return
            await self._try_register()
            if not self._closed:
                self._watcher = asyncio.create_task(self._watch(), name="mdns-address-watcher")

    async def close(self) -> None:
        """Say goodbye on the network and release sockets; safe to call twice."""
        self._closed = True
        if self._registering is not None:
            self._registering.cancel()
        await self._stop_watcher()
        async with self._lock:
            # start() holding the lock may have created the watcher after
            # the first stop above.
            await self._stop_watcher()
            aiozc, infos = self._aiozc, self._infos
            self._aiozc, self._infos, self._addresses = None, [], []
            if aiozc is None:
                return
            try:
                goodbyes = await asyncio.gather(
                    *(aiozc.async_unregister_service(info) for info in infos)
                )
                await asyncio.gather(*goodbyes)
            except Exception:
                log.warning("mDNS goodbye failed", exc_info=True)
            finally:
                await self._close_zeroconf(aiozc)

    async def _stop_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            # wait() rather than awaiting the task: the watcher's
            # CancelledError is expected, ours (if close is cancelled) is not.
            await asyncio.wait([watcher])

    def _desired_addresses(self) -> list[str]:
        if self._interfaces is None:
            addresses = lan_addresses()
        else:
            addresses = [a for a in self._interfaces if isinstance(a, str)]
        # Loopback as a last resort keeps a box with no LAN (and tests)
        # resolvable from itself.
        return addresses or ["127.0.0.1"]

    def _new_zeroconf(self) -> AsyncZeroconf:
        if self._interfaces is not None:
            return AsyncZeroconf(interfaces=self._interfaces)
        # Sockets on IPv4 only: shop LANs are IPv4, and IPv6 multicast joins
        # fail noisily on hosts with IPv6 half-disabled. AAAA records for our
        # IPv6 addresses are still sent in every answer.
        return AsyncZeroconf(interfaces=InterfaceChoice.All, ip_version=IPVersion.V4Only)

    def _service_info(self, type_: str, addresses: list[str]) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            type_,
            f"{self._instance}.{type_}",
            port=self._port,
            properties={
                "path": "/",
                "api": "/api/v1",
                "version": self._version,
                "shop": str(self._shop_id),
                "id": self._install_id,
            },
            server=self._server,
            parsed_addresses=addresses,
        )

    def _log_failure(self, what: str, exc: BaseException) -> None:
        # The watcher retries every few seconds; say it once per distinct
        # problem instead of filling the log of a box that has no network.
        message = f"{type(exc).__name__}: {exc}"
        if message != self._last_error:
            log.warning("mDNS %s failed (will retry): %s", what, message)
            self._last_error = message
        else:
            log.debug("mDNS %s failed again: %s", what, message)

    async def _try_register(self) -> None:
        # A task of its own so close() can cut probing short: Ctrl-C in the
        # first two seconds after start must not wait for probing to finish.
        task = asyncio.create_task(self._register(), name="mdns-register")
        self._registering = task
        try:
            done, _ = await asyncio.wait([task], timeout=_REGISTER_TIMEOUT)
            if not done:
                task.cancel()
                await asyncio.wait([task])
                self._log_failure("registration", TimeoutError("no answer from zeroconf"))
            elif not task.cancelled() and (exc := task.exception()) is not None:
                self._log_failure("registration", exc)
        except asyncio.CancelledError:
            # Our caller gave up on start(); don't leave a responder behind.
            task.cancel()
            await asyncio.wait([task])
            raise
        finally:
            self._registering = None

    async def _register(self) -> None:
        addresses = self._desired_addresses()
        aiozc = self._new_zeroconf()
        infos = [self._service_info(type_, addresses) for type_ in SERVICE_TYPES]
        try:
            # Both types probe concurrently: one ~2 s wait instead of two.
            announced = await asyncio.gather(
                *(aiozc.async_register_service(info, allow_name_change=True) for info in infos)
            )
            # async_register_service returns once probing is done; the
            # announcements are this second awaitable.
            await asyncio.gather(*announced)
        except BaseException:
            await self._close_zeroconf(aiozc)
            raise
        self._aiozc, self._infos, self._addresses = aiozc, infos, addresses
        self._last_error = None
        log.info(
            "mDNS: registered %s as %s at %s",
            ", ".join(f"{name!r}" for name in self.instance_names.values()),
            self._server,
            ", ".join(addresses),
        )

    @staticmethod
    async def _close_zeroconf(aiozc: AsyncZeroconf) -> None:
        try:
            await aiozc.async_close()
        except Exception:
            log.warning("closing zeroconf failed", exc_info=True)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._watch_interval)
            async with self._lock:
                if self._closed:
                    return
                try:
                    await self._refresh()
                except Exception as exc:
                    self._log_failure("address update", exc)

    async def _refresh(self) -> None:
        if self._aiozc is None:
            await self._try_register()
            return
        addresses = self._desired_addresses()
        if addresses == self._addresses:
            return
        log.info("mDNS: addresses changed %s -> %s", self._addresses, addresses)
        if self._interfaces is None:
            # New interfaces need their own multicast sockets before we
            # can answer on them; gone ones must stop being used.
            await self._aiozc.async_update_interfaces()
        for info in self._infos:
            info.addresses = addresses
        announced = await asyncio.gather(
            *(self._aiozc.async_update_service(info) for info in self._infos)
        )
        await asyncio.gather(*announced)
        self._addresses = addresses


def _describe(info: AsyncServiceInfo) -> dict[str, Any]:
    return {
        "name": info.name[: -len(info.type) - 1],
        "host": info.server,
        "addresses": info.parsed_scoped_addresses(),
        "port": info.port,
        "txt": {key: value or "" for key, value in info.decoded_properties.items()},
    }


async def browse(timeout: float = 3.0, interfaces: list[str] | None = None) -> list[dict[str, Any]]:
    """Find Queue Kiosk appliances on the LAN for ``timeout`` seconds.

    Returns ``{name, host, addresses, port, txt}`` per appliance, sorted by
    name; an empty list when nothing answered or there is no network.
    """
    try:
        aiozc = AsyncZeroconf(
            interfaces=interfaces if interfaces is not None else InterfaceChoice.All
        )
    except (OSError, RuntimeError) as exc:
        log.warning("mDNS browse impossible: %s", exc)
        return []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    found: dict[str, dict[str, Any]] = {}
    resolving: dict[str, asyncio.Task[None]] = {}

    async def resolve(name: str) -> None:
        info = AsyncServiceInfo(KIOSK_SERVICE, name)
        # At least a short query even when the service shows up at the very
        # end of the window; responders usually send SRV/TXT/A along with
        # the PTR, so this mostly answers from cache.
        budget_ms = max(500.0, (deadline - loop.time()) * 1000)
        try:
            if await info.async_request(aiozc.zeroconf, budget_ms) and info.port:
                found[name] = _describe(info)
        except Exception:
            # One malformed responder must not cost us the others.
            log.debug("could not resolve %s", name, exc_info=True)

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        previous = resolving.pop(name, None)
        if previous is not None:
            previous.cancel()
        if state_change is ServiceStateChange.Removed:
            found.pop(name, None)
            return
        resolving[name] = loop.create_task(resolve(name))

    browser = AsyncServiceBrowser(aiozc.zeroconf, [KIOSK_SERVICE], handlers=[on_change])
    try:
        await asyncio.sleep(timeout)
        pending = [task for task in resolving.values() if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=1.0)
    finally:
        for task in resolving.values():
            task.cancel()
        await asyncio.gather(*resolving.values(), return_exceptions=True)
        with contextlib.suppress(Exception):
            await browser.async_cancel()
        await aiozc.async_close()
    return sorted(found.values(), key=lambda service: str(service["name"]).lower())
