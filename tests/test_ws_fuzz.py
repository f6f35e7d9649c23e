"""Fuzz every WebSocket dialect (SPEC §4: "Unknown or malformed client messages get
{"type": "error", ...} and the socket stays open; only abuse (size, rate) closes it").

Hypothesis throws random and malformed frames at each dialect: random JSON values
and objects (with the dialects' own keys and random values), non-objects, deep
nesting, huge numbers, garbage strings, binary frames, invalid UTF-8 in text frames,
and frames over the 64 KiB limit. After each frame the socket either answered (an
error of its dialect's shape, or the answer a valid command deserves) and still
answers ping, or was closed with a clear close code (1009 for too large, 1007 for
invalid UTF-8). Nothing escapes: the server keeps serving and never logs a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kiosk_harness import Server
from tests.ws_client import WS, Closed

API = "/api/v1"
LIMIT = 64 * 1024
PRESENCE = ("user_connected", "user_disconnected")
# Each example costs a few ms; KIOSK_FUZZ_EXAMPLES=5000 for a long hunt.
EXAMPLES = int(os.environ.get("KIOSK_FUZZ_EXAMPLES", "300"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------- the dialects


class Target:
    def __init__(
        self, name: str, path: str, ping: dict[str, Any], hello: str | None, envelope: bool = False
    ):
        self.name = name
        self.path = path
        self.ping = ping
        self.hello = hello  # the message every new socket gets first, if any
        self.envelope = envelope  # channels: errors are {"type", "payload": {code, message}}

    def __repr__(self) -> str:
        return self.name


@pytest.fixture(scope="module")
def targets(server: Server) -> dict[str, Target]:
    admin = server.client("admin")
    provider = admin.post(
        f"{API}/shops/1/providers", {"name": "Dr. Fuzz", "code": "FZ", "specialty": "x"}
    ).body
    token = server.token("staff")
    return {
        t.name: t
        for t in (
            Target("shop_queue_000", "/ws/queue/1", {"type": "ping"}, "queue_update"),
            Target("shop_queue_001", "/ws/queue/1/", {"type": "ping"}, "queue_update"),
            Target("appointments", "/ws/appointments/1/", {"type": "ping"}, "appointment_update"),
            Target("central", f"{API}/ws/queue", {"action": "ping"}, None),
            Target("central_doctor", f"{API}/ws/queue/{provider['id']}", {"action": "ping"}, None),
            Target("rooms", "/ws/connect", {"command": "ping"}, None),
            Target(
                "channels",
                f"/ws?token={token}",
                {"type": "ping", "payload": {}},
                "connection:established",
                envelope=True,
            ),
        )
    }


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for every example of the module (hypothesis tests are sync)."""
    with asyncio.Runner() as r:
        yield r


# ---------------------------------------------------------------- what to throw


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**300), max_value=2**300),  # beyond 64 bits
    st.floats(allow_nan=True, allow_infinity=True),  # NaN/Infinity: not JSON at all
    st.text(max_size=40),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)
dialect_words = st.sampled_from(
    [
        "ping",
        "subscribe",
        "unsubscribe",
        "join_room",
        "leave_room",
        "pong",
        "error",
        "snapshot",
        "queue:1",
        "appointments:1",
        "schedules",
        "notifications",
        "",
        "PING",
        "x" * 65,
    ]
)
dates = st.sampled_from(["2026-01-05", "2026-13-45", "20260105", "2026-W02-1", ""]) | st.text(
    max_size=12
)
channel_names = st.text(alphabet="abcxyz019:_-Q ", max_size=70) | json_leaf
flavored = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "action",
                "command",
                "room",
                "date",
                "payload",
                "channels",
                "shop_id",
                "since",
                "data",
            ]
        ),
        dialect_words | dates | json_value,
        max_size=5,
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["subscribe", "unsubscribe"]),
            "payload": st.fixed_dictionaries({"channels": st.lists(channel_names, max_size=60)})
            | json_value,
        }
    ),
    st.fixed_dictionaries(
        {
            "command": st.sampled_from(["join_room", "leave_room"]),
            "room": channel_names,
        }
    ),
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(["subscribe", "unsubscribe", "ping"]),
            "date": dates | json_leaf,
        },
        optional={"shop_id": json_leaf},
    ),
)
text_frames = st.one_of(
    json_value.map(lambda v: json.dumps(v, allow_nan=True)),
    flavored.map(lambda v: json.dumps(v, allow_nan=True)),
    st.text(max_size=300),  # garbage
    st.integers(1, 30_000).map(lambda n: "[" * n),  # deep nesting, unterminated
    st.integers(1, 3_000).map(lambda n: '{"a":' * n + "1" + "}" * n),  # deep, valid
    st.integers(1, 3_000).map(lambda n: "[" * n + "]" * n),
    st.integers(20, 30_000).map(lambda n: "9" * n),  # a huge number
    st.integers(20, 3_000).map(lambda n: '{"command":"join_room","room":' + "9" * n + "}"),
    st.integers(20, 3_000).map(
        lambda n: '{"type":"subscribe","payload":{"channels":[1e' + "9" * n + "]}}"
    ),
)
frames = st.one_of(
    text_frames.map(lambda t: ("text", t)),
    st.binary(max_size=300).map(lambda b: ("binary", b)),
    st.tuples(st.binary(max_size=200), st.binary(max_size=20)).map(
        lambda parts: ("bad_utf8", parts[0] + b"\xff" + parts[1])
    ),  # 0xff: never UTF-8
    st.integers(LIMIT + 1, LIMIT + 4096).map(lambda n: ("oversize", n)),
)


