"""Size and cold start of the one-file binary, for the release note.

    python packaging/measure_start.py [dist/kiosk] [--runs 5]

Cold start = from spawning the binary to the first HTTP 200 on /api/v1/health,
polled every 5 ms on a port picked beforehand (so the figure does not depend on
when the program prints its address). Every run starts from an empty HOME and
an empty TMPDIR: the one-file bootloader unpacks itself afresh and the appliance
creates a new database, as on a shop PC's first double-click. A second series
restarts on the data the first run left, the everyday case. The OS file cache
is warm in both (the binary was just read), so a truly cold disk adds its read
time on top.

Wall time depends on what else the machine is doing; on Linux the script also
reports the CPU time the bootloader and the program had used by that first 200
(from /proc), which does not, and prints the load average so a busy machine's
figures can be told apart from a quiet one's.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BINARY = REPO / "dist" / ("kiosk.exe" if sys.platform == "win32" else "kiosk")
TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` and its descendants so far (Linux), else None."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total, stack = 0, [pid]
        while stack:
            current = stack.pop()
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    stack.extend(int(child) for child in f.read().split())
        return total / ticks
    except (OSError, ValueError, IndexError):
        return None


def one_start(binary: Path, home: Path, tmp: Path) -> tuple[float, float | None]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "USERPROFILE": str(home),  # Windows
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
    }
    began = time.perf_counter()
    proc = subprocess.Popen(
        [str(binary), "serve", "--no-browser", "--no-mdns",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        while not healthy(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with {proc.returncode} before serving")
            if time.perf_counter() - began > TIMEOUT_S:
                raise RuntimeError(f"no HTTP 200 within {TIMEOUT_S:.0f}s")
            time.sleep(0.005)  # poll interval, not a stand-in for a condition
        return time.perf_counter() - began, cpu_seconds(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM if sys.platform != "win32" else signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binary: Path = args.binary.resolve()
    if not binary.is_file():
        print(f"no binary at {binary}; run packaging/build.sh first", file=sys.stderr)
        return 1

    size = binary.stat().st_size
    first: list[tuple[float, float | None]] = []
    again: list[tuple[float, float | None]] = []
    for _ in range(args.runs):
        root = Path(tempfile.mkdtemp(prefix="kiosk-measure-"))
        try:
            (root / "home").mkdir()
            (root / "tmp").mkdir()
            first.append(one_start(binary, root / "home", root / "tmp"))
            again.append(one_start(binary, root / "home", root / "tmp"))
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def show(samples: list[tuple[float, float | None]]) -> str:
        wall = [w for w, _ in samples]
        runs = ", ".join(f"{v * 1000:.0f}" for v in wall)
        text = f"median {statistics.median(wall) * 1000:.0f} ms  (runs: {runs} ms)"
        cpu = [c for _, c in samples if c is not None]
        if cpu:
            text += f"; CPU median {statistics.median(cpu) * 1000:.0f} ms"
        return text

    print(f"binary:      {binary}")
    print(f"size:        {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB, {size} bytes)")
    if hasattr(os, "getloadavg"):
        print(f"load:        {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs")
    print(f"cold start to first 200 on /api/v1/health, {args.runs} runs:")
    print(f"  first run (empty HOME, new database): {show(first)}")
    print(f"  restart (existing database):          {show(again)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
