"""The appliance in this test's own event loop: `make_app` behind aiohttp's TestServer.

Unlike tests/kiosk_harness.py's subprocess, the hub and the database thread live in
the test's process, so a test can look at `app[HUB]` between two steps, hold a
snapshot read back, or call the heartbeat itself. Only `kiosk.app.make_app`,
`kiosk.config.Config` and the AppKeys of `kiosk.keys` are imported; everything else
goes over HTTP and WebSocket.

A `Kiosk` quacks like the harness's `Server` where the socket helpers need it
(`port`, `token(role)`, `data_dir`), so tests/ws_client.py serves both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kiosk.app import make_app
from kiosk.config import Config
from kiosk.keys import HUB
from tests.kiosk_harness import Response
from tests.ws_client import WS

API = "/api/v1"
ROLES = ("display", "kiosk", "staff", "admin")
OWNER_PIN = "424242"


@dataclass
class Kiosk:
    """One running in-process appliance, claimed, with a token per role."""

    app: web.Application
    client: TestClient
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    sockets: list[WS] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.client.server.port

    @property
    def hub(self):
        return self.app[HUB]

    def token(self, role: str) -> str:
        return self.tokens[role]

    async def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        role: str | None = "staff",
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = dict(headers or {})
        bearer = token if token is not None else (self.tokens[role] if role else None)
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        data = orjson.dumps(json) if json is not None else None
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        async with self.client.request(method, path, data=data, headers=all_headers) as resp:
            raw = await resp.read()
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = None
            return Response(resp.status, body, {k.lower(): v for k, v in resp.headers.items()}, raw)

    async def ws(self, path: str, token: str | None = None, **kw: Any) -> WS:
        """A client socket, closed when the appliance stops (if not before)."""
        sock = await WS.connect(self, path, token, **kw)
        self.sockets.append(sock)
        return sock


async def _claim(kiosk: Kiosk) -> None:
    """First run from loopback (the PC itself), then one API token per role."""
    origin = {"Origin": f"http://127.0.0.1:{kiosk.port}"}
    setup = await kiosk.request(
        "POST", f"{API}/auth/setup", {"pin": OWNER_PIN, "name": "Owner"}, role=None
    )
    assert setup.status in (200, 201), setup.raw
    # The owner's session cookie makes the tokens; afterwards nobody rides on it.
    for role in ROLES:
        made = await kiosk.request(
            "POST",
            f"{API}/tokens",
            {"role": role, "name": f"test {role}"},
            role=None,
            headers=origin,
        )
        assert made.status == 201, made.raw
        kiosk.tokens[role] = made.body["token"]
    kiosk.client.session.cookie_jar.clear()


@contextlib.asynccontextmanager
async def running(data_dir: Path, **config: Any) -> AsyncIterator[Kiosk]:
    """make_app(Config(...)) on 127.0.0.1, mDNS and browser off, the 30 s refresh
    pushed out of the way unless `refresh_s` is given."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = {"refresh_s": 3600.0, **config}
    cfg = Config(
        host="127.0.0.1", port=0, data_dir=data_dir, mdns=False, open_browser=False, **settings
    )
    client = TestClient(TestServer(make_app(cfg), host="127.0.0.1"))
    await client.start_server()
    kiosk = Kiosk(client.server.app, client, data_dir)
    try:
        await _claim(kiosk)
        yield kiosk
    finally:
        await asyncio.gather(*(sock.close() for sock in kiosk.sockets))
        await client.close()
