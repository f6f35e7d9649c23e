"""Fixtures that start real things: the appliance on a free port with a temp data dir,
as a subprocess (`server`, `fresh_server`) or in this test's event loop (`inprocess_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.inprocess import Kiosk, running
from tests.kiosk_harness import Server


@pytest.fixture(scope="module")
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One appliance per test module (fast); tests create their own shops/providers.
    A module's `SERVER_ARGS` (a tuple of `kiosk serve` flags) are passed on."""
    extra_args = tuple(getattr(request.module, "SERVER_ARGS", ()))
    srv = Server(tmp_path_factory.mktemp("kiosk"), extra_args=extra_args).start()
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


@pytest.fixture
async def inprocess_app(tmp_path) -> AsyncIterator[Kiosk]:
    """`make_app` in this test's loop behind aiohttp's TestServer: claimed, one token
    per role, the periodic refresh out of the way. Its sockets close with it."""
    async with running(tmp_path / "inprocess") as kiosk:
        yield kiosk
