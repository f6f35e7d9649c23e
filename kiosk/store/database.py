"""The database threads: one writer (group commit, answers after commit), one reader.

Every write runs on a single thread, so the event loop never waits on disk and SQLite
never sees two writers from this process. Jobs that arrive while a batch is being
written are committed together in ONE transaction (group commit): each job runs in
its own savepoint, so a failing job rolls back only itself, and one fsync makes the
whole batch durable. Callers are answered only after that commit.

Reads that change nothing (snapshots, listings, the audit trail) run on a second
thread with its own read-only connection: in WAL mode a reader never blocks the
writer, so a slow read (a busy day on the central monitor) stalls no join. Each read
is one transaction, so it sees one committed state, never half of a batch.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.store import eventlog
from kiosk.store.models import database
from kiosk.store.schema import open_database

log = logging.getLogger(__name__)

MAX_BATCH = 512


@dataclass
class Outcome:
    """What a write job returns: the caller's value and the events it appended."""

    value: Any
    events: tuple[eventlog.Event, ...] = ()


class DatabaseClosed(RuntimeError):
    """A job arrived after `stop()`: it would otherwise wait forever for the thread."""


def _open_reader() -> None:
    database.connect(reuse_if_open=True)
    # A slip that writes from the reader fails loudly instead of racing the writer.
    database.execute_sql("PRAGMA query_only = 1")


def _read_job(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    with database.atomic():  # one snapshot of the file for the whole read
        return fn(*args)


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future = field(repr=False)


class DatabaseThread:
    """The single thread that owns the SQLite connection.

    `publish` is called on the event loop with each batch's events, in seq order,
    after the batch is durable and before any caller of that batch is answered.
    """

    def __init__(
        self,
        path: Path,
        loop: asyncio.AbstractEventLoop,
        publish: Callable[[list[eventlog.Event]], None] | None = None,
    ):
        self.path = path
        self._loop = loop
        self._publish = publish or (lambda events: None)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name="kiosk-db", daemon=True)
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self.batches = 0
        self.jobs_done = 0
        self._reader: ThreadPoolExecutor | None = None
        self._stopped = False

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error
        # After the writer opened (and migrated) the file: the reader never sees an old schema.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-read")
        self._reader.submit(_open_reader).result()

    def stop(self) -> None:
        self._stopped = True
        if self._reader is not None:
            self._reader.submit(database.close).result()
            self._reader.shutdown()
        self._jobs.put(None)
        self._thread.join()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the writer thread; if it returns an Outcome, its events
        are published and its value returned."""
        if self._stopped:
            raise DatabaseClosed(f"the database is closed; cannot run {fn.__name__}")
        future = self._loop.create_future()
        self._jobs.put(_Job(fn, args, future))
        return await future

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a read that changes nothing on the reader thread, in one transaction."""
        if self._stopped or self._reader is None:
            raise DatabaseClosed(f"the database is closed; cannot run {fn.__name__}")
        return await self._loop.run_in_executor(self._reader, _read_job, fn, args)

    def _main(self) -> None:
        try:
            open_database(self.path)
        except BaseException as exc:  # surfaced to start() on the loop's thread
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (job := self._jobs.get()) is not None:
                batch = [job]
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        more = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
                self._run_batch(batch)
                if stop:
                    break
        finally:
            database.close()

    def _run_batch(self, batch: list[_Job]) -> None:
        results: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            with database.atomic(lock_type="IMMEDIATE"):
                for job in batch:
                    try:
                        with database.atomic():  # a savepoint: failure undoes this job only
                            value = job.fn(*job.args)
                        results.append((job, value, None))
                    except Exception as exc:
                        results.append((job, None, exc))
        except Exception as exc:  # the commit itself failed: nothing of the batch is kept
            log.exception("database batch of %d failed", len(batch))
            results = [(job, None, exc) for job in batch]
        self.batches += 1
        self.jobs_done += len(batch)
        self._loop.call_soon_threadsafe(self._deliver, results)

    def _deliver(self, results: list[tuple[_Job, Any, BaseException | None]]) -> None:
        events = [
            event
            for _, value, error in results
            if error is None and isinstance(value, Outcome)
            for event in value.events
        ]
        if events:
            try:
                self._publish(events)
            except Exception:  # a broken subscriber must not lose anyone's answer
                log.exception("publishing events failed")
        for job, value, error in results:
            if job.future.cancelled():
                continue
            if error is not None:
                job.future.set_exception(error)
            elif isinstance(value, Outcome):
                job.future.set_result(value.value)
            else:
                job.future.set_result(value)
