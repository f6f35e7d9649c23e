"""Durable joins per second while heavy reads run, against the same joins alone.

Reads run on their own read-only connection (store/database.py), so a heavy read (the
central monitor of a busy day, a page of the audit trail) must not stall the writer.
Alternating rounds in one invocation; the ratio of medians is what we report.

    python -m tests.bench.bench_reads_during_writes [--joins 1500] [--readers 2] [--rounds 5]

Not a test: run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.bench.bench_joins import api_rate, new_shop
from tests.kiosk_harness import Server

HEAVY = ("/api/v1/monitor?date={today}", "/api/v1/audit?limit=1000")


async def _heavy_reader(base_url: str, token: str, today: str, stop: asyncio.Event, took: list):
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        n = 0
        while not stop.is_set():
            path = HEAVY[n % len(HEAVY)].format(today=today)
            started = time.perf_counter()
            async with session.get(base_url + path) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            took.append(time.perf_counter() - started)
            n += 1


async def joins_with_readers(server, kiosk, admin, shops, args, readers: int, today: str):
    stop = asyncio.Event()
    took: list[float] = []
    tasks = [
        asyncio.create_task(_heavy_reader(server.base_url, admin, today, stop, took))
        for _ in range(readers)
    ]
    try:
        rate = await api_rate(
            server.base_url, kiosk, shops, args.joins, args.concurrency, args.line
        )
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return rate, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--joins", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--line", type=int, default=100)
    parser.add_argument("--history", type=int, default=6000, help="joins made before measuring")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        server = Server(Path(tmp) / "appliance").start()
        try:
            kiosk, admin = server.token("kiosk"), server.token("admin")
            # A busy day first, so the monitor and the audit have something to read.
            history = [new_shop(server, f"history {n}") for n in range(args.history // args.line)]
            asyncio.run(api_rate(server.base_url, kiosk, history, args.history, 32, args.line))
            today = (
                server.client("staff")
                .get("/api/v1/shops/1/queue")
                .body["appointments_today"]["date"]
            )
            alone, loaded, read_s = [], [], []
            for round_no in range(args.rounds):
                for readers, into in ((0, alone), (args.readers, loaded)):
                    shops = [
                        new_shop(server, f"bench {round_no}/{readers}/{n}")
                        for n in range(-(-args.joins // args.line))
                    ]
                    rate, took = asyncio.run(
                        joins_with_readers(server, kiosk, admin, shops, args, readers, today)
                    )
                    into.append(rate)
                    read_s.extend(took)
            a, b = statistics.median(alone), statistics.median(loaded)
            print(f"joins: {args.joins} x {args.rounds} rounds, {args.concurrency} clients")
            print(f"alone: {a:8.0f} joins/s (median)")
            print(f"with {args.readers} heavy readers: {b:8.0f} joins/s (median)")
            print(f"ratio with/alone: {b / a:.2f}")
            if read_s:
                print(
                    f"heavy reads: {len(read_s)}, median {statistics.median(read_s) * 1000:.0f} ms"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
