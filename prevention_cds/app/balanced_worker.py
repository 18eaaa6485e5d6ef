"""gunicorn's gevent worker, stepping back from a new connection while another worker holds fewer.

All workers wait on one listening socket and every one of them is woken by a new connection; the first awake
takes it, and may take the next ones too before the others run (measured: in 1 to 5 rounds of 15, all four
keep-alive connections of a client landed on one worker of five, which then used one core of two and answered
half as many calls). Here each worker publishes how many connections it holds in memory shared by the master
and its workers (:class:`ConnectionCounts`, made before the fork); a worker that holds more than the least busy
one steps back for a moment (``STEP_BACK_SECONDS``), so that a less busy worker takes the connection. It does so
only while it holds few connections (``BALANCED_UP_TO``: with many, they spread well enough by themselves, and a
busy worker's event loop may come back to its timer late), ``MAX_STEPS_BACK`` times and ``MAX_WAIT_SECONDS`` at
most: then it accepts, even when the least busy worker is itself busy computing. Everything else is gunicorn's
gevent worker: the master, its signals (TERM, HUP, TTIN/TTOU), the header read bounded by the keep-alive time,
graceful shutdown.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from gevent.server import StreamServer
from gunicorn.workers import ggevent

SLOTS = 256  # worker slots (by gunicorn's worker age); far above any worker count of a host
STEP_BACK_SECONDS = 0.001
MAX_STEPS_BACK = 4
MAX_WAIT_SECONDS = 0.005  # from the first step back: a pending connection is then accepted by whoever is there
FORGET_SECONDS = 1.0  # a step back older than this was for a connection another worker took
BALANCED_UP_TO = 8  # connections held by this worker, beyond which it accepts without looking at the others


class ConnectionCounts:
    """Open connections of each live worker (-1: no worker in that slot), shared across the fork."""

    def __init__(self) -> None:
        self._counts = multiprocessing.RawArray("i", [-1] * SLOTS)

    def join(self, age: int) -> int:
        slot = age % SLOTS
        self._counts[slot] = 0
        return slot

    def leave(self, age: int) -> None:
        self._counts[age % SLOTS] = -1

    def publish(self, slot: int, count: int) -> None:
        self._counts[slot] = count

    def fewer_elsewhere(self, slot: int) -> bool:
        mine = self._counts[slot]
        return any(0 <= count < mine for count in self._counts)


COUNTS = ConnectionCounts()  # made at import, in the master, before any worker is forked


class _BalancedServer(StreamServer):  # type: ignore[misc]
    slot = 0
    _first_step_back = 0.0  # monotonic time of the first step back for the pending connection
    _steps_back = 0

    def _held(self) -> int:
        return int(self.pool.size - self.pool.free_count()) if self.pool is not None else 0

    def _step_back(self) -> bool:
        held = self._held()
        COUNTS.publish(self.slot, held)
        if held >= BALANCED_UP_TO or not COUNTS.fewer_elsewhere(self.slot):
            return False
        now = time.monotonic()
        if not self._steps_back or now - self._first_step_back > FORGET_SECONDS:
            self._first_step_back, self._steps_back = now, 0
        self._steps_back += 1
        return self._steps_back <= MAX_STEPS_BACK and now - self._first_step_back < MAX_WAIT_SECONDS

    def do_read(self) -> Any:
        if self._step_back():
            self.stop_accepting()  # gevent's own way to pause accepting (as after an accept error)
            self._timer = self.loop.timer(STEP_BACK_SECONDS)
            self._timer.start(self._start_accepting_if_started)
            return None
        self._steps_back = 0
        accepted = super().do_read()
        if accepted:
            COUNTS.publish(self.slot, self._held() + 1)
        return accepted

    def do_close(self, *args: Any) -> None:
        super().do_close(*args)
        COUNTS.publish(self.slot, self._held() - 1)  # this connection's greenlet is still counted by the pool


class BalancedGeventWorker(ggevent.GeventWorker):  # type: ignore[misc]
    def run(self) -> None:
        slot = COUNTS.join(self.age)

        class Server(_BalancedServer):
            pass

        Server.slot = slot
        # GeventWorker.run builds its servers with the module's StreamServer; in this worker process, ours
        ggevent.StreamServer = Server
        super().run()


def worker_exited(age: int) -> None:
    """From the master's child_exit hook: the slot of a worker that ended is free."""
    COUNTS.leave(age)
