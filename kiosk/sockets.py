"""WebSocket endpoints: one handler shape for every dialect, and the route table.

The handler authenticates, validates the path, registers the socket with the hub,
hands it to its dialect, and always unregisters it, however the socket ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from kiosk import services
from kiosk.api import PRINCIPAL, TOKEN_ERROR, origin_ok
from kiosk.auth import TokenBucket
from kiosk.dialects.appointments import Appointments
from kiosk.dialects.base import Session
from kiosk.dialects.central import Central
from kiosk.dialects.channels import CLOSE_POLICY, Channels, envelope
from kiosk.dialects.rooms import Rooms
from kiosk.dialects.shop_queue import CLOSE_UNKNOWN_SHOP, ShopQueue
from kiosk.errors import NotFound
from kiosk.hub import Conn, Hub
from kiosk.keys import CONFIG, DB, HUB, RUNTIME

log = logging.getLogger(__name__)


SHOP_QUEUE_000 = ShopQueue(with_new_entry=False)
SHOP_QUEUE_001 = ShopQueue(with_new_entry=True)
APPOINTMENTS = Appointments()
CENTRAL = Central(per_doctor=False)
CENTRAL_DOCTOR = Central(per_doctor=True)
ROOMS = Rooms()
CHANNELS = Channels()
DIALECTS = (SHOP_QUEUE_000, SHOP_QUEUE_001, APPOINTMENTS, CENTRAL, CENTRAL_DOCTOR, ROOMS, CHANNELS)


def _int_param(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        return None
    return int(raw)


class _Presence:
    """Counts each user's open sockets, to announce the first open and last close."""

    def __init__(self) -> None:
        self.sockets: Counter[int] = Counter()

    def opened(self, hub: Hub, conn: Conn) -> None:
        if conn.user_id is None:
            return
        self.sockets[conn.user_id] += 1
        if self.sockets[conn.user_id] == 1:
            ROOMS.presence(hub, conn, connected=True)

    def closed(self, hub: Hub, conn: Conn) -> None:
        if conn.user_id is None:
            return
        self.sockets[conn.user_id] -= 1
        if self.sockets[conn.user_id] <= 0:
            del self.sockets[conn.user_id]
            ROOMS.presence(hub, conn, connected=False)


PRESENCE = web.AppKey("presence", _Presence)


async def _serve(request: web.Request, dialect, **params: Any) -> web.WebSocketResponse:
    app = request.app
    limits = app[RUNTIME].settings.limits
    if not origin_ok(request):
        # Cross-site WebSocket hijacking: a page on another site would ride on this
        # browser's cookie. Refused before the upgrade (SPEC §8: HTTP 403).
        raise web.HTTPForbidden(text="pages from this origin may not open sockets here")
    address = request.remote or "?"
    per_address = app[SOCKETS_PER_ADDRESS]
    if per_address[address] >= limits.ws_per_address:
        raise web.HTTPTooManyRequests(
            text=f"at most {limits.ws_per_address} sockets per address",
            headers={"Retry-After": "10"},
        )
    ws = web.WebSocketResponse(
        # The hub pings every socket from one timer and closes those that miss two
        # (cheaper than a timer per socket); so we see pongs ourselves.
        autoping=False,
        # Up to the limit is fine, one byte more is closed with 1009; aiohttp refuses a
        # message of exactly max_msg_size, hence the + 1 (issue #3).
        max_msg_size=limits.ws_message_bytes + 1,
        compress=False,  # per-socket deflate costs ~10x CPU and memory at hundreds of screens
    )
    await ws.prepare(request)
    per_address[address] += 1
    try:
        return await _converse(request, ws, dialect, params)
    finally:
        per_address[address] -= 1
        if per_address[address] <= 0:
            del per_address[address]


