"""The PIN guard's arithmetic, driven directly (security/limits.py `LoginGuard`): the
parts the real server cannot show from 127.0.0.1, such as a whole IPv6 /64."""

from __future__ import annotations

import pytest

from kiosk.security.limits import LoginGuard

ATTEMPTS, LOCKOUT_S = 5, 30.0


def fail(guard: LoginGuard, address: str, times: int) -> None:
    for _ in range(times):
        guard.failed(address, ATTEMPTS, LOCKOUT_S)


@pytest.fixture
def guard() -> LoginGuard:
    g = LoginGuard()
    g.FREE_FAILURES = 10_000  # this file tests per-address rules; the global one below
    return g


def test_one_address_is_locked_after_its_attempts(guard):
    fail(guard, "192.168.1.20", ATTEMPTS - 1)
    assert guard.wait_s("192.168.1.20") == 0
    fail(guard, "192.168.1.20", 1)
    assert 0 < guard.wait_s("192.168.1.20") <= LOCKOUT_S
    assert guard.wait_s("192.168.1.21") == 0


def test_an_ipv6_host_cannot_escape_by_changing_its_interface_id(guard):
    """One host owns a /64: each new address gets its own 5, the /64 all in all 20."""
    prefix = "2001:db8:1:2::"
    for n in range(4 * ATTEMPTS - 1):
        fail(guard, f"{prefix}{n + 1:x}", 1)
    assert guard.wait_s(f"{prefix}ffff") == 0
    fail(guard, f"{prefix}abcd", 1)
    assert guard.wait_s(f"{prefix}beef") > 0  # a never-seen address of the same /64
    assert guard.wait_s("2001:db8:1:3::1") == 0  # the next /64 is someone else


def test_an_ipv4_mapped_address_is_that_ipv4_host(guard):
    fail(guard, "::ffff:192.168.1.20", ATTEMPTS)
    assert guard.wait_s("192.168.1.20") > 0


def test_a_success_clears_the_address_but_not_its_network(guard):
    fail(guard, "2001:db8::1", ATTEMPTS - 1)
    guard.succeeded("2001:db8::1")
    fail(guard, "2001:db8::1", ATTEMPTS - 1)
    assert guard.wait_s("2001:db8::1") == 0


def test_failures_anywhere_slow_everyone_but_never_past_a_minute():
    guard = LoginGuard()
    for n in range(guard.FREE_FAILURES):
        assert guard.wait_s(f"10.0.0.{n}") == 0
        fail(guard, f"10.0.0.{n}", 1)
    fail(guard, "10.0.1.1", 1)
    assert 0 < guard.wait_s("10.9.9.9") <= 1
    fail(guard, "10.0.1.2", 40)
    assert 0 < guard.wait_s("10.9.9.9") <= guard.MAX_GLOBAL_WAIT_S


def test_memory_stays_bounded_under_many_addresses(guard):
    guard.MAX_KEYS = 1_000
    for n in range(5_000):
        fail(guard, f"10.{n // 250}.{n % 250}.1", 1)  # one miss each: nobody is locked
    assert len(guard._failures) <= guard.MAX_KEYS + 1


def test_the_self_check_in_limiter_forgets_idle_addresses_over_a_week():
    """Release 1 kept every address that ever joined (12,001 keys after 12,000 idle
    ones, 2.1 ms a check). A simulated week: 300 new phones an hour, 5 joins per 10 min."""
    from kiosk.security.limits import SlidingWindow

    now = [0.0]
    window = SlidingWindow(max_keys=1_000, clock=lambda: now[0])
    largest = 0
    for hour in range(7 * 24):
        for phone in range(300):
            now[0] = hour * 3600 + phone * 12
            assert window.check(f"10.{hour % 250}.{phone // 250}.{phone % 250}", 5, 600) == 0
            largest = max(largest, len(window))
    assert largest <= 2 * 1_000
    # Still a limit: the sixth join within ten minutes waits.
    for _ in range(5):
        window.check("10.0.0.99", 5, 600)
    assert window.check("10.0.0.99", 5, 600) > 0