# ---------------------------------------------------------------- one example


async def _open(server: Server, target: Target, path: str | None = None) -> WS:
    sock = await WS.connect(server, path or target.path)
    if target.hello is not None:
        await sock.expect(target.hello)
    return sock


def _check_reply(target: Target, reply: dict[str, Any], frame: tuple[str, Any]) -> None:
    assert isinstance(reply.get("type"), str), (target, frame, reply)
    if reply["type"] != "error":
        return
    if target.envelope:
        payload = reply.get("payload")
        assert isinstance(payload, dict), reply
        assert isinstance(payload.get("code"), str) and payload["code"], reply
        assert isinstance(payload.get("message"), str) and payload["message"], reply
    else:
        assert isinstance(reply.get("message"), str) and reply["message"], reply


async def _answers_ping(sock: WS, target: Target) -> None:
    await sock.send(target.ping)
    await sock.until(lambda m: m.get("type") == "pong", what="pong")


async def _throw(server: Server, target: Target, sequence: list[tuple[str, Any]]) -> None:
    sock = await _open(server, target)
    try:
        for frame in sequence:
            kind, value = frame
            if kind == "oversize":
                await sock.send_text("x" * value)
                assert await sock.closed() == 1009, (target, kind)
                return
            if kind == "bad_utf8":
                await sock.ws.send_frame(value, aiohttp.WSMsgType.TEXT)
            elif kind == "binary":
                await sock.send_binary(value)
            else:
                assert len(value.encode()) <= LIMIT
                await sock.send_text(value)
            try:
                reply = (
                    await sock.until(
                        lambda m: m.get("type") not in PRESENCE,
                        what=f"an answer to {kind} {str(value)[:80]!r}",
                    )
                )[-1]
            except Closed as closed:
                # Only a frame that is not text at all may end the socket, clearly.
                assert kind == "bad_utf8" and closed.code == 1007, (target, frame, closed.code)
                return
            _check_reply(target, reply, frame)
            await _answers_ping(sock, target)
    finally:
        await sock.close()


# ---------------------------------------------------------------- the tests


DIALECTS = [
    "shop_queue_000",
    "shop_queue_001",
    "appointments",
    "central",
    "central_doctor",
    "rooms",
    "channels",
]


@pytest.mark.parametrize("dialect", DIALECTS)
@FUZZ_SETTINGS
@given(sequence=st.lists(frames, min_size=1, max_size=4))
def test_fuzzed_frames_get_an_answer_or_a_clear_close(server, targets, runner, dialect, sequence):
    runner.run(_throw(server, targets[dialect], sequence))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_exactly_the_limit_is_answered_one_byte_more_is_1009(server, targets, runner, dialect):
    async def go() -> None:
        target = targets[dialect]
        sock = await _open(server, target)
        try:
            await sock.send_text(" " * LIMIT)  # not JSON, but within the limit
            reply = await sock.until(lambda m: m.get("type") not in PRESENCE, what="error")
            assert reply[-1]["type"] == "error"
            await _answers_ping(sock, target)
            await sock.send_text(" " * (LIMIT + 1))
            assert await sock.closed() == 1009
        finally:
            await sock.close()

    runner.run(go())


@settings(max_examples=50, deadline=None)
@given(value=st.text(max_size=40) | dates)
def test_fuzzed_query_parameters(server, targets, runner, value):
    """?date= on the appointments socket and ?since= on the event sockets."""

    async def go() -> None:
        sock = await WS.connect(server, f"/ws/appointments/1?date={quote(value)}")
        try:
            first = await sock.recv()
            assert first["type"] in ("appointment_update", "error"), first
            if first["type"] == "error":
                assert "YYYY-MM-DD" in first["message"]
            await _answers_ping(sock, targets["appointments"])
        finally:
            await sock.close()
        for name in ("rooms", "channels"):
            target = targets[name]
            sep = "&" if "?" in target.path else "?"
            sock = await WS.connect(server, f"{target.path}{sep}since={quote(value)}")
            try:
                await sock.send(
                    {"command": "join_room", "room": "fuzz"}
                    if name == "rooms"
                    else {"type": "subscribe", "payload": {"channels": ["fuzz"]}}
                )
                await _answers_ping(sock, target)
                for message in sock.messages:
                    _check_reply(target, message, ("since", value))
            finally:
                await sock.close()

    runner.run(go())


def test_server_survived_the_fuzz(server):
    assert server.client().get(f"{API}/health").status == 200
    assert server.proc.poll() is None
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-5000:]
    assert "Error handling request" not in log, log[-5000:]
