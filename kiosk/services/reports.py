"""Reports (SPEC §13): what a range of days looked like, computed in SQL.

The figures are four aggregate queries (counts per grouping, the estimates, and the
percentiles of each duration) over the shop's tickets whose local day (the day the
ticket code was issued, `ticket_day`) falls in the range, read through the
`queue_entry_report` index, which carries every column a report reads, so a 90-day
report never touches the table itself. Durations are measured between instants
(`julianday` honours each stamp's offset), never as text, so a day the clocks change
still measures right. Percentiles are nearest-rank: the value at rank ceil(P/100 × N)
among the N tickets that have the duration.

Functions here run on the read connection (they change nothing); the HTTP layer and
`kiosk report` only format what they return.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.domain.errors import InvalidField
from kiosk.domain.tickets import display_name
from kiosk.services.context import sql
from kiosk.services.rows import get_shop

MAX_DAYS = 366

# One row per ticket: its grouping keys and its two durations in whole seconds. A wait
# ends at the call, or at the start for someone who walked straight in (SPEC §13). A
# service the next day closed (`close_reason`) has no length: nobody pressed "done".
_TICKETS = """
    SELECT ticket_day AS day, status, provider_id, service_id,
           CAST(substr(checked_in_at, 12, 2) AS INTEGER) AS hour,
           estimated_wait_at_join AS told,
           CAST(round((julianday(COALESCE(called_at, started_at)) - julianday(checked_in_at))
                      * 86400) AS INTEGER) AS wait_s,
           CASE WHEN close_reason IS NULL THEN
                CAST(round((julianday(completed_at) - julianday(started_at)) * 86400) AS INTEGER)
           END AS service_s
    FROM queue_entry
    WHERE shop_id = ? AND ticket_day BETWEEN ? AND ?
"""

# The groupings: the whole range, each day, each provider, each service (NULL keys, no
# provider or no service, are groups too), and arrivals per local hour.
_DIMS = (
    ("total", "NULL", "0"),
    ("day", "day", "CAST(julianday(day) AS INTEGER)"),
    ("provider", "provider_id", "COALESCE(provider_id, 0)"),
    ("service", "service_id", "COALESCE(service_id, 0)"),
)
MEASURES = ("wait_s", "service_s")
_COUNT_BY = """SELECT '{dim}' AS dim, {key} AS k, COUNT(*), SUM(status = 'COMPLETED'),
       SUM(status = 'NO_SHOW'), SUM(status = 'LEFT'), SUM(status = 'CANCELLED')
    FROM t GROUP BY {key}"""
_COUNTS = (
    f"WITH t AS MATERIALIZED ({_TICKETS}) "
    + " UNION ALL ".join(_COUNT_BY.format(dim=dim, key=key) for dim, key, _ in _DIMS)
    + " UNION ALL SELECT 'hour', hour, COUNT(*), NULL, NULL, NULL, NULL FROM t GROUP BY hour"
)
# The nearest-rank P-th percentile is the smallest value v with at least ceil(P/100 × N)
# of the N values at or below it, which is the smallest v whose CUME_DIST (that share,
# exactly k/N in floating point) reaches P/100: one sort per group instead of a rank
# and a count. k/N differs from 0.5 or 0.9 by at least 1/(10 N) unless it equals it,
# far above a double's rounding, so the comparison is exact. Each group is sorted under
# one integer, dimension × 10^8 + a whole-number key (a day as its Julian day number,
# an id, 0 for none): about twice as fast as sorting by (name, mixed key).
_G = 100_000_000
_VALUES_BY = "SELECT {n} * {G} + {number} AS g, {measure} AS v FROM t WHERE {measure} IS NOT NULL"
_PERCENTILES_OF = """
    WITH t AS MATERIALIZED ({tickets}), d AS ({values})
    SELECT g, MIN(CASE WHEN cd >= 0.5 THEN v END), MIN(CASE WHEN cd >= 0.9 THEN v END)
    FROM (SELECT g, v, CUME_DIST() OVER (PARTITION BY g ORDER BY v) AS cd FROM d)
    GROUP BY g
