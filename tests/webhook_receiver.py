"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every POST
and answers the status a test sets (SPEC §15), and what an integrator does to check a
delivery's signature.

    pytest_plugins = ("tests.webhook_receiver",)  # the fixture `receiver`

PYTEST_DONT_REWRITE: loaded as a plugin after test modules import it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest


@dataclass
class Receiver:
    """A real HTTP server that records every POST and answers `status` (settable)."""

    status: int = 200
    hold: threading.Event | None = None  # set: answer at once; clear: hang until set
    got: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def seen(self, status: int | None = None) -> list[dict[str, Any]]:
        return [g for g in self.got if status is None or g["answered"] == status]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if state.hold is not None:
                state.hold.wait(30)
            status = state.status
            state.got.append(
                {
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "raw": raw,
                    "body": orjson.loads(raw),
                    "answered": status,
                }
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        httpd.shutdown()
        httpd.server_close()


def verify(delivery: dict[str, Any], secret: str) -> bool:
    """What an integrator's receiver does (docs/webhooks.md)."""
    headers = delivery["headers"]
    signed = headers["x-kiosk-timestamp"].encode() + b"." + delivery["raw"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-kiosk-signature"])
