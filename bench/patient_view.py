"""Throughput and latency of patient-view (both services) against a static-card baseline and, with ``--peer-dir``,
the CDS Hooks reference service (Node), all measured in the same alternating rounds.

    .venv/bin/python bench/patient_view.py [--seconds N] [--rounds R] [--concurrency C] [--workers W] [--warmup S]
    .venv/bin/python bench/patient_view.py --peer-dir DIR      # DIR: a checkout of cds-hooks/sandbox-cds-services
    .venv/bin/python bench/patient_view.py --profile [--calls N]

Load mode starts ONE gunicorn server as a subprocess on 127.0.0.1 (``python -m bench.static_app``: the start-up
of ``prevention-cds serve``, so ``run_gunicorn`` with its options and hooks, authentication off, a throw-away
SQLite database), waits for ``/health``, then measures, one after the other and the same way (same closed-loop
client, same concurrency, the same realistic body, a warm-up first):

  (a) ``POST /cds-services/ror-vaccination`` and ``/cds-services/iim-prophylaxis`` with a full prefetch built from
      the Synthea bundles (the Patient, 30 Immunizations, 50 Conditions, 50 Observations incl. body weights; no
      fhirServer, so a missing prefetch key would answer 412 and count as an error, never as a FHIR fetch);
  (b) ``POST /bench/static-card`` on the same server: reads the same body with the service's own reader, answers a
      fixed card;
  (c) with ``--peer-dir``: the reference service's patient-view service (``patient-greeting``), the same bytes
      as (a), started with the project's Node 22 (bench/harness/peer.py).

Per round and over all rounds it prints patient-view / static and patient-view / Node ratios, p50, p99, server CPU
ms per request and the connections each worker held mid-round, then whether issue 20's goal holds (see
bench/harness/report.py). Servers are stopped with SIGTERM at the end, also on Ctrl-C or error.

Profile mode (``--profile``) runs no server: cProfile of N in-process calls through ``app.test_client()``
(so ``CdsEvaluator.invoke`` plus the Flask route around it), top 25 functions by cumulative time, and a
phase breakdown timed without the profiler; then the CPU of whole calls to both services and to the static card,
and how much more than the static card the goal's ratio lets a call cost.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness.client import check_once, closed_loop, fixed  # noqa: E402
from bench.harness.peer import PATIENT_VIEW_PATH as PEER_PATH  # noqa: E402
from bench.harness.peer import running_peer  # noqa: E402
from bench.harness.profile import profile, whole_call_cpu  # noqa: E402
from bench.harness.report import (  # noqa: E402
    budget_report,
    load_average,
    machine,
    patient_view_report,
    profile_report,
)
from bench.harness.server import running_server  # noqa: E402
from bench.harness.stats import Result  # noqa: E402
from bench.harness.workload import DATA_DIR, build_workload  # noqa: E402

SERVICE_ID = "ror-vaccination"  # the one --profile calls
SERVICES = ("ror-vaccination", "iim-prophylaxis")  # the patient-view services
STATIC_PATH = "/bench/static-card"
STATIC = "static-card"
PEER = "node-reference"
BUDGET_REPEATS = 5  # --profile: passes of whole calls per target, the best kept


@dataclass(frozen=True)
class Endpoint:
    name: str
    port: int
    path: str
    body: bytes
    cpu: Callable[[], float]  # the serving processes' CPU seconds
    spread: Callable[[], list[int]] | None = None  # connections held by each worker, for our server


def _measure(endpoint: Endpoint, args: argparse.Namespace, seconds: float, measured: bool = True) -> Result:
    outcome = closed_loop(endpoint.port, fixed("POST", endpoint.path, endpoint.body), (endpoint.name,),
                          args.concurrency, seconds, cpu=endpoint.cpu if measured else None,
                          probe=endpoint.spread if measured else None)
    result = outcome.result(0)
    result.spread = outcome.probed
    return result


def load_mode(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    bodies = {service: workload.body_bytes(service) for service in SERVICES}
    body = bodies[SERVICE_ID]
    print(machine())
    print(f"load average at start: {load_average()}")
    print(f"workload: patient {workload.patient_id} from {workload.source}; body {len(body) / 1024:.1f} KiB; "
          f"{len(workload.resources)} resources, {workload.body_weights} body weights; origin {workload.origin}")
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="prevention-cds-bench-")))
        server = stack.enter_context(running_server(args.workers, tmp))
        print(f"server ready on 127.0.0.1:{server.port}: master pid {server.process.pid}, "
              f"{server.workers} workers, machine cores {os.cpu_count()}", flush=True)
        endpoints = [Endpoint(service, server.port, f"/cds-services/{service}", bodies[service], server.cpu_seconds,
                              server.connections_per_worker) for service in SERVICES]
        endpoints.append(Endpoint(STATIC, server.port, STATIC_PATH, body, server.cpu_seconds,
                                  server.connections_per_worker))
        if args.peer_dir:
            peer = stack.enter_context(running_peer(args.peer_dir, tmp))
            # the same bytes as the ror-vaccination call: a patient-view request whose prefetch holds the Patient
            endpoints.append(Endpoint(PEER, peer.port, PEER_PATH, body, peer.cpu_seconds))
        for endpoint in endpoints:
            cards = check_once(endpoint.port, endpoint.path, endpoint.body).get("cards", [])
            print(f"{endpoint.name} answers 200 with {len(cards)} card(s): "
                  f"{'; '.join(str(c.get('summary')) for c in cards)[:160]}")
        results = {e.name: Result(e.name) for e in endpoints}
        for endpoint in endpoints:
            print(f"{endpoint.name} (POST {endpoint.path}): warm-up {args.warmup:.0f} s", flush=True)
            _measure(endpoint, args, args.warmup, measured=False)
        block = args.seconds / args.rounds
        print(f"measuring: {args.rounds} rounds of {block:.1f} s per endpoint at concurrency {args.concurrency}, "
              "the order reversed from round to round", flush=True)
        rounds = []
        for round_number in range(args.rounds):
            measured = {}
            for endpoint in endpoints if round_number % 2 == 0 else endpoints[::-1]:
                measured[endpoint.name] = _measure(endpoint, args, block)
                results[endpoint.name].absorb(measured[endpoint.name])
            rounds.append(measured)
        summary = patient_view_report([results[s] for s in SERVICES], results[STATIC], results.get(PEER), rounds,
                                      server, args)
    if args.json:
        summary.update({"body_bytes": len(body), "patient": workload.patient_id, "source": workload.source})
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0 if summary["goal_holds"] or not args.peer_dir else 1


def profile_mode(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    body = workload.body_bytes(SERVICE_ID)
    targets = {STATIC: (STATIC_PATH, body)} | {s: (f"/cds-services/{s}", workload.body_bytes(s)) for s in SERVICES}
    cpu = whole_call_cpu(targets, args.calls, BUDGET_REPEATS)  # first: a process that ran the profiler runs slower
    profile_report(profile(f"/cds-services/{SERVICE_ID}", body, args.calls), len(body), len(workload.resources))
    print()
    budget_report(cpu, STATIC, args.calls, BUDGET_REPEATS)
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
                        help="PREVENTION_CDS_WORKERS for the server (default 0 = the service's default, one per "
                             "usable core)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of Synthea R4 bundles")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--peer-dir", type=Path,
                        help="a checkout of cds-hooks/sandbox-cds-services: prepared once (npm), started with "
                             "Node 22 and measured in the same rounds (docs/performance.md, the reference service)")
    parser.add_argument("--profile", action="store_true", help="in-process cProfile instead of the load test")
    parser.add_argument("--calls", type=int, default=200, help="calls profiled with --profile (default 200)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1 or args.workers < 0 or args.rounds < 1:
        parser.error("--seconds > 0, --warmup >= 0, --concurrency >= 1, --workers >= 0, --rounds >= 1")
    if 4 * (args.seconds + args.warmup) > 240:
        parser.error("keep the run under 4 minutes: 4 x (seconds + warmup) <= 240")
    # SIGTERM to the benchmark stops the server too (the finally blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return profile_mode(args) if args.profile else load_mode(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
