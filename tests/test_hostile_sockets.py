"""What a hostile client found on the sockets, and the fixes (SPEC §15, §16).

- Every client frame takes a token from the socket's message bucket, pings and pongs
  too: a ping flood is closed with 1008 like a text flood.
- An unmasked client frame closes the socket with 1002 (RFC 6455 §5.1), however the
  frames before it were split or sized, and even when it rides behind the handshake.
- `user:N` is only for the socket whose user is N; `schedules`, `timeoff` and
  `printer` only for staff, joined or replayed with `?since=`. A refusal is an error
  in the dialect's shape and the socket stays open.
- Revoking a token, logging out and disabling a staff member close that principal's
  sockets at once with 4401, and nothing more reaches them; other sockets stay.

Each test fails without its fix. "Nothing else arrived" is shown by a later marker
message on the same socket (a pong), never by a sleep.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from http.cookies import SimpleCookie
from typing import Any

import pytest

from kiosk.realtime.masking import MaskGuard
from tests.inprocess import Kiosk
from tests.ws_client import API, WS, ok, relay

TIMEOUT = 5.0
REVOKED = 4401
MAX_FRAMES = 200  # no raw read loop reads more frames than this
FLOOD = 400  # frames a flood sends at most; the default burst is 100


# ---------------------------------------------------------------- a raw client


def frame(opcode: int, payload: bytes, *, masked: bool = True, length_bits: int = 0) -> bytes:
    """One client frame; `length_bits` (16 or 64) forces an extended length field."""
    first = bytes([0x80 | opcode])
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if length_bits == 64 or size >= 65536:
        header = first + bytes([mask_bit | 127]) + struct.pack("!Q", size)
    elif length_bits == 16 or size >= 126:
        header = first + bytes([mask_bit | 126]) + struct.pack("!H", size)
    else:
        header = first + bytes([mask_bit | size])
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def text(body: str, **kw: Any) -> bytes:
    return frame(0x1, body.encode(), **kw)


class RawSocket:
    """A WebSocket client that writes frames byte for byte as a test builds them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, kiosk: Kiosk, path: str, behind_handshake: bytes = b"") -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", kiosk.port)
        key = base64.b64encode(os.urandom(16)).decode()
        handshake = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{kiosk.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        writer.write(handshake.encode() + behind_handshake)
        async with asyncio.timeout(TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send(self, *frames: bytes) -> None:
        self.writer.write(b"".join(frames))
        await self.writer.drain()

    async def send_bytewise(self, data: bytes) -> None:
        """One write per byte, so the server may see a header split anywhere."""
        for i in range(len(data)):
            self.writer.write(data[i : i + 1])
            await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes]:
        async with asyncio.timeout(TIMEOUT):
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(size)

    async def close_code(self) -> tuple[int, list[tuple[int, bytes]]]:
        """Read up to the server's close frame: its code, and the frames before it."""
        before = []
        for _ in range(MAX_FRAMES):
            opcode, payload = await self.read_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0], before
            before.append((opcode, payload))
        raise AssertionError(f"no close frame within {MAX_FRAMES} frames: {before[-5:]}")

    async def expect_pong_text(self) -> None:
        opcode, payload = await self.read_frame()
        assert opcode == 0x1 and b'"pong"' in payload, (opcode, payload)

    def close(self) -> None:
        self.writer.close()


ROOMS_PING = '{"command": "ping"}'


# ---------------------------------------------------------------- 1. pings take tokens


@pytest.mark.parametrize("kind", ["ping", "pong"])
async def test_a_flood_of_control_frames_is_closed_with_1008(inprocess_app: Kiosk, kind: str):
    kiosk = inprocess_app
    bystander = await kiosk.ws("/ws/connect")
    flooder = await kiosk.ws("/ws/connect")
    send = flooder.ws.ping if kind == "ping" else flooder.ws.pong
    for _ in range(FLOOD):
        if flooder.ws.closed:
            break
        try:
            await send(b"x")
        except ConnectionError:
            break
    assert await flooder.closed(TIMEOUT) == 1008
    await bystander.send({"command": "ping"})
    await bystander.wait_for("pong")


# ---------------------------------------------------------------- 2. masking


async def test_an_unmasked_frame_closes_the_socket_with_1002(inprocess_app: Kiosk):
    sock = await RawSocket.open(inprocess_app, "/ws/connect")
    try:
        await sock.send(text(ROOMS_PING))
        await sock.expect_pong_text()  # masked traffic is served
        await sock.send(text(ROOMS_PING, masked=False))
        code, before = await sock.close_code()
        assert code == 1002
        assert before == [], "the unmasked ping was answered"
    finally:
        sock.close()


async def test_an_unmasked_frame_right_behind_the_handshake_closes_1002(inprocess_app: Kiosk):
    """Bytes sent before our 101 reach the reader early; they are checked too."""
    early = text(ROOMS_PING) + text(ROOMS_PING, masked=False)
    sock = await RawSocket.open(inprocess_app, "/ws/connect", behind_handshake=early)
    try:
        code, before = await sock.close_code()
        assert code == 1002
        assert len(before) == 1 and b'"pong"' in before[0][1], before
    finally:
        sock.close()