"""
# Julian day number of 0001-01-01, Python's date ordinal 1.
_JDN_OF_ORDINAL_1 = 1721425
_PERCENTILES = {
    measure: _PERCENTILES_OF.format(
        tickets=_TICKETS,
        values=" UNION ALL ".join(
            _VALUES_BY.format(n=n, G=_G, number=number, measure=measure)
            for n, (_, _, number) in enumerate(_DIMS)
        ),
    )
    for measure in MEASURES
}

# The promise at join against the real wait, over served tickets that had one.
_ESTIMATES = f"""
    SELECT COUNT(*),
           AVG(ABS(told * 60 - wait_s) <= 300),
           AVG(ABS(told * 60 - wait_s) <= 0.25 * wait_s),
           AVG(ABS(told * 60 - wait_s)) / 60.0
    FROM ({_TICKETS})
    WHERE status = 'COMPLETED' AND told IS NOT NULL AND wait_s IS NOT NULL
"""


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """`from` and `to` as local dates, both included; a bad range is an invalid field."""
    days = []
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if not raw:
            raise InvalidField(name, "is required, as YYYY-MM-DD")
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            day = None
        if day is None or day.isoformat() != raw:
            raise InvalidField(name, "must be a date as YYYY-MM-DD")
        days.append(day)
    start, end = days
    if end < start:
        raise InvalidField("to", "must be on or after from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidField("to", f"a report covers at most {MAX_DAYS} days")
    return start, end


def _minutes(seconds: int | float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _figures(row: tuple[Any, ...]) -> dict[str, Any]:
    tickets, served, no_show, left, cancelled, w50, w90, s50, s90 = row
    return {
        "tickets": tickets,
        "served": served or 0,
        "no_show": no_show or 0,
        "left": left or 0,
        "cancelled": cancelled or 0,
        "wait_p50_min": _minutes(w50),
        "wait_p90_min": _minutes(w90),
        "service_p50_min": _minutes(s50),
        "service_p90_min": _minutes(s90),
    }


EMPTY = _figures((0, 0, 0, 0, 0, None, None, None, None))


def shop_of(shop_id: int) -> dict[str, Any]:
    """The shop a report is about (404 when there is none)."""
    shop = get_shop(shop_id)
    return {"id": shop.id, "name": shop.name, "timezone": shop.timezone}


def _names(table: str, shop_id: int) -> dict[int, str]:
    return dict(sql(f"SELECT id, name FROM {table} WHERE shop_id = ?", (shop_id,)).fetchall())


def counts_part(shop_id: int, start: date, end: date) -> dict[str, Any]:
    """Counts per group and hour, the estimates, and the names (one read)."""
    get_shop(shop_id)  # an unknown shop is 404, not an empty report
    span = (shop_id, start.isoformat(), end.isoformat())
    return {
        "rows": sql(_COUNTS, span).fetchall(),
        "estimates": sql(_ESTIMATES, span).fetchone(),
        "providers": _names("provider", shop_id),
        "services": _names("service", shop_id),
    }


def percentiles_part(shop_id: int, start: date, end: date, measure: str) -> list[tuple]:
    """(dimension, key, p50, p90) of one duration (`MEASURES`) per group, in seconds
    (one read)."""
    span = (shop_id, start.isoformat(), end.isoformat())
    return [(*_group(g), p50, p90) for g, p50, p90 in sql(_PERCENTILES[measure], span)]


def _group(g: int) -> tuple[str, Any]:
    """The dimension and key a percentile query's integer group stands for."""
    dim, number = _DIMS[g // _G][0], g % _G
    if dim == "total":
        return dim, None
    if dim == "day":
        return dim, date.fromordinal(number - _JDN_OF_ORDINAL_1 + 1).isoformat()
    return dim, number or None


def report(shop_id: int, start: date, end: date) -> dict[str, Any]:
    """The SPEC §13 body for the shop's local days `start`..`end`, both included, from
    one snapshot. The server reads its parts one by one instead (`assemble`), so a
    queue snapshot waiting for the read thread waits for one part, not for all."""
    counts = counts_part(shop_id, start, end)
    waits, services = (percentiles_part(shop_id, start, end, m) for m in MEASURES)
    return assemble(start, end, counts, waits, services)


def assemble(
    start: date, end: date, counts: dict[str, Any], waits: list[tuple], services: list[tuple]
) -> dict[str, Any]:
    groups: dict[str, dict[Any, dict[str, Any]]] = {d: {} for d, _, _ in _DIMS}
    by_hour = [0] * 24
    wait = {(dim, k): (p50, p90) for dim, k, p50, p90 in waits}
    length = {(dim, k): (p50, p90) for dim, k, p50, p90 in services}
    for dim, key, *row in counts["rows"]:
        if dim == "hour":
            if key is not None and 0 <= key < 24:
                by_hour[key] = row[0]
            continue
        figures = (*row, *wait.get((dim, key), (None, None)), *length.get((dim, key), (None, None)))
        groups[dim][key] = _figures(figures)
    compared, within_5, within_25, mean_abs = counts["estimates"]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "totals": groups["total"].get(None, EMPTY),
        "by_day": [
            {"date": d.isoformat(), **groups["day"].get(d.isoformat(), EMPTY)} for d in days
        ],
        "by_hour": by_hour,
        "by_provider": _named(groups["provider"], counts["providers"]),
        "by_service": _named(groups["service"], counts["services"]),
        "estimates": {
            "compared": compared,
            "within_5_min": None if not compared else round(within_5, 4),
            "within_25_pct": None if not compared else round(within_25, 4),
            "mean_abs_error_min": None if not compared else round(mean_abs, 1),
        },
    }


