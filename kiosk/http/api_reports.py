"""REST: reports of a range of days and the tickets as CSV (SPEC §13), for staff."""

from __future__ import annotations

from aiohttp import web

from kiosk.http.requests import json_response, path_id, principal_of, read
from kiosk.keys import RUNTIME
from kiosk.security.principal import require
from kiosk.services import reports


async def get_report(request: web.Request) -> web.Response:
    require(principal_of(request), "staff")
    shop_id = path_id(request, "shop_id")
    start, end = reports.parse_range(request.query.get("from"), request.query.get("to"))
    # Three reads, not one: a queue snapshot due meanwhile waits for one part only.
    counts = await read(request, reports.counts_part, shop_id, start, end)
    waits, services = [
        await read(request, reports.percentiles_part, shop_id, start, end, measure)
        for measure in reports.MEASURES
    ]
    return json_response(reports.assemble(start, end, counts, waits, services))


async def get_tickets_csv(request: web.Request) -> web.StreamResponse:
    """Streamed a week at a time, each week one read: a year of tickets never sits in
    memory whole, and the first bytes leave before the last week is read."""
    principal = principal_of(request)
    require(principal, "staff")
    shop_id = path_id(request, "shop_id")
    start, end = reports.parse_range(request.query.get("from"), request.query.get("to"))
    contact = request.query.get("contact") in ("1", "true")
    if contact:
        require(principal, "admin")  # names in full and phones are the owner's to take
    await read(request, reports.shop_of, shop_id)  # 404 before any byte is sent
    names = request.app[RUNTIME].settings.display_names
    filename = f"tickets-{shop_id}-{start.isoformat()}-{end.isoformat()}.csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(reports.CSV_START + reports.encode_csv([reports.csv_header(contact)]))
    for page_start, page_end in reports.csv_pages(start, end):
        rows = await read(request, reports.csv_rows, shop_id, page_start, page_end, names, contact)
        if rows:
            await response.write(reports.encode_csv(rows))
    await response.write_eof()
    return response


# For the OpenAPI document (http/api_openapi.py): summary, role, body, success status.
OPERATIONS = {
    ("GET", "/api/v1/shops/{shop_id}/reports"): (
        "A range of days' report (?from=&to=, YYYY-MM-DD, at most 366 days; SPEC §13)",
        "staff",
        None,
        200,
    ),
    ("GET", "/api/v1/shops/{shop_id}/reports/tickets.csv"): (
        "The range's tickets as CSV (?from=&to=; &contact=1, admin only: names and phones)",
        "staff; admin for contact=1",
        None,
        200,
    ),
}


def bind(app: web.Application) -> None:
    r = app.router
    p = "/api/v1"
    r.add_get(f"{p}/shops/{{shop_id}}/reports", get_report)
    r.add_get(f"{p}/shops/{{shop_id}}/reports/tickets.csv", get_tickets_csv)
