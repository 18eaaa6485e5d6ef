"""The server's memory: RSS and PSS of the gunicorn master and each worker, from /proc, sampled over a run."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness.server import Server

MAX_SECONDS = 3600.0  # the longest run the sampler follows


def _kib(path: Path, key: str) -> int:
    """``key: <n> kB`` from a /proc file, 0 when the process is gone or the field is missing."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class Sample:
    at: float  # seconds since the start of the measured window
    rss_kib: dict[int, int]  # pid -> VmRSS, master first
    pss_kib: int  # master + workers (shared pages counted once across them)

    @property
    def rss_total_mib(self) -> float:
        return sum(self.rss_kib.values()) / 1024


def sample_memory(server: Server, at: float) -> Sample:
    pids = [server.process.pid, *sorted(server.worker_pids())]
    rss = {pid: _kib(Path(f"/proc/{pid}/status"), "VmRSS") for pid in pids}
    pss = sum(_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss") for pid in pids)
    return Sample(at, {pid: kib for pid, kib in rss.items() if kib}, pss)


def worker_restarts(samples: list[Sample], master: int) -> int:
    """Worker pids that appeared from one sample to the next."""
    seen = [set(s.rss_kib) - {master} for s in samples if s.rss_kib]
    return sum(len(after - before) for before, after in itertools.pairwise(seen))


class Sampler(threading.Thread):
    """Memory of master + workers every ``every`` seconds, from ``origin`` (perf_counter) until stopped."""

    def __init__(self, server: Server, every: float) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.origin = time.perf_counter()
        self.samples: list[Sample] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        for n in range(int(MAX_SECONDS / self.every) + 2):
            wake = self.origin + n * self.every
            if self.stopped.wait(max(0.0, wake - time.perf_counter())):
                return
            self.samples.append(sample_memory(self.server, time.perf_counter() - self.origin))

    def finish(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
        now = time.perf_counter() - self.origin
        if not self.samples or now - self.samples[-1].at > 1.0:  # the end of the window, unless just sampled
            self.samples.append(sample_memory(self.server, now))