async def test_frame_boundaries_are_followed_across_sizes_and_split_reads(inprocess_app: Kiosk):
    """Payloads past 125 bytes, 16- and 64-bit lengths, control frames and one-byte
    writes: every masked frame is served, then the unmasked one closes the socket."""
    padded = '{"command": "ping", "pad": "' + " " * 300 + '"}'
    sock = await RawSocket.open(inprocess_app, "/ws/connect")
    try:
        await sock.send_bytewise(text(padded) + text(ROOMS_PING, length_bits=16))
        await sock.expect_pong_text()
        await sock.expect_pong_text()
        await sock.send(text(ROOMS_PING, length_bits=64), frame(0x9, b"are you there"))
        await sock.expect_pong_text()
        assert await sock.read_frame() == (0xA, b"are you there")
        await sock.send_bytewise(text(ROOMS_PING) + text(ROOMS_PING, masked=False))
        code, before = await sock.close_code()
        assert code == 1002
        assert len(before) == 1 and b'"pong"' in before[0][1], before
    finally:
        sock.close()


class _Parser:
    def __init__(self) -> None:
        self.fed = bytearray()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.fed += data
        return False, b""


class _Queue:
    def __init__(self) -> None:
        self.error: BaseException | None = None

    def set_exception(self, exc: BaseException) -> None:
        self.error = exc


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000, 65536])
def test_the_guard_passes_every_masked_byte_and_nothing_from_the_unmasked_frame(chunk: int):
    masked = (
        text("a" * 5)
        + text("b" * 200)
        + text("c" * 70_000)
        + text("d", length_bits=64)
        + frame(0x9, b"")
    )
    stream = masked + text("evil", masked=False) + text("after")
    parser, queue = _Parser(), _Queue()
    guard = MaskGuard(parser, queue)
    results = [guard.feed_data(stream[i : i + chunk]) for i in range(0, len(stream), chunk)]
    # A lone first byte of the unmasked frame may have gone ahead in its own read; the
    # reader can do nothing with one byte of a header.
    assert parser.fed[: len(masked)] == masked and len(parser.fed) - len(masked) <= 1
    assert queue.error is not None and queue.error.code == 1002
    assert results[-1] == (True, b"")


# ---------------------------------------------------------------- 3. private and staff topics


async def _channels(kiosk: Kiosk, token: str, since: int | None = None) -> tuple[WS, int]:
    query = f"/ws?token={token}" + (f"&since={since}" if since is not None else "")
    sock = await kiosk.ws(query)
    hello = await sock.expect("connection:established")
    return sock, hello["payload"]["user_id"]


async def _user_id(kiosk: Kiosk, role: str) -> int:
    sock, user_id = await _channels(kiosk, kiosk.token(role))
    await sock.close()
    return user_id


async def test_rooms_refuse_another_users_room_and_staff_rooms_to_non_staff(inprocess_app: Kiosk):
    kiosk = inprocess_app
    staff_id = await _user_id(kiosk, "staff")
    await relay(kiosk, "notification", user_id=staff_id, data={"text": "private note"})
    await relay(kiosk, "schedule_updated", room="schedules", data={"shift": "early"})
    kiosk_sock = await kiosk.ws("/ws/connect?since=0", kiosk.token("kiosk"))
    anonymous = await kiosk.ws("/ws/connect?since=0")
    for sock in (kiosk_sock, anonymous):
        for room in (f"user:{staff_id}", "schedules", "timeoff", "printer"):
            await sock.send({"command": "join_room", "room": room})
            refused = await sock.expect("error", code="forbidden")
            assert room in refused["message"]
        await sock.send({"command": "ping"})
        await sock.expect("pong")  # still open, and nothing was replayed
        assert "notification" not in sock.types() and "schedule_updated" not in sock.types()

    staff_sock = await kiosk.ws("/ws/connect?since=0", kiosk.token("staff"))
    # Its own user's events come back at connect, as every rooms socket holds that room.
    note = await staff_sock.expect("notification")
    assert note["data"] == {"text": "private note"}
    await staff_sock.send({"command": "join_room", "room": f"user:{staff_id}"})
    await staff_sock.expect("room_joined")  # and not a second time
    await staff_sock.send({"command": "join_room", "room": "schedules"})
    await staff_sock.expect("room_joined", room="schedules")
    await staff_sock.expect("schedule_updated")


