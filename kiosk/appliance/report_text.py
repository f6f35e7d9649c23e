"""`kiosk report`: the totals of SPEC §13 in the terminal, and the tickets as CSV.

It reads the data folder's file directly, beside a running appliance or without one:
a read-only connection in WAL mode never blocks the server's writes, and the figures
are the very queries `GET /api/v1/shops/{id}/reports` answers with.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kiosk.domain.errors import KioskError
from kiosk.services import reports, settings
from kiosk.store.models import database
from kiosk.store.schema import SCHEMA_VERSION

LABELS = (
    ("tickets", "tickets"),
    ("served", "served"),
    ("no_show", "no-show"),
    ("left", "left"),
    ("cancelled", "cancelled"),
    ("wait_p50_min", "wait p50 (min)"),
    ("wait_p90_min", "wait p90 (min)"),
    ("service_p50_min", "service p50 (min)"),
    ("service_p90_min", "service p90 (min)"),
)


def _value(value: Any) -> str:
    return "-" if value is None else str(value)


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.0f}%"


def render(shop: dict[str, Any], body: dict[str, Any]) -> str:
    totals, est = body["totals"], body["estimates"]
    lines = [f"{shop['name']} (shop {shop['id']}), {body['from']} to {body['to']}", ""]
    lines += [f"  {label:<18} {_value(totals[key]):>8}" for key, label in LABELS]
    lines += [
        "",
        f"  estimates compared {est['compared']:>8}",
        f"  within 5 min       {_percent(est['within_5_min']):>8}",
        f"  within 25%         {_percent(est['within_25_pct']):>8}",
        f"  mean error (min)   {_value(est['mean_abs_error_min']):>8}",
    ]
    if body["by_provider"]:
        lines += ["", "  by provider        tickets  served  no-show  wait p50"]
        for row in body["by_provider"]:
            name = (row["name"] or "(anyone)")[:18]
            lines.append(
                f"  {name:<18} {row['tickets']:>7} {row['served']:>7} {row['no_show']:>8}"
                f" {_value(row['wait_p50_min']):>9}"
            )
    return "\n".join(lines)


def _write_csv(target: Path, shop_id: int, start, end, contact: bool) -> int:
    names = settings.load().display_names
    count = 0
    with open(target, "wb") as out:
        out.write(reports.CSV_START + reports.encode_csv([reports.csv_header(contact)]))
        for page_start, page_end in reports.csv_pages(start, end):
            rows = reports.csv_rows(shop_id, page_start, page_end, names, contact)
            out.write(reports.encode_csv(rows))
            count += len(rows)
    return count


def run_report(
    path: Path, shop_id: int, raw_from: str, raw_to: str, csv: Path | None, contact: bool
) -> int:
    try:
        start, end = reports.parse_range(raw_from, raw_to)
    except KioskError as exc:
        field, reason = exc.details.get("field"), exc.details.get("reason")
        print(f"kiosk report: --{field} {reason}", file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"no database at {path}", file=sys.stderr)
        return 1
    database.init(str(path), pragmas={"query_only": 1, "busy_timeout": 5000})
    try:
        database.connect()
        version = database.execute_sql("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            print(
                f"{path} is from an older Queue Kiosk (schema {version}); start the appliance "
                "once to upgrade it, then ask again.",
                file=sys.stderr,
            )
            return 1
        with database.atomic():  # one snapshot: the totals and the CSV agree
            try:
                shop = reports.shop_of(shop_id)
            except KioskError:
                print(f"no shop {shop_id} in {path}", file=sys.stderr)
                return 1
            body = reports.report(shop_id, start, end)
            written = _write_csv(csv, shop_id, start, end, contact) if csv else None
    finally:
        database.close()
    print(render(shop, body))
    if csv is not None:
        print(f"\n{written} tickets written to {csv}")
    return 0
