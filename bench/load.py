"""Load run: mixed traffic against ``prevention-cds serve`` for minutes, with the server's memory sampled.

    .venv/bin/python bench/load.py                 # 300 s at concurrency 8 (the documented run)
    .venv/bin/python bench/load.py --seconds 20    # smoke check, about 35 s in all (5 s warm-up)
    .venv/bin/python bench/load.py [--concurrency C] [--workers W] [--warmup S] [--mix PV/DISC/FB]
                                   [--reconnect-every N] [--sample-every S] [--json FILE]

Starts the real server as a subprocess, ``prevention-cds serve --host 127.0.0.1 --port <free>`` (what the
``prevention-cds serve`` script runs: gunicorn, ``--preload``, gthread workers), with authentication off, a
throw-away SQLite feedback store, and the service's default worker count unless ``--workers`` is given. It waits
until ``/health`` answers and every worker is up, checks each request kind once, warms up (not counted: 30 s,
or 5 s for runs shorter than 2 minutes), then runs a closed loop for ``--seconds``: ``--concurrency`` threads,
each with one keep-alive connection (reopened every ``--reconnect-every`` requests, default 100, so that a
gthread worker does not keep the same connections for the whole run and every worker gets load), each sending its
next request as soon as the last one is read. Each request is drawn (seeded, per thread) from the mix
(default 80/10/10):

* patient-view (80 %), split evenly between ``POST /cds-services/ror-vaccination`` and
  ``POST /cds-services/iim-prophylaxis``, each with the realistic Synthea body of ``bench/patient_view.py``
  (``build_workload()``: the Patient, 30 Immunizations, 50 Conditions, 50 Observations, full prefetch);
* discovery (10 %): ``GET /cds-services``;
* feedback (10 %): ``POST /cds-services/{ror-vaccination|iim-prophylaxis}/feedback``, a batch of 1–3 entries,
  every card uuid new (so every entry is a new row, committed with synchronous=FULL).

Errors are non-200 answers and connection errors. Every ``--sample-every`` seconds (default 10) a sampler reads
the RSS (``VmRSS``) and PSS (``smaps_rollup``) of the gunicorn master and of each worker from ``/proc``; a worker
pid that disappears or appears is reported as a worker restart. At the end the script prints requests, errors,
error rate and p50/p90/p99 per endpoint, a per-interval table (throughput, latency, memory), RSS at start (the
first sample of the measured window), end and maximum, and the growth per minute (end minus start, and the
least-squares slope over the samples, also over the second half only). It also checks that the feedback store
holds every acknowledged entry. Exit code 1 if any request failed, a worker was replaced, or an acknowledged
feedback entry is missing; 0 otherwise. The server is stopped with SIGTERM at the end, also on Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.patient_view import (  # noqa: E402
    DATA_DIR,
    DATABASE_NAME,
    HEADERS,
    Result,
    Server,
    build_workload,
    check_once,
    running_server,
)
from prevention_cds.adapters.feedback_store import SqlFeedbackStore  # noqa: E402
from prevention_cds.hooks.bundles import request_body  # noqa: E402
from prevention_cds.hooks.catalog import SERVICES_BY_ID  # noqa: E402
from prevention_cds.settings import Settings  # noqa: E402
from prevention_cds.terminology.index import OVERRIDE_REASON_SYSTEM  # noqa: E402

PATIENT_VIEW_SERVICES = ("ror-vaccination", "iim-prophylaxis")
ENDPOINTS = ("pv ror-vaccination", "pv iim-prophylaxis", "discovery", "feedback")
MAX_SECONDS = 3600.0
MAX_REQUESTS_PER_THREAD = 5_000_000  # a count bound on each client loop, far above what the time bound allows
REQUEST_TIMEOUT = 30.0


# --- the server: `prevention-cds serve` -----------------------------------------------------------------------

def serve_command(settings: Settings) -> list[str]:
    """``python -m prevention_cds.app.cli serve`` (= ``prevention-cds serve``): the real service, not the bench app."""
    return [sys.executable, "-m", "prevention_cds.app.cli", "serve",
            "--host", settings.host, "--port", str(settings.port)]


def running_service(workers: int, workdir: Path, startup_seconds: float = 60.0) -> AbstractContextManager[Server]:
    return running_server(workers, workdir, startup_seconds, command_for=serve_command)


# --- memory ---------------------------------------------------------------------------------------------------

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


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute; nan with fewer than 2 points."""
    if len(points) < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else float("nan")


