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


async def _lean_client(port: int, token: str, next_request, results: list[int]) -> None:
    """One keep-alive HTTP/1.1 connection writing pre-built requests and reading just
    enough of each answer: a real client, but light enough that on two cores the
    server, not the load generator, is what gets measured."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (request := next_request()) is not None:
            path, body = request
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            results.append(int(status_line.split()[1]))
    finally:
        writer.close()


async def api_rate(
    base_url: str, token: str, shop_ids: list[int], count: int, concurrency: int, line: int
) -> float:
    """Joins/s with `concurrency` clients; every `line` joins go to the next shop, so
    the line stays as long as a busy shop's, not thousands deep."""
    port = int(base_url.rsplit(":", 1)[1])
    issued = 0

    def next_request():
        nonlocal issued
        if issued >= count:
            return None
        i, issued = issued, issued + 1
        body = b'{"full_name": "Customer %d"}' % i
        return f"/api/v1/shops/{shop_ids[i // line]}/queue", body

    results: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_lean_client(port, token, next_request, results) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    failures = sum(1 for status in results if status != 201)
    if failures or len(results) != count:
        raise RuntimeError(f"{failures} joins failed, {count - len(results)} unanswered")
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
            print(
                f"disk: {directory}  joins per run: {args.joins}  rounds: {args.rounds}  "
                f"line length up to {args.line}"
            )
            print(f"{'concurrency':>11} {'API joins/s':>12} {'raw commits/s':>14} {'ratio':>7}")
            for concurrency in args.concurrency:
                api_runs, raw_runs = [], []
                for round_no in range(args.rounds):
                    shops = [
                        new_shop(server, f"bench {concurrency}/{round_no}/{n}")
                        for n in range(-(-args.joins // args.line))
                    ]
                    api_runs.append(
                        asyncio.run(
                            api_rate(
                                server.base_url, token, shops, args.joins, concurrency, args.line
                            )
                        )
                    )
                    raw_runs.append(raw_sqlite_rate(directory, args.joins))
                api, raw = statistics.median(api_runs), statistics.median(raw_runs)
                print(f"{concurrency:>11} {api:>12.0f} {raw:>14.0f} {api / raw:>7.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
