"""Broadcast cost: N sockets on /ws/queue/{shop} with a 50-entry queue vs. the floor.

For each change (a join through the API), the time from the POST until the LAST
socket holds the new `queue_update` (p50, p99); server CPU seconds per change (from
/proc, the whole process: HTTP, database and broadcast); server memory per idle
socket (RSS delta / N). In the same run, the same clients against a minimal aiohttp
server that only sends one pre-built string of the same size to every socket
(tests/bench/floor_server.py). Also: one socket that never reads must not make any
healthy socket miss or wait for a change.

    python -m tests.bench.bench_broadcast [--sockets 10 100 1000] [--changes 40]

Not a test: run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import aiohttp

from tests.kiosk_harness import Server

SEQ = re.compile(rb'"seq":0*(\d+)')
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Fleet:
    """N client sockets that note when each first sees a given seq."""

    def __init__(self, session: aiohttp.ClientSession, url: str, n: int):
        self.session, self.url, self.n = session, url, n
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.waiting: dict[int, tuple[int, asyncio.Future]] = {}
        self.last_arrival: dict[int, float] = {}
        self.counts: dict[int, int] = {}
        self.tasks: list[asyncio.Task] = []

    async def open(self) -> None:
        for start in range(0, self.n, 100):
            batch = await asyncio.gather(
                *(
                    self.session.ws_connect(self.url, compress=0, max_msg_size=0)
                    for _ in range(start, min(self.n, start + 100))
                )
            )
            self.sockets += batch
        self.tasks = [asyncio.create_task(self._read(ws)) for ws in self.sockets]

    async def _read(self, ws) -> None:
        async for message in ws:
            found = SEQ.search(
                message.data.encode() if isinstance(message.data, str) else message.data
            )
            if not found:
                continue
            seq = int(found.group(1))
            self.counts[seq] = self.counts.get(seq, 0) + 1
            if self.counts[seq] == self.n:
                self.last_arrival[seq] = time.perf_counter()
                if seq in self.waiting:
                    self.waiting[seq][1].set_result(None)

    def expect(self, seq: int) -> asyncio.Future:
        """Resolves once every socket holds `seq` (at once if they already do)."""
        future = asyncio.get_running_loop().create_future()
        if self.counts.get(seq, 0) >= self.n:
            future.set_result(None)
        else:
            self.waiting[seq] = (self.n, future)
        return future

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def fleet_session() -> aiohttp.ClientSession:
    # No pool limit: every socket of the fleet holds a connection for the whole run.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


def stalled_socket(host: str, port: int, path: str) -> socket.socket:
    """A client that completes the handshake and then never reads a byte."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


async def run_kiosk(server: Server, n: int, changes: int, stall: bool) -> dict:
    staff = {"Authorization": f"Bearer {server.token('staff')}"}
    shop = (
        server.client("admin")
        .post("/api/v1/shops", {"name": f"bench {n}", "timezone": "UTC"})
        .body["id"]
    )
    async with aiohttp.ClientSession(headers=staff) as http:
        line: deque[int] = deque()
        for i in range(50):
            async with http.post(
                f"{server.base_url}/api/v1/shops/{shop}/queue",
                json={"full_name": f"Waiting Customer {i}"},
            ) as resp:
                assert resp.status == 201
                line.append((await resp.json())["id"])
        rss_before = rss_kb(server.proc.pid)
        async with fleet_session() as ws_session:
            fleet = Fleet(ws_session, f"{server.base_url}/ws/queue/{shop}", n)
            await fleet.open()
            stuck = stalled_socket("127.0.0.1", server.port, f"/ws/queue/{shop}") if stall else None
            await asyncio.sleep(1.0)  # let connect-time snapshots settle before measuring RSS
            rss_idle = rss_kb(server.proc.pid)
            latencies = []
            cpu0 = cpu_seconds(server.proc.pid)
            gc.disable()  # the load generator's own pauses must not count against anyone
            for i in range(changes):
                started = time.perf_counter()
                async with http.post(
                    f"{server.base_url}/api/v1/shops/{shop}/queue",
                    json={"full_name": f"Bench Join {i}"},
                ) as resp:
                    joined = await resp.json()
                await asyncio.wait_for(fleet.expect(joined["seq"]), 30)
                latencies.append(fleet.last_arrival[joined["seq"]] - started)
                # Keep the line at 50 (the floor's message never grows): the oldest
                # customer leaves, a broadcast too, waited for but not timed.
                line.append(joined["id"])
                async with http.patch(
                    f"{server.base_url}/api/v1/queue/{line.popleft()}", json={"status": "LEFT"}
                ) as resp:
                    left = await resp.json()
                await asyncio.wait_for(fleet.expect(left["seq"]), 30)
            cpu = (cpu_seconds(server.proc.pid) - cpu0) / (2 * changes)  # per broadcast
            gc.enable()
            await fleet.close()
            if stuck:
                stuck.close()
    return {"lat": latencies, "cpu": cpu, "mem_per_socket_kb": (rss_idle - rss_before) / n}


