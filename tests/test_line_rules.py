"""The order of the line and honest waits (SPEC §10), as pure rules: where a priority
ticket or an appointment is inserted, and how long each waiting ticket will wait.

Fast and exhaustive here; tests/test_api_services.py and tests/test_appointments_on_time.py
check the same rules through the real server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.domain import line_order, waits
from kiosk.domain.line_order import InLine, appointment_index, placement, priority_index
from kiosk.domain.waits import Length, Serving, Waiting, plan, typical_length

P, N = True, False

# ---------------------------------------------------------------- priority rules


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ([], 0),
        ([N, N, N], 0),
        ([P, N, N], 1),
        ([P, P, N], 2),
        # Staff dragged a normal ticket ahead of a priority one: the rule still goes
        # after the last priority ticket and moves nobody.
        ([N, P, N], 2),
    ],
)
def test_first_goes_after_the_last_waiting_priority_ticket(line, expected):
    assert priority_index("first", line, normal_calls=7) == expected


@pytest.mark.parametrize(
    ("line", "calls", "expected"),
    [
        ([P, N, N, N, N], 0, 3),  # after the last priority ticket plus 2 normal ones
        ([P, N], 0, 2),  # a short line: the end
        ([N, N, N, N], 0, 2),  # none waiting, no normal call yet: after N - 0
        ([N, N, N, N], 1, 1),  # one normal call since the last priority call
        ([N, N, N, N], 2, 0),
        ([N, N, N, N], 9, 0),  # never below 0
        ([N], 0, 1),
        ([], 0, 0),
    ],
)
def test_ratio_goes_after_n_normal_tickets(line, calls, expected):
    assert priority_index("ratio:2", line, normal_calls=calls) == expected


@pytest.mark.parametrize("every", [1, 2, 3, 10])
def test_ratio_alternates_n_normal_calls_to_one_priority(every):
    """A long line of normal tickets and a priority ticket arriving whenever none is
    waiting: called from the front, exactly `every` normal tickets go between two
    priority ones (the c in SPEC §10 makes up for the calls already made)."""
    line = [("N", i) for i in range(200)]
    calls_since = 0
    called = []
    arrivals = iter(range(1000))
    for _ in range(120):
        if not any(kind == "P" for kind, _ in line):
            at = priority_index(f"ratio:{every}", [k == "P" for k, _ in line], calls_since)
            line.insert(at, ("P", next(arrivals)))
        kind, _ = line.pop(0)
        called.append(kind)
        calls_since = 0 if kind == "P" else calls_since + 1
    runs = "".join(called).split("P")
    assert all(len(run) == every for run in runs[1:-1]), "".join(called)
    assert len(runs[0]) == every


def test_an_unknown_rule_is_refused():
    assert line_order.valid_rule("first") and line_order.valid_rule("ratio:10")
    for bad in ("ratio:0", "ratio:11", "ratio:", "last", None, 3, "ratio:1.5"):
        assert not line_order.valid_rule(bad), bad
    with pytest.raises(ValueError):
        priority_index("ratio:11", [], 0)


# ---------------------------------------------------------------- appointments

TEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (TEN - timedelta(minutes=10, seconds=1), "early"),
        (TEN - timedelta(minutes=10), "on_time"),
        (TEN, "on_time"),
        (TEN + timedelta(minutes=10), "on_time"),
        (TEN + timedelta(minutes=10, seconds=1), "late"),
    ],
)
def test_placement_by_the_grace_minutes(now, expected):
    assert placement(TEN, now, grace_minutes=10) == expected


def test_an_appointment_without_a_time_is_no_time():
    assert placement(None, TEN, 10) == "no_time"


def test_appointment_goes_before_the_first_ticket_for_its_provider_starting_later():
    at = [TEN + timedelta(minutes=m) for m in (-5, 20, 5, 30)]
    line = [InLine(None, at[0]), InLine(2, at[1]), InLine(1, at[2]), InLine(None, at[3])]
    # Provider 1 at 10:00: ticket 0 starts before, ticket 1 is another provider's,
    # ticket 2 (provider 1) starts at 10:05, after the appointment's time.
    assert appointment_index(line, 1, TEN) == 2
    assert appointment_index(line, 2, TEN) == 1
    assert appointment_index(line, 1, TEN + timedelta(hours=1)) == 4  # the end
    assert appointment_index([], 1, TEN) == 0


# ---------------------------------------------------------------- honest waits


def shop(on_duty=(1, 2, 3), offered_by=None, minutes=25.0, **lengths):
    return waits.Shop(
        on_duty=list(on_duty),
        offered_by=offered_by or {},
        lengths={None: Length(minutes), **{int(k[1:]): v for k, v in lengths.items()}},
    )


def line_of(*tickets):
    return [Waiting(i, p, s) for i, (p, s) in enumerate(tickets, start=1)]


def minutes(estimates):
    return [estimates[i].minutes for i in sorted(estimates)]


def test_free_providers_serve_the_first_tickets_at_once():
    """Three idle barbers and four waiting: three go now, the fourth after one service
    (the first release said "about 25 min" to the first of them)."""
    found = plan(shop(), line_of(*[(None, None)] * 4), [])
    assert minutes(found) == [0, 0, 0, 25]


def test_busy_providers_free_up_by_what_is_left_of_their_service():
    serving = [Serving(1, None, 20.0), Serving(2, None, 5.0), Serving(3, None, None)]
    found = plan(shop(), line_of(*[(None, None)] * 4), serving)
    # Left: 5, 20 and 25 minutes; the fourth goes when the first of them is done again.
    assert minutes(found) == [5, 20, 25, 30]


def test_never_zero_while_more_are_ahead_than_providers_are_free():
    overrun = [Serving(1, None, 90.0)]  # far past its typical 25 minutes
    found = plan(shop(on_duty=[1]), line_of((None, None), (None, None)), overrun)
    assert found[1].minutes >= 1 and found[2].minutes > found[1].minutes


def test_each_service_counts_for_its_own_length():
    facts = shop(on_duty=[1], s1=Length(30.0), s2=Length(10.0))
    found = plan(facts, line_of((None, 2), (None, 1), (None, 2), (None, None)), [])
    assert minutes(found) == [0, 10, 40, 50]


def test_a_provider_who_does_not_offer_a_service_does_not_shorten_its_line():
    # Colour (service 7) only by provider 1, who is busy for 40 more minutes; provider 2
    # is free but does not do colour.
    facts = shop(on_duty=[1, 2], offered_by={7: frozenset({1})}, s7=Length(60.0))
    found = plan(facts, line_of((None, 7), (None, None)), [Serving(1, 7, 20.0)])
    assert found[1].minutes == 40
    assert found[2].minutes == 0  # provider 2 takes the next one it may serve


def test_a_ticket_for_one_provider_waits_for_that_provider():
    found = plan(shop(on_duty=[1, 2]), line_of((2, None)), [Serving(2, None, 10.0)])
    assert found[1].minutes == 15


def test_a_provider_off_duty_or_gone_leaves_the_ticket_to_anyone():
    found = plan(shop(on_duty=[1]), line_of((9, None)), [])
    assert found[1].minutes == 0


def test_nobody_on_duty_is_one_counter():
    found = plan(shop(on_duty=[]), line_of((None, None), (None, None)), [])
    assert minutes(found) == [0, 25]


def test_a_called_customer_nobody_assigned_occupies_a_free_provider():
    found = plan(shop(on_duty=[1, 2]), line_of(*[(None, None)] * 2), [Serving(None, None, None)])
    assert minutes(found) == [0, 25]


def test_typical_length_ignores_the_absurd_and_waits_for_enough_history():
    assert typical_length([0.2], 25) == Length(25.0)  # one quick service changes nothing
    assert typical_length([0.1, 0.5, 600, 900, 20, 22], 25) == Length(25.0)  # 2 sensible
    known = typical_length([10, 12, 14, 16, 18, 0.3, 500], 25)
    assert known.minutes == 14 and known.known
    assert known.low < known.minutes < known.high


def test_range_is_null_on_a_guess_and_rounded_around_the_estimate_on_history():
    guessed = plan(shop(on_duty=[1]), line_of((None, None), (None, None)), [])
    assert guessed[1].range == (0, 0)  # served at once: no doubt
    assert guessed[2].range is None  # the owner's guess: too thin for a range
    history = typical_length([10, 12, 14, 16, 18, 20, 22], 25)
    facts = waits.Shop([1], {}, {None: history})
    found = plan(facts, line_of(*[(None, None)] * 4), [])
    for estimate in list(found.values())[1:]:
        low, high = estimate.range
        assert low <= estimate.minutes <= high
        assert low % 5 == 0 and high % 5 == 0 and high > low


def test_one_ticket_s_estimate_is_the_same_as_in_the_whole_plan():
    facts = shop(on_duty=[1, 2], offered_by={7: frozenset({1})}, s7=Length(40.0))
    line = line_of((None, 7), (2, None), (None, None), (None, 7), (1, None))
    serving = [Serving(1, None, 3.0)]
    whole = plan(facts, line, serving)
    for ticket in line:
        assert plan(facts, line, serving, only=ticket.id) == {ticket.id: whole[ticket.id]}
