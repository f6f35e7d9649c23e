"""The practical floor for a broadcast on this machine: a minimal aiohttp server that
sends one pre-built string to every socket, nothing else (no database, no rendering).

    python -m tests.bench.floor_server PORT SIZE
"""

from __future__ import annotations

import contextlib
import sys

from aiohttp import web

SOCKETS = web.AppKey("sockets", set)


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    try:
        async for _ in ws:
            pass
    finally:
        request.app[SOCKETS].discard(ws)
    return ws


async def go(request: web.Request) -> web.Response:
    seq = int(request.query["seq"])
    text = request.app["template"].replace("SEQ_MARK", f'"seq":{seq:010d}', 1)
    for ws in list(request.app[SOCKETS]):
        with contextlib.suppress(ConnectionError):
            await ws.send_str(text)
    return web.json_response({"seq": seq})


def main() -> None:
    port, size = int(sys.argv[1]), int(sys.argv[2])
    app = web.Application()
    app[SOCKETS] = set()
    app["template"] = "{SEQ_MARK," + '"pad":"' + "x" * max(0, size - 40) + '"}'
    app.router.add_get("/ws", socket)
    app.router.add_post("/go", go)
    print(f"Serving on http://127.0.0.1:{port}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
