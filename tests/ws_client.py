"""A small async WebSocket client for the socket tests: real aiohttp client sockets.

Every wait is a wait for a message (or a close) with a timeout, never a sleep
standing in for one. Each client keeps every message it received, parsed and raw,
so a test can search all of it afterwards (e.g. for a phone number that must never
reach an anonymous screen).

`server` is the harness's subprocess `Server` or an in-process `tests.inprocess.Kiosk`:
both have a `port` and a `token(role)`, and `http` sends each its own way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from tests.kiosk_harness import Response, Server

API = "/api/v1"
DEFAULT_TIMEOUT = 5.0
MAX_MESSAGES = 5000  # no wait loop reads more than this many messages
_names = itertools.count(1)

Predicate = Callable[[dict[str, Any]], bool]


class Closed(AssertionError):
    """The server closed the socket (or the connection dropped) while we waited."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"socket closed with code {code} {reason!r}")
        self.code = code
        self.reason = reason


class WS:
    """One client socket. `messages`/`raw` hold everything received so far, in order."""

    def __init__(
        self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, path: str
    ):
        self.session = session
        self.ws = ws
        self.path = path
        self.messages: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._read = 0  # index of the next message recv() hands out
        self.close_code: int | None = None
        self.close_reason: str = ""

    # ------------------------------------------------------------ connecting

    @classmethod
    async def connect(
        cls,
        server: Server,
        path: str,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        autoping: bool = True,
        **kw: Any,
    ) -> WS:
        session = aiohttp.ClientSession()
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            async with asyncio.timeout(timeout):
                ws = await session.ws_connect(
                    f"ws://127.0.0.1:{server.port}{path}",
                    headers=all_headers,
                    autoping=autoping,
                    heartbeat=None,
                    max_msg_size=0,
                    **kw,
                )
        except BaseException:
            await session.close()
            raise
        return cls(session, ws, path)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(DEFAULT_TIMEOUT):
                await self.ws.close()
        await self.session.close()

    async def __aenter__(self) -> WS:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ------------------------------------------------------------ sending

    async def send(self, body: Any) -> None:
        await self.ws.send_str(orjson.dumps(body).decode())

    async def send_text(self, text: str) -> None:
        await self.ws.send_str(text)

    async def send_binary(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    # ------------------------------------------------------------ receiving

    async def _next_frame(self, deadline: float) -> None:
        """Read one more message from the wire into `messages` (or raise Closed)."""
        if self.close_code is not None:
            raise Closed(self.close_code, self.close_reason)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        async with asyncio.timeout(remaining):
            msg = await self.ws.receive()
        if msg.type is aiohttp.WSMsgType.TEXT:
            self.raw.append(msg.data)
            self.messages.append(orjson.loads(msg.data))
            return
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        ):
            code = self.ws.close_code
            if msg.type is aiohttp.WSMsgType.CLOSE:
                code = msg.data
                self.close_reason = msg.extra or ""
            self.close_code = code if code is not None else -1
            raise Closed(self.close_code, self.close_reason)
        raise AssertionError(f"unexpected frame from the server: {msg.type} {msg.data!r}")

    async def recv(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The next message not handed out yet."""
        deadline = time.monotonic() + timeout
        while self._read >= len(self.messages):
            try:
                await self._next_frame(deadline)
            except TimeoutError:
                raise AssertionError(
                    f"{self.path}: no message within {timeout}s; so far: {self._tail()}"
                ) from None
        self._read += 1
        return self.messages[self._read - 1]

    async def until(
        self, predicate: Predicate, timeout: float = DEFAULT_TIMEOUT, what: str = ""
    ) -> list[dict[str, Any]]:
        """Messages from the next unread one up to and including the first that matches."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        for _ in range(MAX_MESSAGES):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = await self.recv(remaining)
            except AssertionError as exc:
                if isinstance(exc, Closed):
                    raise
                break
            seen.append(message)
            if predicate(message):
                return seen
        raise AssertionError(
            f"{self.path}: no message {what or predicate} within {timeout}s; "
            f"got {[m.get('type') for m in seen][-30:]}"
        )

    async def expect(
        self, type: str, timeout: float = DEFAULT_TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """The next message; it must have this type (and these top-level values)."""
        message = await self.recv(timeout)
        assert message.get("type") == type, (self.path, type, message)
        for key, value in match.items():
            assert message.get(key) == value, (key, value, message)
        return message

    async def wait_for(
        self, type: str, timeout: float = DEFAULT_TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """Skip ahead to the first message of this type (and these values)."""

        def hit(m: dict[str, Any]) -> bool:
            return m.get("type") == type and all(m.get(k) == v for k, v in match.items())

        return (await self.until(hit, timeout, what=f"{type} {match}"))[-1]

    async def closed(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Read until the server closes the socket; its close code."""
        deadline = time.monotonic() + timeout
        for _ in range(MAX_MESSAGES):
            try:
                await self._next_frame(deadline)
            except Closed as closed:
                return closed.code
            except TimeoutError:
                break
        raise AssertionError(f"{self.path}: still open after {timeout}s; got {self._tail()}")

    def types(self) -> list[str]:
        return [m.get("type") for m in self.messages]

    def _tail(self) -> list[Any]:
        return [m.get("type") for m in self.messages[-20:]]


# ---------------------------------------------------------------- the HTTP side, async


async def http(
    server: Server,
    method: str,
    path: str,
    json: Any = None,
    role: str | None = "staff",
    token: str | None = None,
) -> Response:
    """One request. A subprocess server gets the harness's blocking client, run in a
    thread so sockets keep reading; an in-process one (tests/inprocess.py) its own
    aiohttp test client."""
    if not isinstance(server, Server):
        return await server.request(method, path, json, role=role, token=token)
    client = server.client(role) if token is None else server.client(None)
    return await asyncio.to_thread(client.request, method, path, json, token=token)


# ---------------------------------------------------------------- shops, queues, events


async def ok(
    server: Server,
    method: str,
    path: str,
    body: Any = None,
    role: str | None = "staff",
    status: int | None = None,
) -> dict[str, Any]:
    """The body of a request that must succeed (201 for a POST, else 200 unless told)."""
    resp = await http(server, method, path, body, role=role)
    expected = status or (201 if method == "POST" else 200)
    assert resp.status == expected, (method, path, resp.status, resp.raw[:500])
    return resp.body


async def new_shop(server: Server) -> dict[str, Any]:
    return await ok(
        server,
        "POST",
        f"{API}/shops",
        {"name": f"WS shop {next(_names)}", "timezone": "UTC"},
        role="admin",
    )


async def new_provider(server: Server, shop_id: int, name: str | None = None) -> dict[str, Any]:
    name = name or f"Chair {next(_names)}"
    return await ok(
        server,
        "POST",
        f"{API}/shops/{shop_id}/providers",
        {"name": name, "code": name[:3].upper(), "specialty": "cuts"},
        role="admin",
    )


async def join(
    server: Server, shop_id: int, name: str | None = None, role: str = "kiosk", **fields: Any
) -> dict[str, Any]:
    body = {"full_name": name or f"Walker {next(_names)} Smith", **fields}
    return await ok(server, "POST", f"{API}/shops/{shop_id}/queue", body, role=role)


async def patch_entry(server: Server, entry_id: int, **body: Any) -> dict[str, Any]:
    return await ok(server, "PATCH", f"{API}/queue/{entry_id}", body)


async def book(
    server: Server, provider: dict, day: str, name: str = "Jane Ann Roe", phone: str = "555-7777"
) -> dict[str, Any]:
    return await ok(
        server,
        "POST",
        f"{API}/appointments",
        {
            "provider_id": provider["id"],
            "date": day,
            "patient": {"name": name, "phone": phone, "age": 41, "gender": "f"},
        },
    )


async def relay(server: Server, type: str = "order_created", **body: Any) -> dict[str, Any]:
    return await ok(server, "POST", f"{API}/events", {"type": type, **body})


async def today_of(server: Server, shop_id: int) -> str:
    queue = await ok(server, "GET", f"{API}/shops/{shop_id}/queue")
    return queue["appointments_today"]["date"]


def entry_in(update: dict[str, Any], entry_id: int) -> dict[str, Any] | None:
    return next((e for e in update["queue_items"] if e["id"] == entry_id), None)


async def stats(server: Server) -> dict[str, Any]:
    resp = await http(server, "GET", "/ws/stats")
    assert resp.status == 200, resp.raw
    return resp.body


async def eventually(
    predicate: Callable[[], Any],
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.02,
    what: str = "",
) -> Any:
    """Poll an async or sync condition (e.g. a stats count) until it holds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(what or f"condition not met within {timeout}s (last: {last!r})")
        await asyncio.sleep(interval)  # a poll interval, not a stand-in for the condition