# --- the mixed closed-loop client -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Mix:
    patient_view: int
    discovery: int
    feedback: int

    @classmethod
    def parse(cls, text: str) -> Mix:
        parts = [int(p) for p in text.split("/")]
        if len(parts) != 3 or min(parts) < 0 or sum(parts) == 0:
            raise ValueError(text)
        return cls(*parts)

    def __str__(self) -> str:
        return f"{self.patient_view}/{self.discovery}/{self.feedback}"


@dataclass(frozen=True)
class Call:
    """One completed request: when it ended (seconds since the window start), which endpoint, how long, ok."""
    ended: float
    endpoint: int  # index in ENDPOINTS
    latency: float
    ok: bool


@dataclass
class Outcome:
    calls: list[Call] = field(default_factory=list)
    first_errors: dict[str, str] = field(default_factory=dict)
    feedback_acknowledged: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0


def _feedback_body(rng: random.Random) -> tuple[bytes, int]:
    entries: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        card = str(uuid.uuid4())
        if rng.random() < 0.5:
            entries.append({"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-11-21T09:05:31Z",
                            "acceptedSuggestions": [{"id": str(uuid.uuid4())}]})
        else:
            entries.append({"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
                            "overrideReason": {"reason": {"system": OVERRIDE_REASON_SYSTEM,
                                                          "code": "patient-refuses"}}})
    return json.dumps({"feedback": entries}).encode(), len(entries)


