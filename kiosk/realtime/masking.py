"""Client frames must be masked (RFC 6455 §5.1): an unmasked one closes the socket 1002.

aiohttp 3.14's reader unmasks a frame only when its mask bit is set and accepts the
rest, so the check sits in front of it: a small state machine that follows frame
boundaries (header, extended length, mask key, payload) and looks at one bit per
frame. Payloads are skipped by counting, never copied, so a byte costs nothing.

The guard is put in place inside aiohttp's own `_post_start`, at the moment the
reader is attached: bytes a client sent right behind its handshake (before our 101)
are handed to the reader there, and a guard attached after `prepare` would miss them
and lose track of where frames start.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.http_websocket import WebSocketError

UNMASKED = "client frames must be masked (RFC 6455 section 5.1)"
_MASK_BIT = 0x80
_LENGTH_BITS = 0x7F
_MASK_KEY_BYTES = 4
_EXTRA_LENGTH_BYTES = {126: 2, 127: 8}  # a 7-bit length of 126/127 means 16/64 bits follow
_LONGEST_HEADER = 2 + 8 + _MASK_KEY_BYTES


def _header_size(head: bytes | bytearray) -> int:
    """Bytes in the header that starts `head` (only its first two are needed)."""
    return 2 + _EXTRA_LENGTH_BYTES.get(head[1] & _LENGTH_BITS, 0) + _MASK_KEY_BYTES


def _payload_size(head: bytes | bytearray) -> int:
    short = head[1] & _LENGTH_BITS
    extra = _EXTRA_LENGTH_BYTES.get(short)
    return short if extra is None else int.from_bytes(head[2 : 2 + extra], "big")


class MaskGuard:
    """Sits where aiohttp keeps the socket's payload parser and passes bytes through
    to it up to the first unmasked frame, which it never sees."""

    __slots__ = ("_failed", "_head", "_parser", "_queue", "_skip")

    def __init__(self, parser: Any, queue: Any) -> None:
        self._parser = parser  # aiohttp's WebSocketReader
        self._queue = queue  # the reader's message queue, where the error is raised
        self._head = bytearray()  # a frame header split across reads
        self._skip = 0  # payload bytes of the current frame still to pass over
        self._failed = False

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        end = len(data)
        pos = 0
        while pos < end:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
                continue
            head = self._head
            if not head and end - pos >= _LONGEST_HEADER:
                # The common case, a whole header in this read: read it in place.
                second = data[pos + 1]
                if not second & _MASK_BIT:
                    return self._refuse(data, pos)
                short = second & _LENGTH_BITS
                if short < 126:
                    self._skip = short
                    pos += 2 + _MASK_KEY_BYTES
                elif short == 126:
                    self._skip = data[pos + 2] << 8 | data[pos + 3]
                    pos += 4 + _MASK_KEY_BYTES
                else:
                    self._skip = int.from_bytes(data[pos + 2 : pos + 10], "big")
                    pos += 10 + _MASK_KEY_BYTES
                continue
            need = 2 if len(head) < 2 else _header_size(head)
            take = min(need - len(head), end - pos)
            head += data[pos : pos + take]
            pos += take
            if len(head) < 2:
                continue
            if not head[1] & _MASK_BIT:
                return self._refuse(data, pos - len(head))
            if len(head) < _header_size(head):
                continue
            self._skip = _payload_size(head)
            head.clear()
        return self._parser.feed_data(data)

    def _refuse(self, data: bytes | bytearray | memoryview, frame_start: int) -> tuple[bool, bytes]:
        """Pass on the whole frames before the unmasked one, then end like aiohttp's own
        reader does on a protocol error: the handler's next read gets the error and
        aiohttp answers it with a close frame carrying its code."""
        self._failed = True
        if frame_start > 0:
            eof, tail = self._parser.feed_data(data[:frame_start])
            if eof:
                return eof, tail
        self._queue.set_exception(WebSocketError(WSCloseCode.PROTOCOL_ERROR, UNMASKED))
        return True, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def __getattr__(self, name: str) -> Any:
        # Anything else aiohttp may ask of its parser is the real parser's business.
        return getattr(self._parser, name)


class MaskCheckedResponse(web.WebSocketResponse):
    """A WebSocketResponse whose client must mask every frame."""

    def _post_start(self, request: web.BaseRequest, protocol: Any, writer: Any) -> None:
        transport_protocol = request.protocol
        # Bytes that arrived behind the handshake go through the guard, not straight to
        # the reader (which `set_parser` would otherwise feed them to at once).
        early, transport_protocol._message_tail = transport_protocol._message_tail, b""
        super()._post_start(request, protocol, writer)
        guard = MaskGuard(transport_protocol._payload_parser, self._reader)
        transport_protocol._payload_parser = guard
        if early:
            eof, _ = guard.feed_data(early)
            if eof:
                transport_protocol.close()
