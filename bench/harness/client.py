"""The closed-loop client: ``concurrency`` threads, each with one keep-alive connection, each sending its next
request as soon as the last answer is read, until the time is up."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.harness.stats import Result

HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Accept-Language": "fr"}
REQUEST_TIMEOUT = 30.0
MAX_REQUESTS_PER_THREAD = 5_000_000  # a count bound on each client loop, far above what the time bound allows


@dataclass(frozen=True)
class Request:
    endpoint: int  # index in the loop's endpoint names
    method: str
    path: str
    body: bytes | None
    feedback_entries: int = 0  # feedback entries that an answer 200 acknowledges


@dataclass(frozen=True)
class Call:
    """One completed request: when it ended (seconds since the window start), which endpoint, how long, ok."""

    ended: float
    endpoint: int
    latency: float
    ok: bool


@dataclass
class Outcome:
    endpoints: tuple[str, ...]
    calls: list[Call] = field(default_factory=list)
    first_errors: dict[str, str] = field(default_factory=dict)
    feedback_acknowledged: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    probed: Any = None  # what ``probe`` returned, mid-window

    def result(self, endpoint: int) -> Result:
        """The figures of one endpoint, with the whole window's time and CPU."""
        mine = [c for c in self.calls if c.endpoint == endpoint]
        name = self.endpoints[endpoint]
        return Result(name, [c.latency for c in mine], sum(not c.ok for c in mine), self.first_errors.get(name),
                      self.elapsed, self.client_cpu, self.server_cpu)


Draw = Callable[[random.Random], Request]


def closed_loop(port: int, draw: Draw, endpoints: tuple[str, ...], concurrency: int, seconds: float, *,
                seed: int = 0, cpu: Callable[[], float] | None = None, reconnect_every: int = 0,
                probe: Callable[[], Any] | None = None) -> Outcome:
    """Each thread sends ``draw(its own seeded generator)``; the connection is reopened every ``reconnect_every``
    requests (0: never) so that a new one may land on another worker. ``cpu``: the server's CPU seconds, read
    before and after the window; ``probe``: called once in the middle of the window (its answer in ``probed``)."""
    outcome = Outcome(endpoints)
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    origin = [0.0]
    deadline = [0.0]
    ends: list[float] = []

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        calls: list[Call] = []
        first_errors: dict[str, str] = {}
        acknowledged = 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        barrier.wait()
        for n in range(MAX_REQUESTS_PER_THREAD):
            started = time.perf_counter()
            if started >= deadline[0]:
                break
            if reconnect_every and n and n % reconnect_every == 0:
                conn.close()  # http.client opens a new connection on the next request
            request = draw(rng)
            name = endpoints[request.endpoint]
            try:
                conn.request(request.method, request.path, request.body, HEADERS)
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == 200
                if not ok:
                    first_errors.setdefault(name, f"HTTP {response.status}: {payload[:300]!r}")
                else:
                    acknowledged += request.feedback_entries
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                first_errors.setdefault(name, f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            ended = time.perf_counter()
            calls.append(Call(ended - origin[0], request.endpoint, ended - started, ok))
        conn.close()
        with lock:
            outcome.calls.extend(calls)
            for key, error in first_errors.items():
                outcome.first_errors.setdefault(key, error)
            outcome.feedback_acknowledged += acknowledged
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    cpu_before = cpu() if cpu else 0.0
    client_before = time.process_time()
    origin[0] = time.perf_counter()
    deadline[0] = origin[0] + seconds
    barrier.wait()
    if probe is not None:
        time.sleep(seconds / 2)
        outcome.probed = probe()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    outcome.elapsed = (max(ends) if ends else time.perf_counter()) - origin[0]
    outcome.client_cpu = time.process_time() - client_before
    outcome.server_cpu = (cpu() if cpu else 0.0) - cpu_before
    outcome.calls.sort(key=lambda c: c.ended)
    return outcome


def fixed(method: str, path: str, body: bytes | None) -> Draw:
    """The same request every time."""
    request = Request(0, method, path, body)
    return lambda _rng: request


def check_once(port: int, path: str, body: bytes | None, method: str = "POST") -> dict[str, Any]:
    """One request; its JSON answer, or RuntimeError unless it is a 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body, HEADERS)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}: {payload[:500]!r}")
    return dict(json.loads(payload))
