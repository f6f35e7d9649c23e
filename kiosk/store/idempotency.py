"""Idempotent writes: a retried request gets the first answer and changes nothing.

Runs on the database thread around a use case, so the key is stored in the same
transaction as the change, and a concurrent duplicate simply finds the first one's
row (jobs on the database thread run one after another).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from kiosk.domain.errors import HTTP_STATUS, IdempotencyMismatch, KioskError, RateLimited
from kiosk.store.database import Outcome
from kiosk.store.models import IdempotencyKey, database

KEEP_S = 24 * 3600


@dataclass(frozen=True)
class Answer:
    status: int
    value: Any  # the resource in full with its seq, or an error body; never rendered
    seq: int | None = None
    replayed: bool = False


def error_value(error: KioskError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


def error_body(error: KioskError) -> bytes:
    return orjson.dumps(error_value(error))


def write(
    scope: str,
    key: str | None,
    fingerprint: str,
    ok_status: int,
    use_case: Callable[..., Outcome],
    *args: Any,
) -> Outcome:
    """Run `use_case` once per key. The answer is kept as data, in full like the
    event it produced: the caller renders it for its audience (a kiosk or a ticket
    holder gets "John D." or no name, like a display) each time it is given out."""
    now = int(time.time())
    if key is not None:
        row = database.execute_sql(
            "SELECT fingerprint, status, body FROM idempotency_key "
            "WHERE scope = ? AND key = ? AND created_at > ?",
            (scope, key, now - KEEP_S),
        ).fetchone()
        if row is not None:
            stored_fingerprint, stored_status, stored_body = row
            if stored_fingerprint != fingerprint:
                error = IdempotencyMismatch(
                    "this Idempotency-Key was already used for a different request",
                    {"key": key},
                )
                return Outcome(Answer(HTTP_STATUS[error.code], error_value(error)))
            value = orjson.loads(stored_body)
            seq = value.get("seq") if stored_status < 300 else None
            return Outcome(Answer(stored_status, value, seq, replayed=True))
    try:
        with database.atomic():  # the use case's own savepoint: an error undoes it all
            outcome = use_case(*args)
    except RateLimited:
        raise  # never stored: the same request may well succeed later
    except KioskError as error:
        answer = Answer(HTTP_STATUS[error.code], error_value(error))
        outcome = Outcome(None)
    else:
        seq = outcome.events[-1].seq if outcome.events else None
        answer = Answer(ok_status, {**outcome.value, "seq": seq}, seq)
    if key is not None:
        database.execute_sql(
            "INSERT OR REPLACE INTO idempotency_key (scope, key, fingerprint, status, body, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (scope, key, fingerprint, answer.status, orjson.dumps(answer.value).decode(), now),
        )
    return Outcome(answer, outcome.events)


def prune() -> int:
    return IdempotencyKey.delete().where(IdempotencyKey.created_at < time.time() - KEEP_S).execute()
