"""`kiosk watch`: the live queue in a terminal, and it comes back by itself."""

from __future__ import annotations

import subprocess
import threading

from tests.kiosk_harness import Server, kiosk_cmd, wait_until


class _Lines:
    def __init__(self, stream):
        self.lines: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)


def test_watch_prints_the_queue_and_reconnects_after_a_restart(tmp_path):
    srv = Server(tmp_path).start()
    proc = subprocess.Popen(
        kiosk_cmd("watch", "1", "--url", srv.base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = _Lines(proc.stdout), _Lines(proc.stderr)
    try:
        staff = srv.client("staff")
        wait_until(lambda: "nobody waiting" in out.text(), 15, message=out.text())
        assert staff.post("/api/v1/shops/1/queue", {"full_name": "Wanda Watcher"}).status == 201
        wait_until(lambda: "Wanda W." in out.text(), 10, message=out.text())
        assert "A001" in out.text()

        srv.stop()
        wait_until(lambda: "retrying" in err.text(), 10, message=err.text())
        srv.start(port=srv.port)  # same address, as after a power cut
        assert staff.post("/api/v1/shops/1/queue", {"full_name": "Rita Return"}).status == 201
        wait_until(lambda: "Rita R." in out.text(), 20, message=out.text() + err.text())
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
        srv.stop()
        srv.kill()


def test_watch_an_unknown_shop_says_so_and_exits(tmp_path):
    srv = Server(tmp_path).start()
    try:
        out = subprocess.run(
            kiosk_cmd("watch", "42", "--url", srv.base_url),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 1 and "no shop 42" in out.stderr
    finally:
        srv.stop()
