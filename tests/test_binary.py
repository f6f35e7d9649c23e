"""The one-file binary built from kiosk.spec works the way a shop owner runs it.

Built once per session with PyInstaller (installed into this venv when missing),
then started from an EMPTY home folder, as on a PC that never ran it: it must
serve the pages it carries, take a customer over the real API and socket, keep
them across a SIGTERM and a restart, keep its database in the per-user data
folder under that home, and write nothing inside the folder it unpacks itself
into (a one-file build deletes that folder on exit).

This is CI's proof that the binary works, so it runs in the plain
``python -m pytest``; the build takes about half a minute on an idle machine.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from kiosk import __version__
from kiosk.http.pages import PAGES
from tests import netns
from tests.kiosk_harness import Client
from tests.netns import NsProcess

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web"
PYINSTALLER_REQUIREMENT = "pyinstaller>=6.10,<7"
BUILD_TIMEOUT_S = 600
START_TIMEOUT_S = 30
# What a one-file bootloader unpacks to disk: binaries, data files, symlinks.
# Python modules stay inside the executable (typecodes in PyInstaller's CArchive).
UNPACKED_TYPECODES = {"b", "x", "n"}

if sys.platform.startswith("linux"):
    DATA_SUBDIR = Path(".local/share/queue-kiosk")
elif sys.platform == "darwin":
    DATA_SUBDIR = Path("Library/Application Support/queue-kiosk")
else:
    DATA_SUBDIR = None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(BUILD_TIMEOUT_S),  # the first test also waits for the build
    pytest.mark.skipif(DATA_SUBDIR is None, reason="the test drives the binary with SIGTERM"),
]


# ---------------------------------------------------------------- building


def _ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is not None:
        return
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", PYINSTALLER_REQUIREMENT],
        check=True,
        timeout=BUILD_TIMEOUT_S,
    )
    importlib.invalidate_caches()


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The binary, built from this checkout's kiosk.spec into a temp folder."""
    _ensure_pyinstaller()
    root = tmp_path_factory.mktemp("pyinstaller")
    # A cache of our own: never share (or --clean away) another build's cache.
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(root / "cache")}
    began = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(REPO / "kiosk.spec"),
            "--noconfirm",
            "--distpath",
            str(root / "dist"),
            "--workpath",
            str(root / "work"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if result.returncode != 0:
        pytest.fail(f"PyInstaller failed ({result.returncode}):\n{result.stderr[-4000:]}")
    path = root / "dist" / ("kiosk.exe" if sys.platform == "win32" else "kiosk")
    assert path.is_file(), result.stderr[-2000:]
    print(f"\nbuilt {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - began:.0f}s")
    return path


def bundled_files(binary: Path) -> set[str]:
    """The relative paths the bootloader extracts, read from the binary's own table."""
    from PyInstaller.archive.readers import CArchiveReader

    toc = CArchiveReader(str(binary)).toc
    return {
        name.replace("\\", "/") for name, entry in toc.items() if entry[4] in UNPACKED_TYPECODES
    }


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and symlink under ``root``: relative path -> (size, mtime in ns)."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            st = path.lstat()
            found[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


# ---------------------------------------------------------------- running


@dataclass
class Machine:
    """A user account that never ran the appliance: an empty HOME and its own TMPDIR."""

    root: Path
    runs: int = 0

    @property
    def home(self) -> Path:
        return self.root / "home"

    def env(self, tmpdir: Path) -> dict[str, str]:
        # Built from scratch, not os.environ: no XDG_* or KIOSK_* variables may
        # steer the binary; it must find its data folder from HOME alone.
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "TMPDIR": str(tmpdir),
            "LANG": "C.UTF-8",
        }

    def unpack_root(self, label: str) -> Path:
        """A fresh TMPDIR per process, so each one's unpack folder is unmistakable."""
        self.runs += 1
        path = self.root / f"tmp-{self.runs}-{label}"
        path.mkdir(parents=True)
        return path

    def run(self, binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
        tmpdir = self.unpack_root(args[0])
        result = subprocess.run(
            [str(binary), *args],
            env=self.env(tmpdir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert list(tmpdir.iterdir()) == [], "a finished command left its unpack folder behind"
        return result


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    tmpdir: Path
    port: int = 0
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    stderr_path: Path | None = None

    def next_line(self, deadline: float) -> str | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            return self.lines.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError from None

    @property
    def unpack_dir(self) -> Path:
        found = list(self.tmpdir.glob("_MEI*"))
        assert len(found) == 1, f"expected one unpack folder in {self.tmpdir}, found {found}"
        return found[0]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-4000:] if self.stderr_path else ""

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)


def start(machine: Machine, binary: Path) -> Running:
    tmpdir = machine.unpack_root("serve")
    stderr_path = machine.root / f"serve-{machine.runs}.log"
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [
                str(binary),
                "serve",
                "--no-browser",
                "--no-mdns",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=machine.env(tmpdir),
        )
    running = Running(proc, tmpdir, stderr_path=stderr_path)

    def pump() -> None:  # drain stdout so the child never blocks on a full pipe
        assert proc.stdout is not None
        for raw in proc.stdout:
            running.lines.put(raw.decode(errors="replace").rstrip("\n"))
        running.lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            line = running.next_line(deadline)
            if line is None:
                raise AssertionError(
                    f"binary exited ({proc.wait()}) before serving:\n{running.stderr()}"
                )
            if line.startswith("Serving on http://"):
                running.port = int(line.rsplit(":", 1)[1])
                return running
    except BaseException:
        proc.kill()
        proc.wait()
        raise


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    m = Machine(tmp_path)
    m.home.mkdir()
    yield m


# ---------------------------------------------------------------- the checks


async def join_while_watching(port: int, token: str, full_name: str) -> dict:
    """Open the shop's queue socket, join a customer, return the update that shows them."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"ws://127.0.0.1:{port}/ws/queue/1", heartbeat=None) as ws,
    ):
        first = await ws.receive_json(timeout=10)
        assert first["type"] == "queue_update" and first["shop_id"] == 1
        async with session.post(
            f"http://127.0.0.1:{port}/api/v1/shops/1/queue",
            json={"full_name": full_name},
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            assert resp.status == 201, await resp.text()
            joined = await resp.json()
        async with asyncio.timeout(10):
            while True:
                update = await ws.receive_json()
                if update["type"] == "queue_update" and any(
                    item["ticket"] == joined["ticket"] for item in update["queue_items"]
                ):
                    return {"joined": joined, "update": update}


def test_binary_serves_from_an_empty_home_and_keeps_a_customer_across_restart(
    binary: Path, machine: Machine
) -> None:
    expected_files = bundled_files(binary)
    assert "web/index.html" in expected_files, "web/ is not inside the bundle"
    data_dir = machine.home / DATA_SUBDIR

    first = start(machine, binary)
    try:
        unpack_dir = first.unpack_dir
        unpacked = tree(unpack_dir)
        assert set(unpacked) == expected_files, (
            f"unexpected files in the unpack folder: {set(unpacked) - expected_files}"
        )
        client = Client(first.port, timeout=10)

        health = client.get("/api/v1/health")
        assert health.status == 200 and health.body["status"] == "ok"
        assert health.body["version"] == __version__
        index = client.get("/")
        assert index.status == 200
        assert index.raw == (WEB / "index.html").read_bytes(), "/ is not the bundled web/index.html"
        # Pages are still being written: every one that exists in web/ must be served.
        for route, filename in PAGES.items():
            if (WEB / filename).is_file():
                assert client.get(route).status == 200, route
        for folder in ("lib", "vendor", "assets"):
            sample = next(
                (
                    p
                    for p in sorted((WEB / folder).rglob("*"))
                    if p.is_file() and not p.name.startswith(".")
                ),
                None,
            )
            if sample is not None:
                url = "/" + sample.relative_to(WEB).as_posix()
                got = client.get(url)
                assert got.status == 200 and got.raw == sample.read_bytes(), url

        # The binary's own `token create`, same HOME, no --data-dir: it must find
        # the same default data folder the server uses.
        made = machine.run(binary, "token", "create", "--role", "kiosk", "--name", "front")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]

        seen = asyncio.run(join_while_watching(first.port, token, "Binary Tester"))
        ticket = seen["joined"]["ticket"]
        shown = next(i for i in seen["update"]["queue_items"] if i["ticket"] == ticket)
        assert shown["full_name"] == "Binary T."  # the socket has the display audience

        assert tree(unpack_dir) == unpacked, "the binary wrote inside its unpack folder"
        assert first.stop() == 0, first.stderr()
    finally:
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait()
    assert not unpack_dir.exists(), "the unpack folder outlived a clean stop"

    # Data went to the per-user folder under this HOME, and nowhere else.
    assert (data_dir / "kiosk.sqlite3").is_file(), sorted(machine.home.rglob("*"))
    outside = [p for p in machine.home.rglob("*") if p.is_file() and data_dir not in p.parents]
    assert outside == [], f"files written outside {data_dir}: {outside}"

    again = start(machine, binary)
    try:
        queue_now = Client(again.port, timeout=10).get("/api/v1/shops/1/queue")
        assert queue_now.status == 200
        assert [(i["ticket"], i["full_name"]) for i in queue_now.body["queue_items"]] == [
            (ticket, "Binary T.")
        ]
        assert set(tree(again.unpack_dir)) == expected_files
        assert again.stop() == 0, again.stderr()
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
            again.proc.wait()


def test_binary_version_token_and_backup_commands(binary: Path, machine: Machine) -> None:
    version = machine.run(binary, "--version")
    assert version.returncode == 0 and version.stdout.startswith("kiosk ")

    missing = machine.run(binary, "backup", str(machine.root / "copy.sqlite3"))
    assert missing.returncode == 1 and "no database" in missing.stderr

    made = machine.run(binary, "token", "create", "--role", "staff")
    assert made.returncode == 0, made.stderr
    copy = machine.root / "copy.sqlite3"
    saved = machine.run(binary, "backup", str(copy))
    assert saved.returncode == 0, saved.stderr
    assert copy.is_file() and copy.stat().st_size > 0


def test_binary_double_click_serves_on_the_lan_opens_a_clean_browser_and_is_discovered(
    binary: Path, machine: Machine
) -> None:
    """`kiosk` with no arguments, as a double-click runs it, in a throwaway network
    namespace (it serves on 0.0.0.0:8000 with mDNS on, never on the host's LAN).

    zeroconf is mostly Cython modules whose imports PyInstaller cannot see, so
    registering and browsing with the frozen build is the proof they are bundled.
    The browser it opens must get the system's libraries, not the bundle's: the
    bootloader points LD_LIBRARY_PATH at the unpack folder, and a system browser
    (or the /bin/sh of xdg-open) loading our libstdc++/libssl copies can crash.
    """
    browser_log = machine.root / "browser.txt"
    browser = machine.root / "browser.sh"
    browser.write_text(
        f'#!/bin/sh\n{{ echo "URL=$1"; env; }} > "{browser_log}.part"\n'
        f'mv "{browser_log}.part" "{browser_log}"\n'
    )
    browser.chmod(0o755)
    with netns.lab() as lab:
        shop_pc, tablet = lab.pair()
        tmpdir = machine.unpack_root("double-click")
        appliance = NsProcess(
            shop_pc, [str(binary)], {**machine.env(tmpdir), "BROWSER": f"{browser} %s"}
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not browser_log.exists() or "mDNS: registered" not in appliance.stderr_tail():
                assert appliance.proc.poll() is None, appliance.stderr_tail()
                assert time.monotonic() < deadline, appliance.stderr_tail()
                time.sleep(0.05)  # polling for the browser and the log, with a deadline
            opened = browser_log.read_text().splitlines()
            # First run: the browser on the PC gets the one-time set-up link.
            assert opened[0].startswith("URL=http://127.0.0.1:8000/admin?setup="), opened[0]
            library_path = [ln for ln in opened if ln.startswith("LD_LIBRARY_PATH=")]
            assert not any(str(tmpdir) in ln for ln in library_path), library_path

            result = subprocess.run(
                ["ip", "netns", "exec", tablet.name, str(binary), "discover", "--timeout", "3"],
                env=machine.env(machine.unpack_root("discover")),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
            found = [ln.split("\t") for ln in result.stdout.splitlines()]
            assert len(found) == 1, result.stdout
            assert found[0][1] == f"{shop_pc.addresses[0]}:8000", found
            assert "shop=1" in found[0] and any(f.startswith("version=") for f in found[0])

            appliance.proc.send_signal(signal.SIGTERM)
            assert appliance.proc.wait(timeout=20) == 0, appliance.stderr_tail()
        finally:
            appliance.cleanup()
    assert list(tmpdir.iterdir()) == [], "the unpack folder outlived a clean stop"
