"""Does the one-file binary print? Network printing from `dist/kiosk` to a fake printer.

    python packaging/check_printing.py [dist/kiosk]

Starts the binary from an empty HOME and TMPDIR (as a shop PC's first double-click),
makes an admin and a kiosk token with the binary itself, points the printer setting at
a fake ESC/POS printer on 127.0.0.1 (tests/fake_printer.py), has the kiosk join, and
decodes what the printer received (tests/escpos_decode.py). It then checks that
python-escpos's profile cache went to the data folder, not into the unpack folder, and
that an offline printer is reported as such. Prints what it saw; exits 1 on a miss.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fake_printer import FakePrinter, offline_port  # noqa: E402

DEFAULT_BINARY = REPO / "dist" / ("kiosk.exe" if sys.platform == "win32" else "kiosk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, token: str, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise SystemExit(f"MISS: {what} within {timeout}s")


def printer_state(port: int, token: str, status: str) -> dict:
    def read():
        state = call(port, "GET", "/api/v1/printer", token)[1]
        return state if state["status"] == status else None

    return wait_for(read, 15, f"printer state {status}")


def main(binary: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home, tmpdir, data = Path(tmp, "home"), Path(tmp, "tmp"), Path(tmp, "data")
        for folder in (home, tmpdir):
            folder.mkdir()
        env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmpdir)}

        def token(role: str) -> str:
            out = subprocess.run(
                [str(binary), "token", "create", "--role", role, "--data-dir", str(data)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            return out.stdout.strip().splitlines()[-1]

        admin, kiosk = token("admin"), token("kiosk")
        port = free_port()
        server = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data),
                "--no-mdns",
                "--no-browser",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:

            def healthy():
                try:
                    return call(port, "GET", "/api/v1/health", admin)[0] == 200
                except OSError:
                    return False

            wait_for(healthy, 30, "the binary answering")
            with FakePrinter("ok") as printer:
                setting = {
                    "kind": "network",
                    "host": "127.0.0.1",
                    "port": printer.port,
                    "auto_print": True,
                    "width_mm": 80,
                    "header": "Binary check",
                }
                status, _ = call(port, "PATCH", "/api/v1/settings", admin, {"printer": setting})
                assert status == 200, status
                started = time.monotonic()
                status, entry = call(
                    port, "POST", "/api/v1/shops/1/queue", kiosk, {"full_name": "Bina Ry"}
                )
                answered = time.monotonic() - started
                assert status == 201 and entry["print"] == {"status": "queued"}, entry
                [job] = printer.wait_for_jobs(1, timeout=15)
                ticket = job.ticket()
                print(
                    f"join answered in {answered * 1000:.0f} ms; the printer got "
                    f"{len(job.data)} bytes"
                )
                print("decoded lines:", ticket.lines)
                print("QR:", ticket.qr_codes, "cuts:", ticket.cuts)
                assert entry["ticket"] in ticket.lines and "Binary check" in ticket.lines
                assert (
                    ticket.qr_codes == [ticket.qr_codes[0]] and entry["claim"] in ticket.qr_codes[0]
                )
                state = printer_state(port, admin, "ok")
                print("GET /api/v1/printer:", state)
            cache = sorted(p.name for p in (data / "cache" / "escpos").glob("*"))
            print("escpos cache in the data folder:", cache)
            assert any(name.endswith("capabilities.pickle") for name in cache), cache
            leftovers = [p.name for p in tmpdir.iterdir()]
            print("TMPDIR while running:", leftovers)
            setting = {"kind": "network", "host": "127.0.0.1", "port": offline_port()}
            call(port, "PATCH", "/api/v1/settings", admin, {"printer": setting})
            call(port, "POST", "/api/v1/shops/1/queue", kiosk, {"full_name": "Off Line"})
            state = printer_state(port, admin, "offline")
            print("offline printer:", state["status"], "-", state["message"])
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
        print("TMPDIR after stop:", [p.name for p in tmpdir.iterdir()])
    print("OK: network printing works from the binary")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BINARY)