def _named(rows: dict[Any, dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    """Rows with their id and name, busiest first; tickets for nobody in particular
    (id null) last."""
    listed = [{"id": key, "name": names.get(key), **figures} for key, figures in rows.items()]
    return sorted(listed, key=lambda r: (r["id"] is None, -r["tickets"], r["id"] or 0))


# ---------------------------------------------------------------- the CSV

CSV_COLUMNS = (
    "ticket",
    "name",
    "day",
    "checked_in_at",
    "called_at",
    "started_at",
    "completed_at",
    "status",
    "provider",
    "service",
    "source",
    "waited_min",
    "served_min",
    "estimate_min",
)
CSV_PAGE_DAYS = 7

_CSV_ROWS = """
    SELECT e.ticket, e.full_name, e.ticket_day, e.checked_in_at, e.called_at, e.started_at,
           e.completed_at, e.status, p.name, s.name, e.source,
           (julianday(COALESCE(e.called_at, e.started_at)) - julianday(e.checked_in_at)) * 1440,
           CASE WHEN e.close_reason IS NULL
                THEN (julianday(e.completed_at) - julianday(e.started_at)) * 1440 END,
           e.estimated_wait_at_join, {phone}
    FROM queue_entry AS e
    LEFT JOIN provider AS p ON p.id = e.provider_id
    LEFT JOIN service AS s ON s.id = e.service_id
    {customer}
    WHERE e.shop_id = ? AND e.ticket_day BETWEEN ? AND ?
    ORDER BY e.ticket_day, julianday(e.checked_in_at), e.id
"""


def csv_pages(start: date, end: date) -> Iterator[tuple[date, date]]:
    """The range cut into week-long pages, so a long CSV is read and sent in pieces."""
    page_start = start
    while page_start <= end:
        page_end = min(end, page_start + timedelta(days=CSV_PAGE_DAYS - 1))
        yield page_start, page_end
        page_start = page_end + timedelta(days=1)


def csv_header(contact: bool) -> list[str]:
    return [*CSV_COLUMNS, "phone"] if contact else list(CSV_COLUMNS)


def csv_rows(shop_id: int, start: date, end: date, names: str, contact: bool) -> list[list[Any]]:
    """One page of CSV rows. `names` is how the display shows names right now
    ("initial" or "ticket"); `contact` (an admin's asking) gives full names and phones."""
    statement = _CSV_ROWS.format(
        phone="c.phone" if contact else "NULL",
        customer="LEFT JOIN customer AS c ON c.id = e.customer_id" if contact else "",
    )
    out = []
    for row in sql(statement, (shop_id, start.isoformat(), end.isoformat())).fetchall():
        ticket, full_name, *middle, waited, served, told, phone = row
        shown = display_name(full_name) if names == "initial" else ""
        name = full_name if contact else shown
        line = [
            ticket,
            name,
            *middle,
            _round(waited),
            _round(served),
            told,
        ]
        out.append([*line, phone] if contact else line)
    return out


def _round(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


def encode_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return out.getvalue().encode()


def _cell(value: Any) -> Any:
    # A name typed at the kiosk as "=HYPERLINK(...)" would run as a formula when the
    # owner opens the file in a spreadsheet; a leading quote keeps it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


# The byte-order mark lets spreadsheet programs read accented and Chinese names right.
CSV_START = "\ufeff".encode()
