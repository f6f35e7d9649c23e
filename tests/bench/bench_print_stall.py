"""How much a stuck ticket printer delays the event loop and the kiosk (SPEC §12).

    .venv/bin/python -m tests.bench.bench_print_stall [--joins 20]

Runs the appliance in this process (make_app behind aiohttp's test server), with a
ticker task that asks the loop to wake it every 10 ms and records how late it woke:
that lateness is the loop's delay. Then, for each fake printer (tests/fake_printer.py):
one that never reads, one offline, one that hangs up mid-ticket, and a healthy one, it
has a paired kiosk join `--joins` times while prints pile up, and reports the loop's
delay (p50, p99, max) and the join's answer time (p50, max) during those prints.
A baseline round without a printer comes first. Bounded: every round stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from tests.fake_printer import FakePrinter, offline_port
from tests.inprocess import running

API = "/api/v1"
TICK_S = 0.010


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lags.append(time.perf_counter() - asked - TICK_S)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_round(kiosk, label: str, printer: dict | None, joins: int) -> None:
    body = (
        {"kind": "none"}
        if printer is None
        else {"kind": "network", "host": "127.0.0.1", "auto_print": True, **printer}
    )
    made = await kiosk.request("PATCH", f"{API}/settings", {"printer": body}, role="admin")
    assert made.status == 200, made.body
    shop = (await kiosk.request("POST", f"{API}/shops", {"name": label}, role="admin")).body
    lags: list[float] = []
    answers: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    for n in range(joins):
        started = time.perf_counter()
        resp = await kiosk.request(
            "POST", f"{API}/shops/{shop['id']}/queue", {"full_name": f"Guest {n}"}, role="kiosk"
        )
        answers.append(time.perf_counter() - started)
        assert resp.status == 201, resp.body
    # Keep ticking while the printer thread works through what piled up (bounded).
    deadline = time.monotonic() + 6 * joins + 10
    at_least = time.monotonic() + 2.0  # enough ticks to see the loop in every round
    while time.monotonic() < deadline or time.monotonic() < at_least:
        state = (await kiosk.request("GET", f"{API}/printer", role="staff")).body
        if (printer is None or state["pending"] == 0) and time.monotonic() >= at_least:
            break
        await asyncio.sleep(0.2)
    stop.set()
    await tick
    ms = [x * 1000 for x in lags]
    ans = [x * 1000 for x in answers]
    print(
        f"{label:<22} loop delay p50 {pct(ms, 0.5):6.2f} ms  p99 {pct(ms, 0.99):6.2f} ms  "
        f"max {max(ms):6.2f} ms over {len(ms)} ticks | join answer p50 "
        f"{statistics.median(ans):6.1f} ms  max {max(ans):6.1f} ms"
    )


async def main(joins: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with running(Path(tmp) / "bench") as kiosk:
            await one_round(kiosk, "no printer", None, joins)
            for mode in ("never_reads", "offline", "closes_mid", "ok"):
                with FakePrinter("ok" if mode == "offline" else mode) as fake:
                    port = offline_port() if mode == "offline" else fake.port
                    await one_round(kiosk, f"printer {mode}", {"port": port}, joins)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=20)
    logging.basicConfig(level=logging.ERROR)  # each failed print logs a warning
    asyncio.run(main(parser.parse_args().joins))
