"""Durable joins per second through the HTTP API vs. a raw sqlite3 commit loop.

Both write to the same disk with the same pragmas (WAL, synchronous=FULL), in the same
invocation, alternating rounds; the ratio of medians is what we report, because this
machine is shared and noisy.

    python -m tests.bench.bench_joins [--joins 2000] [--concurrency 32] [--rounds 3]

Not a test: run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.kiosk_harness import Server


def raw_sqlite_rate(directory: Path, count: int) -> float:
    """The same kind of write, one insert + commit at a time, with the API's pragmas."""
    path = directory / f"raw-{time.monotonic_ns()}.sqlite3"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=1")
    conn.execute(
        "CREATE TABLE entry (id INTEGER PRIMARY KEY, shop_id INTEGER, full_name TEXT, "
        "ticket TEXT, position INTEGER, status TEXT, checked_in_at TEXT)"
    )
    started = time.perf_counter()
    for i in range(count):
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO entry (shop_id, full_name, ticket, position, status, checked_in_at) "
            "VALUES (1, ?, ?, ?, 'CHECKED_IN', ?)",
            (f"Customer {i}", f"A{i:03d}", i + 1, time.strftime("%Y-%m-%dT%H:%M:%S")),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


async def api_rate(
    base_url: str, token: str, shop_ids: list[int], count: int, concurrency: int, line: int
) -> float:
    """Joins/s with `concurrency` clients; every `line` joins go to the next shop, so
    the line stays as long as a busy shop's, not thousands deep."""
    headers = {"Authorization": f"Bearer {token}"}
    next_index = 0
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal next_index, failures
        while next_index < count:
            i = next_index
            next_index += 1
            url = f"{base_url}/api/v1/shops/{shop_ids[i // line]}/queue"
            async with session.post(url, json={"full_name": f"Customer {i}"}) as resp:
                await resp.read()
                if resp.status != 201:
                    failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{failures} joins failed")
    return count / elapsed


def new_shop(server: Server, name: str) -> int:
    resp = server.client("admin").post("/api/v1/shops", {"name": name, "timezone": "UTC"})
    assert resp.status == 201, resp.body
    return resp.body["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--joins", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--line", type=int, default=100, help="joins per shop (line length)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        directory = Path(tmp)
        server = Server(directory / "appliance").start()
        try:
            token = server.token("kiosk")
            print(f"disk: {directory}  joins per run: {args.joins}  rounds: {args.rounds}  "
                  f"line length up to {args.line}")
            print(f"{'concurrency':>11} {'API joins/s':>12} {'raw commits/s':>14} {'ratio':>7}")
            for concurrency in args.concurrency:
                api_runs, raw_runs = [], []
                for round_no in range(args.rounds):
                    shops = [
                        new_shop(server, f"bench {concurrency}/{round_no}/{n}")
                        for n in range(-(-args.joins // args.line))
                    ]
                    api_runs.append(asyncio.run(
                        api_rate(server.base_url, token, shops, args.joins, concurrency, args.line)
                    ))
                    raw_runs.append(raw_sqlite_rate(directory, args.joins))
                api, raw = statistics.median(api_runs), statistics.median(raw_runs)
                print(f"{concurrency:>11} {api:>12.0f} {raw:>14.0f} {api / raw:>7.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
