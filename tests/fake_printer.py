"""A fake ESC/POS network printer: a TCP server on 127.0.0.1 that records the bytes.

Modes, each a way real printers behave:
- `ok`: reads everything, answers DLE EOT 4 (paper present) and GS r 1 (receipt);
- `paper_out`: answers DLE EOT 4 "roll out" and prints nothing;
- `never_reads`: accepts the connection and never reads a byte (a jammed printer);
- `closes_mid`: reads `close_after` bytes of a ticket, then hangs up.
An offline printer is a port nobody listens on: `offline_port()`.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from tests.escpos_decode import Ticket, decode

PAPER_QUERY = b"\x10\x04\x04"
RECEIPT_QUERY = b"\x1d\x72\x01"


@dataclass
class Job:
    data: bytearray = field(default_factory=bytearray)
    closed_by_printer: bool = False
    finished: bool = False

    def ticket(self) -> Ticket:
        body = bytes(self.data)
        if body.startswith(PAPER_QUERY):
            body = body[len(PAPER_QUERY) :]
        if body.endswith(RECEIPT_QUERY):
            body = body[: -len(RECEIPT_QUERY)]
        return decode(body)


class FakePrinter:
    def __init__(self, mode: str = "ok", close_after: int = 40):
        self.mode = mode
        self.close_after = close_after
        self.jobs: list[Job] = []
        self.connections = 0
        self._held: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if mode == "never_reads":
            # A small window: a jammed printer's buffer fills after a few hundred bytes.
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._changed = threading.Condition()

    def __enter__(self) -> FakePrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._held:
            conn.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            if self.mode == "never_reads":
                self._held.append(conn)
                continue
            threading.Thread(target=self._job, args=(conn,), daemon=True).start()

    def _job(self, conn: socket.socket) -> None:
        job = Job()
        with self._changed:
            self.jobs.append(job)
        with conn:
            conn.settimeout(10)
            try:
                while not self._stop.is_set():
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    job.data += chunk
                    if self.mode == "closes_mid" and len(job.data) >= self.close_after:
                        job.closed_by_printer = True
                        conn.shutdown(socket.SHUT_RDWR)
                        break
                    if job.data.startswith(PAPER_QUERY) and len(job.data) == len(PAPER_QUERY):
                        conn.sendall(b"\x72" if self.mode == "paper_out" else b"\x12")
                    if self.mode == "ok" and job.data.endswith(RECEIPT_QUERY):
                        conn.sendall(b"\x00")
            except OSError:
                pass
        with self._changed:
            job.finished = True
            self._changed.notify_all()

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[Job]:
        """Wait until `count` connections have ended (their bytes are all in)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                done = [j for j in self.jobs if j.finished and j.data]
                if len(done) >= count:
                    return done
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(done)} print jobs arrived, wanted {count}")
                self._changed.wait(left)


def offline_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
