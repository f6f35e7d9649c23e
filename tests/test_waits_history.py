"""What the line remembers (SPEC §10), through the real use cases on a real SQLite file:
which recorded services count for a wait, per service, and when a range is given; and
the count of normal calls since the last priority one that the "ratio:N" rule reads.

The history is written as the appliance would have written it (completed tickets with
their start and end stamps); the joins and the display go through `kiosk.services`.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.services import catalog, queue, shops, views
from kiosk.services.context import sql
from kiosk.services.line import normal_calls_since_priority
from kiosk.services.rows import get_shop
from tests.test_properties import STAFF, SYSTEM, _service_database, _use

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def recorded(shop_id: int, service_id: int | None, lengths: list[float]) -> None:
    """Completed tickets of yesterday that lasted `lengths` minutes each."""
    for minutes in lengths:
        n = next(_numbers)
        began = START + timedelta(minutes=20 * n)
        sql(
            "INSERT INTO queue_entry (shop_id, customer_id, full_name, ticket, ticket_day, "
            "status, source, claim_hash, checked_in_at, started_at, completed_at, service_id) "
            "VALUES (?, (SELECT MIN(id) FROM customer), 'Old Timer', ?, '2026-11-30', "
            "'COMPLETED', 'kiosk', ?, ?, ?, ?, ?)",
            (
                shop_id,
                f"H{service_id or 0}{n:03d}",
                f"hash-{shop_id}-{service_id}-{n}",
                began.isoformat(),
                began.isoformat(),
                (began + timedelta(minutes=minutes)).isoformat(),
                service_id,
            ),
        )


def waits_shown(shop_id: int) -> list[tuple[int, list[int] | None]]:
    return [
        (e["estimated_wait_minutes"], e["estimated_wait_range"])
        for e in views.queue_snapshot(shop_id)["queue_items"]
        if e["status"] == "CHECKED_IN"
    ]


def a_shop(name: str) -> tuple[int, int]:
    shop = _use(shops.create_shop, SYSTEM, name, "UTC").value
    _use(shops.create_provider, SYSTEM, shop["id"], {"name": "Only Chair"})
    service = _use(catalog.create_service, SYSTEM, shop["id"], {"name": "Cut", "minutes": 30})
    _use(queue.join, STAFF, shop["id"], "First Customer", None, None, "kiosk")  # a customer row
    return shop["id"], service.value["id"]


def test_a_service_s_own_history_replaces_the_owner_s_guess_after_five(tmp_path: Path) -> None:
    with _service_database(tmp_path):
        shop_id, cut = a_shop("History")
        # Four sensible services, and absurd ones that must not count: the guess stays.
        _use(recorded, shop_id, cut, [10, 10, 10, 10, 0.2, 0.5, 600, 1000])
        _use(queue.join, STAFF, shop_id, "Next Customer", None, cut, "kiosk")
        assert waits_shown(shop_id)[-1] == (30, None)
        # A fifth: the median of its own services (10 minutes), with a range.
        _use(recorded, shop_id, cut, [12])
        _use(queue.join, STAFF, shop_id, "Third Customer", None, cut, "kiosk")
        shown = waits_shown(shop_id)
        assert shown[1][0] == 10
        low, high = shown[2][1]
        assert low <= shown[2][0] <= high and low % 5 == 0 and high % 5 == 0
        # Another shop's history is not this one's.
        other, other_cut = a_shop("Elsewhere")
        _use(queue.join, STAFF, other, "Far Customer", None, other_cut, "kiosk")
        assert waits_shown(other)[-1] == (30, None)


def test_normal_calls_since_priority_count_per_day_and_restart_on_a_priority_call(
    tmp_path: Path,
) -> None:
    with _service_database(tmp_path):
        shop_id, _ = a_shop("Tally")
        shop = get_shop(shop_id)
        waiting = [
            _use(queue.join, STAFF, shop_id, f"Norma Normal{n}", None, None, "kiosk").value["id"]
            for n in range(3)
        ]
        for entry_id in waiting[:2]:
            _use(queue.update_entry, STAFF, entry_id, "CALLED", None, False)
        assert _use(normal_calls_since_priority, shop) == 2
        # A new day starts at 0 (SPEC §10).
        _use(sql, "UPDATE call_tally SET day = '2000-01-01' WHERE shop_id = ?", (shop_id,))
        assert _use(normal_calls_since_priority, shop) == 0
        _use(queue.update_entry, STAFF, waiting[2], "IN_SERVICE", None, False)
        assert _use(normal_calls_since_priority, shop) == 1
        elder = _use(queue.join, STAFF, shop_id, "Ed Elder", None, None, "walk_in", None, "first")
        assert elder.value["position_in_queue"] == 1
        _use(queue.call_next, STAFF, shop_id, None)
        assert _use(normal_calls_since_priority, shop) == 0
