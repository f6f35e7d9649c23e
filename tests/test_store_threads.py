"""The database threads (store/database.py): a slow read never stalls a write, a read
sees one committed state, the reader cannot write, and a closed database says so."""

from __future__ import annotations

import asyncio
import threading

import peewee
import pytest

from kiosk.services import shops
from kiosk.services.context import Ctx
from kiosk.store.database import DatabaseClosed, DatabaseThread
from kiosk.store.eventlog import SYSTEM
from kiosk.store.models import Shop, database

WAIT_S = 10


@pytest.fixture
async def db(tmp_path):
    thread = DatabaseThread(tmp_path / "kiosk.sqlite3", asyncio.get_running_loop())
    await asyncio.to_thread(thread.start)
    try:
        yield thread
    finally:
        await asyncio.to_thread(thread.stop)


async def test_a_slow_read_stalls_no_write_and_sees_one_state(db):
    entered, release = threading.Event(), threading.Event()

    def slow_count() -> tuple[int, int]:
        before = Shop.select().count()
        entered.set()
        release.wait(WAIT_S)  # a heavy report, or a busy day on the central monitor
        return before, Shop.select().count()

    reading = asyncio.ensure_future(db.read(slow_count))
    assert await asyncio.to_thread(entered.wait, WAIT_S)
    created = await asyncio.wait_for(
        db.run(shops.create_shop, Ctx(SYSTEM), "Opened meanwhile", "UTC"), WAIT_S
    )
    assert created["name"] == "Opened meanwhile"
    assert not reading.done()  # the write did not wait for the read
    release.set()
    before, after = await asyncio.wait_for(reading, WAIT_S)
    assert before == after  # one snapshot: the shop committed meanwhile is not half-seen
    assert await db.read(lambda: Shop.select().count()) == after + 1


async def test_the_reader_cannot_write(db):
    def sneaky_write() -> None:
        database.execute_sql("INSERT INTO setting (key, value) VALUES ('x', '1')")

    with pytest.raises(peewee.OperationalError, match="readonly"):
        await db.read(sneaky_write)


async def test_a_closed_database_refuses_jobs_at_once(tmp_path):
    thread = DatabaseThread(tmp_path / "kiosk.sqlite3", asyncio.get_running_loop())
    await asyncio.to_thread(thread.start)
    await asyncio.to_thread(thread.stop)
    with pytest.raises(DatabaseClosed):
        await asyncio.wait_for(thread.run(shops.list_shops), WAIT_S)
    with pytest.raises(DatabaseClosed):
        await asyncio.wait_for(thread.read(shops.list_shops), WAIT_S)


async def test_old_events_are_pruned_by_seq_in_batches_and_the_newest_stays(db):
    from kiosk.store import eventlog

    def log(at: str) -> int:
        return eventlog.append(
            type="t", at=at, shop_id=None, actor=SYSTEM, topics=["x"], data={}
        ).seq

    old = [await db.run(log, f"2026-01-{day:02d}T00:00:00.000+00:00") for day in range(1, 26)]
    kept = [await db.run(log, f"2026-03-{day:02d}T00:00:00.000+00:00") for day in range(1, 4)]
    horizon = await db.read(eventlog.prune_horizon, "2026-02-01T00:00:00.000+00:00")
    assert horizon == old[-1]
    dropped = []
    for _ in range(10):  # bounded: 25 events in batches of 10 take 3 rounds
        n = await db.run(eventlog.prune_batch, horizon, 10)
        dropped.append(n)
        if not n:
            break
    assert dropped == [10, 10, 5, 0]
    assert await db.read(eventlog.bounds) == (kept[0], kept[-1])
    topics = await db.read(
        lambda: database.execute_sql("SELECT COUNT(*) FROM event_topic").fetchone()[0]
    )
    assert topics == len(kept)  # the routing index went with its events
    # Everything older than every event: the newest is still kept.
    everything = await db.read(eventlog.prune_horizon, "2027-01-01T00:00:00.000+00:00")
    assert everything == kept[-2]
    await db.run(eventlog.prune_batch, everything)
    assert await db.read(eventlog.bounds) == (kept[-1], kept[-1])
