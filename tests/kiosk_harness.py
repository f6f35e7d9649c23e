"""Start the real appliance as a subprocess and talk to it over real sockets.

Shared by every test area: a server on 127.0.0.1 with a real SQLite file in a temp
dir, tokens made by the real `kiosk token create`, and a small HTTP client.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

START_TIMEOUT_S = 30


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes = b""

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None


def kiosk_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", *args]


def make_token(data_dir: Path, role: str, name: str | None = None) -> str:
    args = ["token", "create", "--role", role, "--data-dir", str(data_dir)]
    if name:
        args += ["--name", name]
    out = subprocess.run(kiosk_cmd(*args), capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    data_dir: Path
    extra_args: tuple[str, ...] = ()
    # Extra environment, e.g. libfaketime's LD_PRELOAD and FAKETIME for a fake clock, and
    # a wrapper command; it must exec the server (Debian's `faketime` forks and waits,
    # so a SIGTERM to it would never reach the server, which would outlive the test).
    cmd_prefix: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    port: int = 0
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, port: int = 0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [*self.cmd_prefix]
            + kiosk_cmd(
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port or self.port or 0),
                "--data-dir",
                str(self.data_dir),
                "--no-mdns",
                "--no-browser",
                *self.extra_args,
            ),
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
        )
        log.close()
        line = self._read_line_with_timeout(START_TIMEOUT_S)
        if not line.startswith("Serving on "):
            self.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{self.log_path.read_text()}")
        self.port = int(line.rsplit(":", 1)[1])
        # Keep draining stdout so the child never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    def _read_line_with_timeout(self, timeout: float) -> str:
        result: list[str] = []
        reader = threading.Thread(
            target=lambda: result.append(self.proc.stdout.readline().decode().strip()),
            daemon=True,
        )
        reader.start()
        reader.join(timeout)
        return result[0] if result else ""

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait: the appliance must exit 0 on its own."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def token(self, role: str) -> str:
        if role not in self.tokens:
            self.tokens[role] = make_token(self.data_dir, role, f"test {role}")
        return self.tokens[role]

    def client(self, role: str | None = None) -> Client:
        return Client(self.port, self.token(role) if role else None)


class Client:
    """A tiny HTTP client over http.client: real sockets, no magic, no retries."""

    def __init__(
        self, port: int, token: str | None = None, timeout: float = 30, source: str | None = None
    ):
        self.port = port
        self.token = token
        self.timeout = timeout
        # Connect from this loopback address (127.0.0.N), e.g. so per-address limits of
        # one test never eat another's budget.
        self.source = source

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Response:
        conn = http.client.HTTPConnection(
            "127.0.0.1",
            self.port,
            timeout=self.timeout,
            source_address=(self.source, 0) if self.source else None,
        )
        try:
            all_headers = {"Content-Type": "application/json"}
            bearer = token if token is not None else self.token
            if bearer:
                all_headers["Authorization"] = f"Bearer {bearer}"
            all_headers.update(headers or {})
            if json is not None:
                body = orjson.dumps(json)
            conn.request(method, path, body=body, headers=all_headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                parsed = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                parsed = None
            return Response(resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}, raw)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("PATCH", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Response:
        return self.request("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "") -> Any:
    """Poll a condition until it holds (never a bare sleep standing in for one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)
