"""Fixtures that start real things: the appliance on a free port with a temp data dir."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kiosk_harness import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """One appliance per test module (fast); tests create their own shops/providers."""
    srv = Server(tmp_path_factory.mktemp("kiosk")).start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.kill()


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[Server]:
    """An appliance of this test's own, for tests that restart or kill it."""
    srv = Server(tmp_path / "data")
    try:
        yield srv
    finally:
        srv.kill()