async def run_floor(port: int, pid: int, n: int, changes: int, size: int) -> dict:
    async with aiohttp.ClientSession() as http, fleet_session() as ws_session:
        rss_before = rss_kb(pid)
        fleet = Fleet(ws_session, f"http://127.0.0.1:{port}/ws", n)
        await fleet.open()
        await asyncio.sleep(1.0)
        rss_idle = rss_kb(pid)
        latencies = []
        cpu0 = cpu_seconds(pid)
        gc.disable()
        for seq in range(1, 2 * changes + 1):
            arrived = fleet.expect(seq)
            started = time.perf_counter()
            async with http.post(f"http://127.0.0.1:{port}/go?seq={seq}") as resp:
                await resp.read()
            await asyncio.wait_for(arrived, 30)
            if seq % 2:  # the same rhythm as the kiosk run: every other broadcast timed
                latencies.append(fleet.last_arrival[seq] - started)
        cpu = (cpu_seconds(pid) - cpu0) / (2 * changes)
        gc.enable()
        await fleet.close()
    return {"lat": latencies, "cpu": cpu, "mem_per_socket_kb": (rss_idle - rss_before) / n}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fmt(name: str, result: dict) -> str:
    lat = result["lat"]
    return (
        f"{name:<22} p50 {statistics.median(lat) * 1000:7.1f} ms  p90 "
        f"{pct(lat, 0.90) * 1000:7.1f} ms  p99 "
        f"{pct(lat, 0.99) * 1000:7.1f} ms  cpu/change {result['cpu'] * 1000:7.2f} ms  "
        f"mem/socket {result['mem_per_socket_kb']:6.1f} KB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "kiosk").start()
        # All the benchmark's sockets come from one address: raise the per-address caps
        # (settings, SPEC §5 and §16) above the fleet's size; handshakes are HTTP first.
        fleet = max(args.sockets) + 10
        raised = server.client("admin").patch(
            "/api/v1/settings",
            {"limits": {"ws_per_address": fleet, "http_per_address": fleet}},
        )
        assert raised.status == 200, raised.body
        probe = server.client().get("/api/v1/shops/1/queue")
        floor_port = _free_port()
        floor = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.floor_server", str(floor_port), "21000"],
            stdout=subprocess.PIPE,
        )
        floor.stdout.readline()
        try:
            for n in args.sockets:
                kiosk = asyncio.run(run_kiosk(server, n, args.changes, stall=False))
                base = asyncio.run(run_floor(floor_port, floor.pid, n, args.changes, 21000))
                stalled = asyncio.run(run_kiosk(server, n, args.changes, stall=True))
                print(
                    f"--- {n} sockets, {args.changes} changes each "
                    f"(queue_update ~{len(probe.raw) // 1024} KB empty, ~21 KB at 50 entries)"
                )
                print(fmt("floor (pre-built str)", base))
                print(fmt("kiosk", kiosk))
                print(fmt("kiosk + 1 stalled", stalled))
                print(
                    f"ratios kiosk/floor: cpu {kiosk['cpu'] / base['cpu']:.2f}  "
                    f"p99 {pct(kiosk['lat'], 0.99) / pct(base['lat'], 0.99):.2f}",
                    flush=True,
                )
        finally:
            floor.terminate()
            server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
