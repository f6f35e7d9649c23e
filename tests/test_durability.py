"""Durability: a join answered 201 survives the appliance being killed (SIGKILL).

Six tablets (threads) keep joining the queue, each request with its own
Idempotency-Key; at a random moment the server is killed outright, with requests in
flight, and restarted on the same data directory. Three such crashes in one test.
After every restart:

* every join that was answered 201 is in the queue with the same id, ticket and name;
* the line's positions are 1..n and no ticket code repeats within a day;
* nothing is in the queue that nobody asked for, and nothing is in it twice;
* retrying an answered request with its Idempotency-Key replays the same entry and
  adds nothing; retrying a request whose answer was lost in the crash yields exactly
  one entry (the one that committed, or a new one if it had not).

At the end the file itself is checked: one `queue_joined` event per ticket.
"""

from __future__ import annotations

import http.client
import os
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk.config import DB_FILENAME
from tests.kiosk_harness import Client, Server, wait_until

THREADS = 6
CYCLES = 3
MAX_REQUESTS_PER_THREAD = 3000  # per cycle; the kill ends a cycle long before
KILL_AFTER_S = (0.3, 1.5)


@dataclass
class Attempt:
    key: str
    name: str
    status: int | None = None  # None: no answer (the server died under it)
    body: Any = None

    @property
    def answered(self) -> bool:
        return self.status == 201


def join_body(name: str) -> dict[str, Any]:
    return {"full_name": name}


def tablet(
    port: int, token: str, cycle: int, number: int, stop: threading.Event, out: list[Attempt]
) -> None:
    client = Client(port, token, timeout=15)
    for n in range(MAX_REQUESTS_PER_THREAD):
        if stop.is_set():
            return
        attempt = Attempt(
            key=f"dur-{cycle}-{number}-{n}-{uuid.uuid4().hex[:8]}",
            name=f"Cycle{cycle} Tablet{number} Guest{n}",
        )
        out.append(attempt)  # recorded before sending: it is in flight until answered
        try:
            resp = client.post(
                "/api/v1/shops/1/queue",
                join_body(attempt.name),
                headers={"Idempotency-Key": attempt.key},
            )
        except (OSError, http.client.HTTPException):
            return  # killed: this one stays unanswered
        attempt.status, attempt.body = resp.status, resp.body


def open_queue(srv: Server, staff: str) -> list[dict[str, Any]]:
    resp = Client(srv.port, staff).get("/api/v1/shops/1/queue")
    assert resp.status == 200, resp.body
    return resp.body["queue_items"]


def check_queue(items: list[dict[str, Any]], attempts: list[Attempt], seed: int) -> None:
    by_id = {e["id"]: e for e in items}
    assert len(by_id) == len(items), "an entry is listed twice"
    lost = []
    for a in attempts:
        if not a.answered:
            continue
        entry = by_id.get(a.body["id"])
        if entry is None or (entry["ticket"], entry["full_name"]) != (a.body["ticket"], a.name):
            lost.append((a.name, a.body["id"], a.body["ticket"], entry))
    assert not lost, f"seed {seed}: {len(lost)} joins answered 201 are lost, e.g. {lost[:3]}"
    waiting = [e for e in items if e["status"] == "CHECKED_IN"]
    assert len(waiting) == len(items), "nobody was called, so everyone is waiting"
    positions = sorted(e["position_in_queue"] for e in waiting)
    assert positions == list(range(1, len(waiting) + 1)), f"seed {seed}: positions {positions}"
    codes = [(e["checked_in_at"][:10], e["ticket"]) for e in items]  # local day, code
    assert len(codes) == len(set(codes)), f"seed {seed}: a ticket code repeats"
    asked = {a.name for a in attempts}
    names = [e["full_name"] for e in items]
    assert set(names) <= asked, f"seed {seed}: entries nobody asked for"
    assert len(names) == len(set(names)), f"seed {seed}: a request made two entries"


def test_answered_joins_survive_sigkill(fresh_server: Server) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    srv = fresh_server.start()
    kiosk = srv.token("kiosk")
    staff = srv.token("staff")
    attempts: list[Attempt] = []  # every request of every cycle
    for cycle in range(CYCLES):
        stop = threading.Event()
        outs: list[list[Attempt]] = [[] for _ in range(THREADS)]
        threads = [
            threading.Thread(
                target=tablet, args=(srv.port, kiosk, cycle, i, stop, outs[i]), daemon=True
            )
            for i in range(THREADS)
        ]
        for t in threads:
            t.start()
        wait_until(
            lambda outs=outs: sum(a.answered for out in outs for a in out) >= THREADS,
            timeout=30,
            message="joins are not being answered",
        )
        time.sleep(rng.uniform(*KILL_AFTER_S))  # the random moment of the crash
        srv.proc.kill()  # SIGKILL: no shutdown, no last commit, no goodbye
        srv.proc.wait(10)
        stop.set()
        for t in threads:
            t.join(30)
            assert not t.is_alive(), "a tablet thread hung after the kill"
        this_cycle = [a for out in outs for a in out]
        attempts += this_cycle
        unanswered = [a for a in this_cycle if a.status is None]
        other = [a for a in this_cycle if a.status not in (None, 201)]
        assert not other, (
            f"joins refused before the kill: {[(a.status, a.body) for a in other[:3]]}"
        )
        assert unanswered, "the kill should have caught requests in flight"
        answered = [a for a in this_cycle if a.answered]

        srv.port = 0  # a new port: the old one may still be in TIME_WAIT
        srv.start()
        items = open_queue(srv, staff)
        check_queue(items, attempts, seed)

        client = Client(srv.port, kiosk)
        # A tablet retrying after the crash: a lost answer replays, a lost request runs once.
        present = {e["full_name"]: e for e in items}
        for a in unanswered:
            resp = client.post(
                "/api/v1/shops/1/queue", join_body(a.name), headers={"Idempotency-Key": a.key}
            )
            assert resp.status == 201, resp.body
            if a.name in present:
                assert resp.body["id"] == present[a.name]["id"], "a committed join ran twice"
                assert resp.headers.get("idempotent-replayed") == "true"
            a.status, a.body = resp.status, resp.body
        # Answered requests retried with their key: the same entry, nothing added.
        for a in rng.sample(answered, min(20, len(answered))):
            resp = client.post(
                "/api/v1/shops/1/queue", join_body(a.name), headers={"Idempotency-Key": a.key}
            )
            assert resp.status == 201, resp.body
            assert (resp.body["id"], resp.body["ticket"]) == (a.body["id"], a.body["ticket"])
            assert resp.headers.get("idempotent-replayed") == "true"
        items = open_queue(srv, staff)
        check_queue(items, attempts, seed)
        assert {e["full_name"] for e in items} == {a.name for a in attempts}, (
            "after the retries every request has exactly one entry"
        )

    assert srv.stop() == 0
    # The file agrees: one queue_joined event per ticket, seq strictly increasing.
    con = sqlite3.connect(srv.data_dir / DB_FILENAME)
    try:
        entries = {i for (i,) in con.execute("SELECT id FROM queue_entry")}
        joined = [
            i
            for (i,) in con.execute(
                "SELECT json_extract(data, '$.entries[0].id') FROM event "
                "WHERE type = 'queue_joined' ORDER BY seq"
            )
        ]
        assert sorted(joined) == sorted(entries), "not exactly one queue_joined event per entry"
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
    assert len(entries) == len(attempts)
