"""Slow clients for the tests (and the figures of docs/testing.md): many connections on loopback that each send a
request one byte at a time, in its headers or in its body, from one thread. Bounded in connections and in time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

HEADER_START = b"POST /cds-services/ror-vaccination HTTP/1.1\r\nHost: 127.0.0.1\r\n"
BODY_HEADERS = (b"POST /cds-services/ror-vaccination HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")


@dataclass
class SlowClients:
    """``count`` connections to ``port``; each sends its first bytes, then one byte every ``interval`` seconds:
    header bytes (``phase="headers"``, the blank line never comes) or body bytes (``phase="body"``, a
    Content-Length that is never reached). Runs until :meth:`stop` or ``max_seconds``."""

    port: int
    count: int = 200
    interval: float = 2.0
    phase: str = "headers"
    max_seconds: float = 60.0
    opened: int = 0
    refused: int = 0
    closed_by_server: list[float] = field(default_factory=list)  # seconds after opening, one per connection
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SlowClients:
        self._thread = threading.Thread(target=self._run, daemon=True, name="slowloris")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> list[tuple[socket.socket, float]]:
        first = HEADER_START if self.phase == "headers" else BODY_HEADERS
        sockets = []
        for _ in range(self.count):
            if self._stop.is_set():
                break
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2.0)
            try:
                s.connect(("127.0.0.1", self.port))
                s.sendall(first)
            except OSError:
                self.refused += 1
                s.close()
                continue
            s.setblocking(False)
            sockets.append((s, time.monotonic()))
            self.opened += 1
        return sockets

    def _run(self) -> None:
        began = time.monotonic()
        sockets = self._open()
        byte = b"X" if self.phase == "headers" else b" "
        try:
            while sockets and not self._stop.wait(self.interval) and time.monotonic() - began < self.max_seconds:
                still = []
                for s, opened_at in sockets:
                    if self._closed(s):
                        self.closed_by_server.append(time.monotonic() - opened_at)
                        s.close()
                        continue
                    try:
                        s.send(byte)
                        still.append((s, opened_at))
                    except OSError:
                        self.closed_by_server.append(time.monotonic() - opened_at)
                        s.close()
                sockets = still
        finally:
            for s, _ in sockets:
                s.close()

    @staticmethod
    def _closed(s: socket.socket) -> bool:
        """The server closed (or answered and closed) the connection: it is readable."""
        try:
            data = s.recv(4096)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if data:  # an answer (408, 400...) then the close
            with contextlib.suppress(OSError):
                while s.recv(4096):
                    pass
            return True
        return True
