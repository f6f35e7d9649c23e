"""What the mDNS tests run as child processes inside network namespaces: a tablet
on the LAN that watches for our two service types, and the environment for any
child that must import this checkout's kiosk."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# A tablet on the LAN: one JSON line per add/update/remove of our two service types,
# until its stdin closes; with --resolve, each add/update is resolved first (host,
# port, addresses, txt) and dropped if it cannot be within 3 s.
WATCHER = textwrap.dedent(
    """
    import asyncio, json, sys
    from zeroconf import ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    TYPES = ["_queue-kiosk._tcp.local.", "_http._tcp.local."]
    RESOLVE = "--resolve" in sys.argv[1:]

    async def main():
        aiozc = AsyncZeroconf()
        tasks = set()

        async def report(service_type, name, change):
            event = {"event": change.name.lower(), "type": service_type, "name": name}
            if change is not ServiceStateChange.Removed:
                info = AsyncServiceInfo(service_type, name)
                if not await info.async_request(aiozc.zeroconf, 3000):
                    return
                event.update(
                    host=info.server,
                    port=info.port,
                    addresses=info.parsed_scoped_addresses(),
                    txt=info.decoded_properties,
                )
            print(json.dumps(event), flush=True)

        def on_change(zeroconf, service_type, name, state_change):
            if not RESOLVE:
                print(json.dumps({"event": state_change.name.lower(), "type": service_type,
                                  "name": name}), flush=True)
                return
            task = asyncio.ensure_future(report(service_type, name, state_change))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        browser = AsyncServiceBrowser(aiozc.zeroconf, TYPES, handlers=[on_change])
        print(json.dumps({"event": "ready"}), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.read()
        await browser.async_cancel()
        await aiozc.async_close()

    asyncio.run(main())
    """
)


def watcher_argv(resolve: bool = False) -> list[str]:
    return [sys.executable, "-c", WATCHER, *(["--resolve"] if resolve else [])]


def child_env() -> dict[str, str]:
    """This checkout's kiosk (whatever the venv has installed), unbuffered output, and
    none of the caller's KIOSK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env