async def test_channels_refuse_private_and_staff_channels_in_their_own_shape(inprocess_app: Kiosk):
    kiosk = inprocess_app
    admin_id = await _user_id(kiosk, "admin")
    await relay(kiosk, "notification", user_id=admin_id, data={"text": "for the owner"})
    await relay(kiosk, "time_off_created", room="timeoff", data={"who": "Ann"})
    sock, own_id = await _channels(kiosk, kiosk.token("display"), since=0)
    for channels in ([f"user:{admin_id}"], ["timeoff"], ["queue:1", "printer"]):
        await sock.send({"type": "subscribe", "payload": {"channels": channels}})
        refused = await sock.expect("error")
        assert refused["payload"]["code"] == "forbidden", refused
        assert channels[-1] in refused["payload"]["message"]
    await sock.send({"type": "subscribe", "payload": {"channels": [f"user:{own_id}"]}})
    await sock.expect("subscribed")  # its own user channel is fine (already held)
    assert "notification" not in sock.types() and "time_off_created" not in sock.types()

    admin, _ = await _channels(kiosk, kiosk.token("admin"), since=0)
    # Its own user's events come back at connect (the implicit channel is resumed too).
    assert (await admin.expect("notification"))["payload"] == {"text": "for the owner"}
    await admin.send({"type": "subscribe", "payload": {"channels": ["timeoff", "schedules"]}})
    await admin.expect("subscribed")
    assert (await admin.expect("time_off_created"))["payload"] == {"who": "Ann"}


# ---------------------------------------------------------------- 4. revocation closes at once


async def _staff_session(kiosk: Kiosk, pin: str) -> tuple[int, str]:
    """A new staff member logged in with a PIN: their id and session secret."""
    staff = await ok(
        kiosk, "POST", f"{API}/staff", {"name": f"Pat {pin}", "pin": pin}, role="admin"
    )
    login = await kiosk.request("POST", f"{API}/auth/login", {"pin": pin}, role=None)
    assert login.status == 200, login.raw
    kiosk.client.session.cookie_jar.clear()  # later requests say who they are themselves
    cookie = SimpleCookie(login.headers["set-cookie"])
    return staff["id"], cookie["qk_session"].value


async def _closes_at_once(kiosk: Kiosk, doomed: WS, bystander: WS, action) -> None:
    """Run the action; the doomed socket is closed 4401 within a second and hears
    nothing after it, the bystander hears on."""
    await action()
    await relay(kiosk, "order_created", data={"order": 1})
    assert await doomed.closed(1.0) == REVOKED
    assert "order_created" not in doomed.types()
    await bystander.wait_for("order_created")


async def test_revoking_a_token_closes_its_sockets_with_4401(inprocess_app: Kiosk):
    kiosk = inprocess_app
    made = await ok(kiosk, "POST", f"{API}/tokens", {"role": "staff"}, role="admin")
    rooms = await kiosk.ws("/ws/connect", made["token"])
    channels, _ = await _channels(kiosk, made["token"])
    bystander = await kiosk.ws("/ws/connect", kiosk.token("staff"))
    await rooms.send({"command": "ping"})
    await rooms.wait_for("pong")

    async def revoke() -> None:
        await ok(kiosk, "DELETE", f"{API}/tokens/{made['id']}", role="admin")

    await _closes_at_once(kiosk, rooms, bystander, revoke)
    assert await channels.closed(1.0) == REVOKED
    late = await kiosk.ws("/ws/connect", made["token"])  # the token is known to be dead
    assert await late.closed(1.0) == 1008


async def test_logging_out_closes_the_sessions_sockets_with_4401(inprocess_app: Kiosk):
    kiosk = inprocess_app
    _, secret = await _staff_session(kiosk, "731904")
    doomed = await kiosk.ws("/ws/connect", secret)
    bystander = await kiosk.ws("/ws/connect", kiosk.token("staff"))

    async def logout() -> None:
        out = await kiosk.request("POST", f"{API}/auth/logout", token=secret)
        assert out.status == 200, out.raw

    await _closes_at_once(kiosk, doomed, bystander, logout)


async def test_disabling_a_staff_member_closes_their_sockets_with_4401(inprocess_app: Kiosk):
    kiosk = inprocess_app
    staff_id, secret = await _staff_session(kiosk, "582613")
    doomed = await kiosk.ws(f"/ws?token={secret}")
    await doomed.expect("connection:established")
    bystander = await kiosk.ws("/ws/connect", kiosk.token("staff"))

    async def disable() -> None:
        await ok(kiosk, "DELETE", f"{API}/staff/{staff_id}", role="admin")

    await _closes_at_once(kiosk, doomed, bystander, disable)


async def test_a_handshake_racing_a_revocation_is_closed_as_it_attaches(inprocess_app: Kiosk):
    """The token was good when the handshake checked it, revoked before the socket
    joined the hub: the hub remembers the revocation and closes it on arrival."""
    kiosk = inprocess_app
    made = await ok(kiosk, "POST", f"{API}/tokens", {"role": "staff"}, role="admin")
    hub = kiosk.hub
    attach = hub.attach

    def revoked_meanwhile(conn) -> None:
        hub.close_tokens([made["id"]])
        attach(conn)

    hub.attach = revoked_meanwhile
    try:
        sock = await kiosk.ws("/ws/connect", made["token"])
    finally:
        hub.attach = attach
    assert await sock.closed(1.0) == REVOKED
