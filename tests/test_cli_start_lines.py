"""What the terminal says at start (SPEC §9), read from a real `python -m kiosk serve`.

Always two labelled lines, even on 127.0.0.1 with --no-mdns: where desk tablets and TVs
are paired (/admin) and where customers' phones go (/join). Under each, a QR code of it
when the appliance is reachable at a LAN address.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from kiosk.appliance import discovery
from tests.kiosk_harness import kiosk_cmd, wait_until

pytestmark = pytest.mark.timeout(120)

TABLETS = "Desk tablets and TVs: pair them from "
PHONES = "Customers' phones: "
QR_BLOCKS = set("▀▄█")


def start_lines(data_dir: Path, host: str, *extra: str) -> list[str]:
    """The server's stdout up to the end of its start-up text, then SIGTERM."""
    proc = subprocess.Popen(
        kiosk_cmd(
            "serve",
            "--host",
            host,
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--no-browser",
            *extra,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # The customers' line is the last one; its QR code is written in the same breath,
    # before the server can handle the SIGTERM, so reading to the end gets all of it.
    wait_until(
        lambda: proc.poll() is not None or any(line.startswith(PHONES) for line in lines),
        timeout=30,
        message=f"no start-up lines: {lines}",
    )
    assert proc.poll() is None, lines
    proc.terminate()
    assert proc.wait(15) == 0
    reader.join(5)
    assert not reader.is_alive()
    return lines


def qr_rows(lines: list[str], after: int) -> list[str]:
    rows = []
    for line in lines[after + 1 :]:
        if not line.strip() or set(line) - {" "} <= QR_BLOCKS | {" "}:
            rows.append(line)
        else:
            break
    return [r for r in rows if set(r) & QR_BLOCKS]


def test_loopback_without_mdns_still_prints_both_labelled_lines(tmp_path):
    lines = start_lines(tmp_path / "data", "127.0.0.1", "--no-mdns")
    serving = next(line for line in lines if line.startswith("Serving on "))
    base = serving.removeprefix("Serving on ")
    assert lines[0] == serving, "the first line stays the address (scripts read it)"
    assert lines[1].startswith("First run: "), "the owner's first step comes first"
    tablets = next(i for i, line in enumerate(lines) if line.startswith(TABLETS))
    phones = next(i for i, line in enumerate(lines) if line.startswith(PHONES))
    assert lines[tablets] == f"{TABLETS}{base}/admin"
    assert lines[phones] == f"{PHONES}{base}/join"
    # Nothing on the LAN can open 127.0.0.1: no QR code that would not work.
    assert qr_rows(lines, tablets) == [] and qr_rows(lines, phones) == []
    assert not any(set(line) & QR_BLOCKS for line in lines)


def test_on_the_lan_each_line_has_its_qr_code_under_it(tmp_path):
    addresses = discovery.lan_addresses()
    if not addresses:
        pytest.skip("this machine has no LAN address")
    lines = start_lines(tmp_path / "data", "0.0.0.0", "--no-mdns")
    port = int(lines[0].rsplit(":", 1)[1])
    base = discovery.primary_url(port)
    assert "127.0.0.1" not in base
    tablets = next(i for i, line in enumerate(lines) if line.startswith(TABLETS))
    phones = next(i for i, line in enumerate(lines) if line.startswith(PHONES))
    assert lines[tablets] == f"{TABLETS}{base}/admin"
    assert lines[phones] == f"{PHONES}{base}/join"
    assert tablets < phones
    for at, url in ((tablets, f"{base}/admin"), (phones, f"{base}/join")):
        drawn = qr_rows(lines, at)
        expected = [r for r in discovery.qr_terminal(url).splitlines() if set(r) & QR_BLOCKS]
        assert drawn == expected, f"the QR under line {at} is not the one of {url}"
