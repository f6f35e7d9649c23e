"""WebSocket endpoints: one handler shape for every dialect, and the socket routes.

The handler authenticates, validates the path, registers the socket with the hub,
hands it to its dialect, and always unregisters it, however the socket ends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType, web

from kiosk.domain.errors import NotFound
from kiosk.keys import DB, HTTP_CONNECTIONS, HUB, PRESENCE, RUNTIME, SOCKETS_PER_ADDRESS
from kiosk.realtime.conn import Conn
from kiosk.realtime.dialects.appointments import Appointments
from kiosk.realtime.dialects.base import Session, SocketDialect
from kiosk.realtime.dialects.central import Central
from kiosk.realtime.dialects.channels import Channels, envelope
from kiosk.realtime.dialects.rooms import Rooms
from kiosk.realtime.dialects.shop_queue import ShopQueue
from kiosk.realtime.frames import CLOSE_POLICY, CLOSE_REVOKED, CLOSE_UNKNOWN_SHOP
from kiosk.realtime.masking import MaskCheckedResponse
from kiosk.security.limits import TokenBucket
from kiosk.security.origins import origin_ok
from kiosk.security.principal import PRINCIPAL, TOKEN_ERROR
from kiosk.services import shops


def int_param(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        return None
    return int(raw)


async def _serve(request: web.Request, dialect_name: str, **params: Any) -> web.WebSocketResponse:
    app = request.app
    dialect = app[HUB].dialects[dialect_name]
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
    ws = MaskCheckedResponse(
        # The hub pings every socket from one timer and closes those that miss two
        # (cheaper than a timer per socket); so we see pongs ourselves.
        autoping=False,
        # Up to the limit is fine, one byte more is closed with 1009; aiohttp refuses a
        # message of exactly max_msg_size, hence the + 1 (issue #3).
        max_msg_size=limits.ws_message_bytes + 1,
        compress=False,  # per-socket deflate costs ~10x CPU and memory at hundreds of screens
    )
    try:
        await ws.prepare(request)
    except ConnectionError:
        # The client left during the handshake: nothing wrong here. A plain response in
        # place of the half-made socket is dropped quietly as a premature disconnection.
        return web.Response(status=400, text="the client left during the handshake")
    app[HTTP_CONNECTIONS].upgraded(request)  # counted under ws_per_address from here on
    per_address[address] += 1
    try:
        return await _converse(request, ws, dialect, params)
    finally:
        per_address[address] -= 1
        if per_address[address] <= 0:
            del per_address[address]


async def _converse(
    request: web.Request, ws: web.WebSocketResponse, dialect: SocketDialect, params: dict[str, Any]
) -> web.WebSocketResponse:
    app = request.app
    hub = app[HUB]
    principal = request[PRINCIPAL]
    conn = Conn(ws, request.transport, dialect.name, principal, request.remote, dialect.overflow)
    since = int_param(request.query.get("since"))
    session = Session(hub, conn, request, app[DB].run, since, params)

    token_error = request.get(TOKEN_ERROR)
    if token_error or (dialect.requires_token and principal.anonymous):
        reason = token_error or "this socket needs a token: /ws?token=..."
        if dialect.requires_token:
            await ws.send_json(
                envelope("connection:error", {"code": "unauthorized", "message": reason})
            )
        await ws.close(code=CLOSE_POLICY, message=reason.encode()[:120])
        return ws
    if "since" in request.query and since is None:
        hub.send(conn, dialect.error("bad_since", "since must be a non-negative integer seq"))

    hub.attach(conn)
    if hub.revoked(conn):  # revoked while this handshake was under way
        hub.detach(conn)
        await ws.close(code=CLOSE_REVOKED, message=b"token revoked")
        return ws
    app[PRESENCE].opened(hub, conn)
    try:
        if not await _path_is_known(session, params):
            await ws.close(code=CLOSE_UNKNOWN_SHOP, message=b"unknown shop or provider")
            return ws
        await dialect.open(session)
        bucket = TokenBucket(app[RUNTIME].settings.limits.ws_burst)
        async for msg in ws:
            conn.missed_heartbeats = 0  # anything from the peer proves it is alive
            if conn.closed:  # the hub is closing it (revoked, too far behind): just drain
                continue
            # Every frame takes a token, control frames too: a flood of pings costs us
            # a parse and a pong each, and 20 such sockets once starved every screen.
            limits = app[RUNTIME].settings.limits
            if not bucket.take(limits.ws_messages_per_s, limits.ws_burst):
                hub.detach(conn)
                await ws.close(code=CLOSE_POLICY, message=b"too many messages")
                break
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is WSMsgType.TEXT:
                await dialect.receive(session, msg.data)
            elif msg.type is WSMsgType.BINARY:
                hub.send(conn, dialect.error("binary", "send text (JSON), not binary"))
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        hub.detach(conn)
        app[PRESENCE].closed(hub, conn)
    return ws


async def _path_is_known(session: Session, params: dict[str, Any]) -> bool:
    try:
        if "shop_id" in params:
            if params["shop_id"] is None:
                return False
            await session.read(shops.read_shop, params["shop_id"])
        if "provider_id" in params:
            if params["provider_id"] is None:
                return False
            await session.read(shops.read_provider, params["provider_id"])
    except NotFound:
        return False
    return True


def _shop_queue(name: str):
    async def handler(request: web.Request) -> web.WebSocketResponse:
        return await _serve(request, name, shop_id=int_param(request.match_info["shop_id"]))

    return handler


async def appointments(request: web.Request) -> web.WebSocketResponse:
    return await _serve(
        request,
        Appointments.name,
        shop_id=int_param(request.match_info["shop_id"]),
        day=request.query.get("date"),
    )


async def central(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, Central.NAME)


async def central_doctor(request: web.Request) -> web.WebSocketResponse:
    return await _serve(
        request, Central.NAME_PER_DOCTOR, provider_id=int_param(request.match_info["provider_id"])
    )


async def rooms(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, Rooms.name)


async def channels(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, Channels.name)


async def _going_away(app: web.Application) -> None:
    await app[HUB].close_all()


def bind(app: web.Application) -> None:
    app.on_shutdown.append(_going_away)
    r = app.router
    r.add_get("/ws/queue/{shop_id}", _shop_queue(ShopQueue.NAME))
    r.add_get("/ws/queue/{shop_id}/", _shop_queue(ShopQueue.NAME_WITH_NEW_ENTRY))
    r.add_get("/ws/appointments/{shop_id}", appointments)
    r.add_get("/ws/appointments/{shop_id}/", appointments)
    r.add_get("/api/v1/ws/queue", central)
    r.add_get("/api/v1/ws/queue/{provider_id}", central_doctor)
    r.add_get("/ws/connect", rooms)
    r.add_get("/ws", channels)