def mixed_closed_loop(port: int, bodies: dict[str, bytes], mix: Mix, concurrency: int, seconds: float,
                      seed: int = 0, server: Server | None = None, reconnect_every: int = 0) -> Outcome:
    """The closed loop of ``bench.patient_view.closed_loop`` (one keep-alive connection per thread, next request
    when the last one is read), with each request drawn from ``mix`` instead of one fixed endpoint, and the
    connection reopened every ``reconnect_every`` requests (0: never)."""
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    origin = [0.0]
    deadline = [0.0]
    ends: list[float] = []
    weights = [mix.patient_view / 2, mix.patient_view / 2, mix.discovery, mix.feedback]

    def request(rng: random.Random, endpoint: int) -> tuple[str, str, bytes | None, int]:
        if endpoint < 2:
            service_id = PATIENT_VIEW_SERVICES[endpoint]
            return "POST", f"/cds-services/{service_id}", bodies[service_id], 0
        if endpoint == 2:
            return "GET", "/cds-services", None, 0
        body, entries = _feedback_body(rng)
        return "POST", f"/cds-services/{rng.choice(PATIENT_VIEW_SERVICES)}/feedback", body, entries

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
                conn.close()  # a new connection may land on another worker (each worker keeps its connections)
            endpoint = rng.choices(range(len(ENDPOINTS)), weights)[0]
            method, path, body, entries = request(rng, endpoint)
            try:
                conn.request(method, path, body, HEADERS)
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == 200
                if not ok:
                    first_errors.setdefault(ENDPOINTS[endpoint], f"HTTP {response.status}: {payload[:300]!r}")
                elif entries:
                    acknowledged += entries
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                first_errors.setdefault(ENDPOINTS[endpoint], f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            ended = time.perf_counter()
            calls.append(Call(ended - origin[0], endpoint, ended - started, ok))
        conn.close()
        with lock:
            outcome.calls.extend(calls)
            for name, error in first_errors.items():
                outcome.first_errors.setdefault(name, error)
            outcome.feedback_acknowledged += acknowledged
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    cpu_before = server.cpu_seconds() if server else 0.0
    client_before = time.process_time()
    origin[0] = time.perf_counter()
    deadline[0] = origin[0] + seconds
    barrier.wait()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    outcome.elapsed = (max(ends) if ends else time.perf_counter()) - origin[0]
    outcome.client_cpu = time.process_time() - client_before
    outcome.server_cpu = (server.cpu_seconds() if server else 0.0) - cpu_before
    outcome.calls.sort(key=lambda c: c.ended)
    return outcome


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


# --- reporting ------------------------------------------------------------------------------------------------



def _results(calls: list[Call], first_errors: dict[str, str]) -> list[Result]:
    results = [Result(name) for name in ENDPOINTS]
    for call in calls:
        results[call.endpoint].latencies.append(call.latency)
        results[call.endpoint].errors += not call.ok
    for result in results:
        result.first_error = first_errors.get(result.name)
    total = Result("all", [c.latency for c in calls], sum(not c.ok for c in calls))
    return [*results, total]


def _worker_restarts(samples: list[Sample], master: int) -> int:
    seen = [set(s.rss_kib) - {master} for s in samples if s.rss_kib]
    return sum(len(after - before) for before, after in itertools.pairwise(seen))


def report(outcome: Outcome, samples: list[Sample], idle: Sample, server: Server, args: argparse.Namespace,
           acknowledged_feedback: int, stored_feedback: int) -> tuple[dict[str, Any], bool]:
    """Prints the figures; returns them and whether the run failed. ``acknowledged_feedback`` counts every
    feedback entry answered 200 since the server started (checks and warm-up included), as the store does."""
    results = _results(outcome.calls, outcome.first_errors)
    total = results[-1]
    print()
    print(f"{'endpoint':<20}{'requests':>9}{'errors':>8}{'err %':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'req/s':>9}")
    for r in results:
        rate = 100 * r.errors / r.requests if r.requests else 0.0
        print(f"{r.name:<20}{r.requests:>9}{r.errors:>8}{rate:>8.3f}{r.percentile_ms(50):>9.2f}"
              f"{r.percentile_ms(90):>9.2f}{r.percentile_ms(99):>9.2f}{r.percentile_ms(100):>9.2f}"
              f"{r.requests / outcome.elapsed if outcome.elapsed else 0:>9.1f}")
        if r.first_error:
            print(f"    first error: {r.first_error}")

    print()
    print(f"{'interval s':<14}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'RSS MiB':>10}"
          f"{'PSS MiB':>10}")
    for previous, sample in itertools.pairwise(samples):
        lo, hi = previous.at, sample.at
        window = [c for c in outcome.calls if lo <= c.ended < hi]
        r = Result("", [c.latency for c in window], sum(not c.ok for c in window))
        print(f"{f'{lo:.0f}-{hi:.0f}':<14}{r.requests:>9}{r.errors:>8}{r.requests / max(hi - lo, 1e-9):>8.1f}"
              f"{r.percentile_ms(50):>9.2f}{r.percentile_ms(99):>9.2f}{sample.rss_total_mib:>10.1f}"
              f"{sample.pss_kib / 1024:>10.1f}")

    start, end = samples[0], samples[-1]
    minutes = (end.at - start.at) / 60
    peak = max(samples, key=lambda s: s.rss_total_mib)
    points = [(s.at, s.rss_total_mib) for s in samples]
    half = points[len(points) // 2:]
    growth = (end.rss_total_mib - start.rss_total_mib) / minutes if minutes else float("nan")
    pss_growth = (end.pss_kib - start.pss_kib) / 1024 / minutes if minutes else float("nan")
    restarts = _worker_restarts([idle, *samples], server.process.pid)
    print()
    print(f"server RSS (master + {len(end.rss_kib) - 1} workers, VmRSS summed): idle {idle.rss_total_mib:.1f} MiB "
          f"before warm-up; start {start.rss_total_mib:.1f}, end {end.rss_total_mib:.1f}, "
          f"max {peak.rss_total_mib:.1f} MiB (at {peak.at:.0f} s)")
    print(f"RSS growth: {growth:+.3f} MiB/min (end - start over {minutes:.2f} min); least-squares slope "
          f"{slope_per_minute(points):+.3f} MiB/min over all {len(points)} samples, "
          f"{slope_per_minute(half):+.3f} MiB/min over the second half")
    print(f"PSS (shared pages counted once): start {start.pss_kib / 1024:.1f}, end {end.pss_kib / 1024:.1f} MiB, "
          f"{pss_growth:+.3f} MiB/min")
    print("RSS per process, start -> end (MiB): " + ", ".join(
        f"{'master' if pid == server.process.pid else 'worker'} {pid}: {start.rss_kib.get(pid, 0) / 1024:.1f} -> "
        f"{end.rss_kib.get(pid, 0) / 1024:.1f}" for pid in end.rss_kib))
    print(f"worker restarts seen: {restarts}")
    print(f"feedback entries answered 200: {acknowledged_feedback} (checks and warm-up included; "
          f"{outcome.feedback_acknowledged} in the measured window); rows in the store: {stored_feedback}")
    print(f"server CPU {1000 * outcome.server_cpu / max(total.requests, 1):.2f} ms/request; client CPU "
          f"{100 * outcome.client_cpu / outcome.elapsed if outcome.elapsed else 0:.0f} % of one core; "
          f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    feedback_ok = stored_feedback >= acknowledged_feedback  # more rows only if a failed request was committed
    failed = total.errors > 0 or restarts > 0 or not feedback_ok
    print(f"RESULT: {'FAIL' if failed else 'PASS'} ({total.errors} errors in {total.requests} requests, "
          f"error rate {100 * total.errors / max(total.requests, 1):.3f} %; {restarts} worker restarts; "
          f"feedback {'complete' if feedback_ok else 'MISSING ENTRIES'})")
    summary = {
        "seconds": args.seconds, "warmup": args.warmup, "concurrency": args.concurrency, "mix": str(args.mix),
        "reconnect_every": args.reconnect_every,
        "workers": server.workers, "threads_per_worker": server.options["threads"], "cores": os.cpu_count(),
        "python": platform.python_version(), "elapsed": outcome.elapsed,
        "requests": total.requests, "errors": total.errors,
        "error_rate": total.errors / total.requests if total.requests else None,
        "endpoints": {r.name: {"requests": r.requests, "errors": r.errors, "p50_ms": r.percentile_ms(50),
                               "p90_ms": r.percentile_ms(90), "p99_ms": r.percentile_ms(99),
                               "max_ms": r.percentile_ms(100), "first_error": r.first_error} for r in results},
        "rss_mib": {"idle": idle.rss_total_mib, "start": start.rss_total_mib, "end": end.rss_total_mib,
                    "max": peak.rss_total_mib, "growth_per_min": growth,
                    "slope_per_min": slope_per_minute(points), "slope_second_half_per_min": slope_per_minute(half)},
        "pss_mib": {"start": start.pss_kib / 1024, "end": end.pss_kib / 1024, "growth_per_min": pss_growth},
        "samples": [{"at": s.at, "rss_kib": {str(k): v for k, v in s.rss_kib.items()}, "pss_kib": s.pss_kib}
                    for s in samples],
        "worker_restarts": restarts, "feedback_acknowledged": acknowledged_feedback,
        "feedback_rows": stored_feedback,
        "server_cpu_ms_per_request": 1000 * outcome.server_cpu / max(total.requests, 1),
    }
    return summary, failed


# --- the run --------------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    bodies = {service_id: json.dumps(request_body(SERVICES_BY_ID[service_id], workload.patient_id,
                                                  workload.resources), ensure_ascii=False).encode("utf-8")
              for service_id in PATIENT_VIEW_SERVICES}
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()} ({platform.platform()}); "
          f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"workload: patient {workload.patient_id} from {workload.source}; {len(workload.resources)} resources; "
          f"bodies {', '.join(f'{k} {len(v) / 1024:.1f} KiB' for k, v in bodies.items())}")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-load-") as tmp, \
            running_service(args.workers, Path(tmp)) as server:
        print(f"server ready on 127.0.0.1:{server.port}: master pid {server.process.pid}, {server.workers} gthread "
              f"workers x {server.options['threads']} threads ({len(server.worker_pids())} seen)", flush=True)
        check_once(server.port, "/health/ready", None, "GET")
        for service_id, body in bodies.items():
            cards = check_once(server.port, f"/cds-services/{service_id}", body, "POST").get("cards", [])
            print(f"  {service_id}: 200, {len(cards)} card(s)")
        check_once(server.port, "/cds-services", None, "GET")
        check_body, acknowledged = _feedback_body(random.Random(-1))
        check_once(server.port, "/cds-services/ror-vaccination/feedback", check_body, "POST")
        idle = sample_memory(server, 0.0)
        if args.warmup:
            print(f"warm-up: {args.warmup:.0f} s, mix {args.mix}, concurrency {args.concurrency} (not counted)",
                  flush=True)
            warm = mixed_closed_loop(server.port, bodies, args.mix, args.concurrency, args.warmup, seed=1,
                                     reconnect_every=args.reconnect_every)
            acknowledged += warm.feedback_acknowledged
        print(f"measured: {args.seconds:.0f} s, mix {args.mix} (patient-view/discovery/feedback), "
              f"concurrency {args.concurrency}, connections reopened every {args.reconnect_every} requests; "
              f"memory every {args.sample_every:.0f} s", flush=True)
        sampler = Sampler(server, args.sample_every)
        sampler.start()
        outcome = mixed_closed_loop(server.port, bodies, args.mix, args.concurrency, args.seconds, seed=2,
                                    server=server, reconnect_every=args.reconnect_every)
        sampler.finish()
        stored = SqlFeedbackStore(f"sqlite:///{Path(tmp) / DATABASE_NAME}").count()
        acknowledged += outcome.feedback_acknowledged
        summary, failed = report(outcome, sampler.samples, idle, server, args, acknowledged, stored)
        if failed:
            errors = [line for line in server.log_tail(400).splitlines() if "ERROR" in line or "Traceback" in line]
            print("server log, error lines (last 20):\n" + "\n".join(errors[-20:]))
    if args.json:
        summary.update({"patient": workload.patient_id, "source": workload.source})
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="measured seconds (default 300; 20 = smoke)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="warm-up seconds, not counted (default 30, or 5 when --seconds < 120)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads = connections (default 8)")
    parser.add_argument("--workers", type=int, default=0,
                        help="PREVENTION_CDS_WORKERS (default 0 = the service's default, 2 x cores + 1)")
    parser.add_argument("--mix", type=Mix.parse, default=Mix(80, 10, 10),
                        help="weights patient-view/discovery/feedback (default 80/10/10)")
    parser.add_argument("--reconnect-every", type=int, default=100,
                        help="reopen each client connection every N requests, 0 = never (default 100)")
    parser.add_argument("--sample-every", type=float, default=10.0, help="memory sampling period (default 10 s)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of Synthea R4 bundles")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = 30.0 if args.seconds >= 120 else 5.0
    if not 0 < args.seconds <= MAX_SECONDS or not 0 <= args.warmup <= 120 or args.concurrency < 1 \
            or args.workers < 0 or args.reconnect_every < 0 or not 1 <= args.sample_every <= args.seconds:
        parser.error(f"0 < --seconds <= {MAX_SECONDS:.0f}, 0 <= --warmup <= 120, --concurrency >= 1, "
                     "--workers >= 0, --reconnect-every >= 0, 1 <= --sample-every <= --seconds")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks stop the server
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
