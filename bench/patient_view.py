"""Throughput and latency of ``POST /cds-services/ror-vaccination`` (patient-view) against a static-card baseline.

    .venv/bin/python bench/patient_view.py [--seconds N] [--concurrency C] [--workers W] [--warmup S]
    .venv/bin/python bench/patient_view.py --profile [--calls N]

Load mode starts ONE gunicorn server as a subprocess on 127.0.0.1 (``python -m bench.static_app``: the start-up
of ``prevention-cds serve``, so ``run_gunicorn`` with its options and hooks, authentication off, a throw-away
SQLite database),
waits for ``/health``, then measures, one after the other and the same way (same closed-loop client, same
concurrency, same body, a warm-up first):

  (a) ``POST /cds-services/ror-vaccination`` with a full prefetch built from the Synthea bundles
      (the Patient, 30 Immunizations, 50 Conditions, 50 Observations incl. body weights; no fhirServer, so a
      missing prefetch key would answer 412 and count as an error, never as a FHIR fetch);
  (b) ``POST /bench/static-card`` on the same server: reads and parses the same body, answers a fixed card.

and prints requests, errors, p50/p90/p99, requests/s, the throughput ratio and whether the targets hold
(patient-view p50 <= 10 ms, throughput >= 50 % of the static endpoint's). The server is stopped with SIGTERM at
the end, also on Ctrl-C or error.

Profile mode (``--profile``) runs no server: cProfile of N in-process calls through ``app.test_client()``
(so ``CdsEvaluator.invoke`` plus the Flask route around it), top 25 functions by cumulative time, and a
phase breakdown timed without the profiler.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness.client import check_once, closed_loop, fixed  # noqa: E402
from bench.harness.profile import profile  # noqa: E402
from bench.harness.report import load_average, machine, patient_view_report, profile_report  # noqa: E402
from bench.harness.server import running_server  # noqa: E402
from bench.harness.stats import Result  # noqa: E402
from bench.harness.workload import DATA_DIR, build_workload  # noqa: E402

SERVICE_ID = "ror-vaccination"
PATIENT_VIEW_PATH = f"/cds-services/{SERVICE_ID}"
STATIC_PATH = "/bench/static-card"
ENDPOINTS = (("patient-view", PATIENT_VIEW_PATH), ("static-card", STATIC_PATH))


def _measure(port: int, name: str, path: str, body: bytes, args: argparse.Namespace, seconds: float,
             cpu: Callable[[], float] | None = None) -> Result:
    outcome = closed_loop(port, fixed("POST", path, body), (name,), args.concurrency, seconds, cpu=cpu)
    return outcome.result(0)


def load_mode(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    body = workload.body_bytes(SERVICE_ID)
    print(machine())
    print(f"load average at start: {load_average()}")
    print(f"workload: patient {workload.patient_id} from {workload.source}; body {len(body) / 1024:.1f} KiB; "
          f"{len(workload.resources)} resources, {workload.body_weights} body weights; origin {workload.origin}")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-bench-") as tmp, \
            running_server(args.workers, Path(tmp)) as server:
        print(f"server ready on 127.0.0.1:{server.port}: master pid {server.process.pid}, "
              f"{server.workers} workers, machine cores {os.cpu_count()}", flush=True)
        cards = check_once(server.port, PATIENT_VIEW_PATH, body).get("cards", [])
        check_once(server.port, STATIC_PATH, body)
        print(f"patient-view answers 200 with {len(cards)} card(s): "
              f"{'; '.join(str(c.get('summary')) for c in cards)[:200]}")
        results = {path: Result(name) for name, path in ENDPOINTS}
        for name, path in ENDPOINTS:
            print(f"{name} (POST {path}): warm-up {args.warmup:.0f} s", flush=True)
            _measure(server.port, name, path, body, args, args.warmup)
        block = args.seconds / args.rounds
        print(f"measuring: {args.rounds} rounds of {block:.1f} s per endpoint at concurrency {args.concurrency}, "
              "the order alternating from round to round", flush=True)
        round_ratios = []
        for round_number in range(args.rounds):
            measured = {}
            for name, path in ENDPOINTS if round_number % 2 == 0 else ENDPOINTS[::-1]:
                measured[path] = _measure(server.port, name, path, body, args, block, cpu=server.cpu_seconds)
                results[path].absorb(measured[path])
            round_ratios.append(measured[PATIENT_VIEW_PATH].throughput / max(measured[STATIC_PATH].throughput, 1e-9))
        summary = patient_view_report(results[PATIENT_VIEW_PATH], results[STATIC_PATH], server, args, round_ratios)
    if args.json:
        summary.update({"body_bytes": len(body), "patient": workload.patient_id, "source": workload.source})
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


def profile_mode(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    body = workload.body_bytes(SERVICE_ID)
    profile_report(profile(PATIENT_VIEW_PATH, body, args.calls), len(body), len(workload.resources))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="measured seconds per endpoint, over all rounds (default 20)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds the measured seconds are split into (default 5): the machine's "
                             "drift then weighs on both endpoints alike")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per endpoint (default 3)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads = connections (default 4)")
    parser.add_argument("--workers", type=int, default=0,
                        help="PREVENTION_CDS_WORKERS for the server (default 0 = the service's default, 2 x cores + 1)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of Synthea R4 bundles")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--profile", action="store_true", help="in-process cProfile instead of the load test")
    parser.add_argument("--calls", type=int, default=200, help="calls profiled with --profile (default 200)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1 or args.workers < 0 or args.rounds < 1:
        parser.error("--seconds > 0, --warmup >= 0, --concurrency >= 1, --workers >= 0, --rounds >= 1")
    if 2 * (args.seconds + args.warmup) > 110:
        parser.error("keep the run under 2 minutes: 2 x (seconds + warmup) <= 110")
    # SIGTERM to the benchmark stops the server too (the finally blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return profile_mode(args) if args.profile else load_mode(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