async def _converse(
    request: web.Request, ws: web.WebSocketResponse, dialect, params: dict[str, Any]
) -> web.WebSocketResponse:
    app = request.app
    hub = app[HUB]
    principal = request[PRINCIPAL]
    conn = Conn(ws, request.transport, dialect.name, principal, request.remote, dialect.overflow)
    since = _int_param(request.query.get("since"))
    session = Session(hub, conn, request, app[DB].run, since, params)

    token_error = request.get(TOKEN_ERROR)
    if token_error or (dialect is CHANNELS and principal.anonymous):
        reason = token_error or "this socket needs a token: /ws?token=..."
        if dialect is CHANNELS:
            await ws.send_json(
                envelope("connection:error", {"code": "unauthorized", "message": reason})
            )
        await ws.close(code=CLOSE_POLICY, message=reason.encode()[:120])
        return ws
    if "since" in request.query and since is None:
        hub.send(conn, _error(dialect, "bad_since", "since must be a non-negative integer seq"))

    hub.attach(conn)
    app[PRESENCE].opened(hub, conn)
    try:
        if not await _path_is_known(session, dialect, params):
            await ws.close(code=CLOSE_UNKNOWN_SHOP, message=b"unknown shop or provider")
            return ws
        await dialect.open(session, **_open_args(dialect, params))
        bucket = TokenBucket(app[RUNTIME].settings.limits.ws_burst)
        async for msg in ws:
            conn.missed_heartbeats = 0  # anything from the peer proves it is alive
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
                continue
            if msg.type is WSMsgType.PONG:
                continue
            limits = app[RUNTIME].settings.limits
            if not bucket.take(limits.ws_messages_per_s, limits.ws_burst):
                hub.detach(conn)
                await ws.close(code=CLOSE_POLICY, message=b"too many messages")
                break
            if msg.type is WSMsgType.TEXT:
                await dialect.receive(session, msg.data)
            elif msg.type is WSMsgType.BINARY:
                hub.send(conn, _error(dialect, "binary", "send text (JSON), not binary"))
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        hub.detach(conn)
        app[PRESENCE].closed(hub, conn)
    return ws


def _error(dialect, code: str, message: str) -> dict[str, Any]:
    """An error in the socket's own dialect (channels errors are envelopes, SPEC §8)."""
    if dialect is CHANNELS:
        return envelope("error", {"code": code, "message": message})
    return {"type": "error", "code": code, "message": message}


async def _path_is_known(session: Session, dialect, params: dict[str, Any]) -> bool:
    try:
        if "shop_id" in params:
            if params["shop_id"] is None:
                return False
            await session.read(services.read_shop, params["shop_id"])
        if "provider_id" in params:
            if params["provider_id"] is None:
                return False
            await session.read(services.read_provider, params["provider_id"])
    except NotFound:
        return False
    return True


def _open_args(dialect, params: dict[str, Any]) -> dict[str, Any]:
    if dialect in (SHOP_QUEUE_000, SHOP_QUEUE_001):
        return {"shop_id": params["shop_id"]}
    if dialect is APPOINTMENTS:
        return {"shop_id": params["shop_id"], "day": params.get("day")}
    return {}


async def shop_queue_000(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, SHOP_QUEUE_000, shop_id=_int_param(request.match_info["shop_id"]))


async def shop_queue_001(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, SHOP_QUEUE_001, shop_id=_int_param(request.match_info["shop_id"]))


async def appointments(request: web.Request) -> web.WebSocketResponse:
    return await _serve(
        request,
        APPOINTMENTS,
        shop_id=_int_param(request.match_info["shop_id"]),
        day=request.query.get("date"),
    )


async def central(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, CENTRAL)


async def central_doctor(request: web.Request) -> web.WebSocketResponse:
    return await _serve(
        request, CENTRAL_DOCTOR, provider_id=_int_param(request.match_info["provider_id"])
    )


async def rooms(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, ROOMS)


async def channels(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, CHANNELS)


async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """The periodic full refresh of seed 000 and the heartbeat of every socket."""
    chores = [
        asyncio.create_task(_refresh_forever(app[HUB], app[CONFIG].refresh_s)),
        asyncio.create_task(_heartbeat_forever(app)),
    ]
    try:
        yield
    finally:
        for chore in chores:
            chore.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*chores)


async def _heartbeat_forever(app: web.Application) -> None:
    # Short ticks, so a changed interval takes effect at once, not after the old one.
    last = asyncio.get_running_loop().time()
    while True:
        interval = app[RUNTIME].settings.limits.heartbeat_s
        await asyncio.sleep(min(interval, 1.0))
        now = asyncio.get_running_loop().time()
        if now - last >= interval:
            last = now
            app[HUB].heartbeat()


async def _refresh_forever(hub: Hub, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        for topic in list(hub.topics_of(SHOP_QUEUE_000.name, SHOP_QUEUE_001.name)):
            hub.refresh(topic)


async def _going_away(app: web.Application) -> None:
    await app[HUB].close_all()


SOCKETS_PER_ADDRESS = web.AppKey("sockets_per_address", Counter)


def bind(app: web.Application) -> None:
    app[PRESENCE] = _Presence()
    app[SOCKETS_PER_ADDRESS] = Counter()
    app.on_shutdown.append(_going_away)
    r = app.router
    r.add_get("/ws/queue/{shop_id}", shop_queue_000)
    r.add_get("/ws/queue/{shop_id}/", shop_queue_001)
    r.add_get("/ws/appointments/{shop_id}", appointments)
    r.add_get("/ws/appointments/{shop_id}/", appointments)
    r.add_get("/api/v1/ws/queue", central)
    r.add_get("/api/v1/ws/queue/{provider_id}", central_doctor)
    r.add_get("/ws/connect", rooms)
    r.add_get("/ws", channels)
