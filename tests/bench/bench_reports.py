"""How fast are reports over a busy quarter (SPEC §13)? 90 days × 300 tickets a day,
written through the real use cases, then the report and the CSV asked of a real server.

The history: a Berlin shop (so the range crosses the October clock change), 10 providers
and 3 services, open 09:00-19:00, 300 customers a day arriving with a morning and an
afternoon peak. Each day is simulated event by event: a join at its arrival time
(`queue.join`, which keeps the estimate it told), a provider who frees calls the next
ticket they may serve (`queue.call_next`), the customer starts a minute later
(`IN_SERVICE`) or never comes (`NO_SHOW`, 4%), and is done after a log-normal length
(`COMPLETED`); 5% leave before their turn (`LEFT`) and 1% are cancelled. A fake clock
(tests/history.py) gives each use case its moment, and each day is one transaction,
as the database thread's group commit would make of a busy day's writes.

Then a real `kiosk serve` on that data folder answers, over HTTP from this process:
- `GET /api/v1/shops/1/reports?from=…&to=…` for the 90 days (target < 1 s);
- `GET /api/v1/shops/1/reports/tickets.csv?from=…&to=…` (target < 3 s), read to its end.
Each is asked `--rounds` times; the figures are the median and the worst.

    python -m tests.bench.bench_reports [--days 90] [--per-day 300] [--rounds 5]
                                        [--data-dir DIR]  # keep/reuse the history

Not a test: run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.domain.errors import KioskError
from kiosk.services import catalog, queue, reports, shops
from kiosk.store.models import QueueEntry, database
from tests.history import STAFF, SYSTEM, data_dir, fake_clock
from tests.kiosk_harness import Server

ZONE = "Europe/Berlin"
FIRST_DAY = date(2026, 8, 1)
OPEN_MIN, CLOSE_MIN = 9 * 60, 19 * 60
PROVIDERS = 10
# (name, the owner's minutes, the real lengths' median and spread (log-normal), share)
SERVICES = (
    ("Cut", 12, 11.0, 0.35, 0.55),
    ("Beard", 6, 6.0, 0.3, 0.3),
    ("Colour", 30, 32.0, 0.3, 0.15),
)
# (start, end, weight) in minutes after opening: quiet, a morning peak, lunch, a second peak.
PERIODS = ((0, 90, 1.0), (90, 210, 2.0), (210, 390, 1.0), (390, 540, 1.8), (540, 600, 0.5))


def arrival_minutes(rng: random.Random, count: int) -> list[float]:
    total = sum((end - start) * w for start, end, w in PERIODS)
    out = []
    for _ in range(count):
        pick = rng.uniform(0, total)
        for start, end, w in PERIODS:
            span = (end - start) * w
            if pick <= span:
                out.append(OPEN_MIN + start + pick / w)
                break
            pick -= span
    return sorted(out)


def simulate_day(day: date, per_day: int, rng: random.Random, setup: dict, clock) -> int:
    """One day of the shop through the use cases; returns the number of use cases run."""
    zone = ZoneInfo(ZONE)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    counter = itertools.count()
    events: list[tuple[float, int, str, object]] = []
    for minute in arrival_minutes(rng, per_day):
        heapq.heappush(events, (minute, next(counter), "arrive", None))
    free = set(setup["providers"])
    waiting: dict[int, float] = {}  # entry id -> when they give up (inf: never)
    runs = 0

    def at(minute: float) -> None:
        clock.at(midnight + timedelta(minutes=minute))

    def call(minute: float) -> None:
        nonlocal runs
        for provider in sorted(free):
            if not waiting:
                return
            try:
                called = queue.call_next(STAFF, setup["shop"], provider).value
            except KioskError:
                continue  # nobody they may serve
            runs += 1
            free.discard(provider)
            waiting.pop(called["id"], None)
            kind = setup["kind_of"][called["service_id"]]
            come = (called["id"], provider, kind)
            heapq.heappush(events, (minute + 1, next(counter), "come", come))

    while events:
        minute, _, what, data = heapq.heappop(events)
        at(minute)
        if what == "arrive":
            service = rng.choices(setup["services"], weights=[s[4] for s in SERVICES])[0]
            offered = setup["offered_by"][service] or setup["providers"]
            asks_for = rng.choice(offered) if rng.random() < 0.15 else None
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            entry = queue.join(STAFF, setup["shop"], name, None, asks_for, "kiosk", service).value
            runs += 1
            patience = minute + rng.uniform(5, 60) if rng.random() < 0.06 else float("inf")
            waiting[entry["id"]] = patience
            if patience != float("inf"):
                heapq.heappush(events, (patience, next(counter), "give_up", entry["id"]))
        elif what == "give_up" and data in waiting:
            del waiting[data]
            status = "CANCELLED" if rng.random() < 0.15 else "LEFT"
            queue.update_entry(STAFF, data, status, None, False)
            runs += 1
        elif what == "come":
            entry_id, provider, kind = data
            if rng.random() < 0.04:
                queue.update_entry(STAFF, entry_id, "NO_SHOW", None, False)
                runs += 1
                free.add(provider)
            else:
                queue.update_entry(STAFF, entry_id, "IN_SERVICE", None, False)
                _, _, median, sigma, _ = SERVICES[kind]
                length = max(1.0, rng.lognormvariate(0, sigma) * median)
                done = (entry_id, provider)
                heapq.heappush(events, (minute + length, next(counter), "done", done))
                runs += 2
        elif what == "done":
            entry_id, provider = data
            queue.update_entry(STAFF, entry_id, "COMPLETED", None, False)
            runs += 1
            free.add(provider)
        call(minute)
    # Whoever still waits at closing is sent home, so the next day starts empty.
    for entry_id in list(waiting):
        queue.update_entry(STAFF, entry_id, "CANCELLED", None, False)
        runs += 1
    return runs


FIRST = ("Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Inês", "Jonas", "李")
LAST = ("Almeida", "Becker", "Costa", "Dubois", "Evans", "Fischer", "García", "Huang", "Ito")


def make_history(path: Path, days: int, per_day: int, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, 8, tzinfo=ZoneInfo(ZONE))
    with data_dir(path), fake_clock(start) as clock:
        with database.atomic():
            shop_id = shops.create_shop(SYSTEM, "Quarter Cuts", ZONE).value["id"]
            providers = [
                shops.create_provider(SYSTEM, shop_id, {"name": f"Chair {n}"}).value["id"]
                for n in range(1, PROVIDERS + 1)
            ]
            services = []
            kind_of, offered_by = {}, {}
            for kind, (name, minutes, *_rest) in enumerate(SERVICES):
                offered = providers[:4] if name == "Colour" else []
                made = catalog.create_service(
                    SYSTEM, shop_id, {"name": name, "minutes": minutes, "provider_ids": offered}
                ).value
                services.append(made["id"])
                kind_of[made["id"]] = kind
                offered_by[made["id"]] = offered
        setup = {
            "shop": shop_id,
            "providers": providers,
            "services": services,
            "kind_of": kind_of,
            "offered_by": offered_by,
        }
        began = time.perf_counter()
        runs = 0
        for n in range(days):
            with database.atomic():
                runs += simulate_day(FIRST_DAY + timedelta(days=n), per_day, rng, setup, clock)
        tickets = QueueEntry.select().where(QueueEntry.shop == shop_id).count()
        took = time.perf_counter() - began
        print(
            f"history: shop {shop_id}, {tickets} tickets over {days} days, {runs} use cases "
            f"in {took:.0f} s ({runs / took:.0f}/s)"
        )


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def in_process(folder: Path, shop_id: int, first: date, last: date, rounds: int) -> None:
    """The same report computed in this process, wall and CPU time apart: on a machine
    shared with other work the wall time above grows with the load, the CPU time less."""
    with data_dir(folder):
        walls, cpus = [], []
        for _ in range(rounds):
            began, cpu = time.perf_counter(), time.process_time()
            with database.atomic():
                reports.report(shop_id, first, last)
            walls.append(time.perf_counter() - began)
            cpus.append(time.process_time() - cpu)
    print(
        f"report in process: median {statistics.median(walls) * 1000:.0f} ms wall, "
        f"{statistics.median(cpus) * 1000:.0f} ms CPU; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    if not (folder / "kiosk.sqlite3").exists():
        make_history(folder, args.days, args.per_day, args.seed)
    last = FIRST_DAY + timedelta(days=args.days - 1)
    query = f"from={FIRST_DAY.isoformat()}&to={last.isoformat()}"
    srv = Server(folder).start()
    try:
        staff = srv.client("staff")
        shop_id = staff.get("/api/v1/shops").body[-1]["id"]
        first = staff.get(f"/api/v1/shops/{shop_id}/reports?{query}")
        assert first.status == 200, first.body
        totals = first.body["totals"]
        print(f"report totals: {totals}")
        print(f"estimates: {first.body['estimates']}")

        def report() -> None:
            assert staff.get(f"/api/v1/shops/{shop_id}/reports?{query}").status == 200

        size = []

        def csv() -> None:
            got = staff.get(f"/api/v1/shops/{shop_id}/reports/tickets.csv?{query}")
            assert got.status == 200
            size.append((len(got.raw), got.raw.count(b"\n")))

        for name, fn, target in (("report", report, 1.0), ("csv", csv, 3.0)):
            times = timed(fn, args.rounds)
            print(
                f"{name}: median {statistics.median(times) * 1000:.0f} ms, "
                f"worst {max(times) * 1000:.0f} ms over {args.rounds} rounds "
                f"(target < {target:.0f} s)"
            )
        print(f"csv: {size[-1][0] / 1e6:.1f} MB, {size[-1][1]} lines")
        assert srv.stop() == 0
    finally:
        srv.kill()
    in_process(folder, shop_id, FIRST_DAY, last, args.rounds)
    print(f"data folder: {folder}")


if __name__ == "__main__":
    main()
