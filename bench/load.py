"""Load run: mixed traffic against ``prevention-cds serve`` for minutes, with the server's memory sampled.

    .venv/bin/python bench/load.py                 # 300 s at concurrency 8 (the documented run)
    .venv/bin/python bench/load.py --seconds 20    # smoke check, about 35 s in all (5 s warm-up)
    .venv/bin/python bench/load.py [--concurrency C] [--workers W] [--warmup S] [--mix PV/DISC/FB]
                                   [--reconnect-every N] [--sample-every S] [--json FILE]

Starts the real server as a subprocess, ``prevention-cds serve --host 127.0.0.1 --port <free>`` (what the
``prevention-cds serve`` script runs: gunicorn, ``--preload``, gevent workers), with authentication off, a
throw-away SQLite feedback store, and the service's default worker count unless ``--workers`` is given. It waits
until ``/health`` answers and every worker is up, checks each request kind once, warms up (not counted: 30 s,
or 5 s for runs shorter than 2 minutes), then runs a closed loop for ``--seconds``: ``--concurrency`` threads,
each with one keep-alive connection (reopened every ``--reconnect-every`` requests, default 100, so that a
worker does not keep the same connections for the whole run and every worker gets load), each sending its
next request as soon as the last one is read. Each request is drawn (seeded, per thread) from the mix
(default 80/10/10):

* patient-view (80 %), split evenly between ``POST /cds-services/ror-vaccination`` and
  ``POST /cds-services/iim-prophylaxis``, each with the realistic Synthea body of ``bench/patient_view.py``
  (``bench.harness.workload.build_workload()``: the Patient, 30 Immunizations, 50 Conditions, 50 Observations,
  full prefetch);
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
import json
import random
import signal
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness.client import Draw, Request, check_once, closed_loop  # noqa: E402
from bench.harness.memory import MAX_SECONDS, Sampler, sample_memory  # noqa: E402
from bench.harness.report import load_average, load_report, machine  # noqa: E402
from bench.harness.server import DATABASE_NAME, running_server, serve_command  # noqa: E402
from bench.harness.workload import DATA_DIR, build_workload  # noqa: E402
from prevention_cds.adapters.feedback_store import SqlFeedbackStore  # noqa: E402
from prevention_cds.terminology.index import OVERRIDE_REASON_SYSTEM  # noqa: E402

PATIENT_VIEW_SERVICES = ("ror-vaccination", "iim-prophylaxis")
ENDPOINTS = ("pv ror-vaccination", "pv iim-prophylaxis", "discovery", "feedback")


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


def _feedback_body(rng: random.Random) -> tuple[bytes, int]:
    entries: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        card = str(uuid.uuid4())
        if rng.random() < 0.5:
            entries.append({"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-11-21T09:05:31Z",
                            "acceptedSuggestions": [{"id": str(uuid.uuid4())}]})
        else:
            reason = {"system": OVERRIDE_REASON_SYSTEM, "code": "patient-refuses"}
            entries.append({"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
                            "overrideReason": {"reason": reason}})
    return json.dumps({"feedback": entries}).encode(), len(entries)


def mixed_requests(bodies: dict[str, bytes], mix: Mix) -> Draw:
    """Each request drawn from ``mix``: patient-view split evenly between the two services, discovery, feedback
    (1-3 entries, every card uuid new)."""
    weights = [mix.patient_view / 2, mix.patient_view / 2, mix.discovery, mix.feedback]

    def draw(rng: random.Random) -> Request:
        endpoint = rng.choices(range(len(ENDPOINTS)), weights)[0]
        if endpoint < 2:
            service_id = PATIENT_VIEW_SERVICES[endpoint]
            return Request(endpoint, "POST", f"/cds-services/{service_id}", bodies[service_id])
        if endpoint == 2:
            return Request(endpoint, "GET", "/cds-services", None)
        body, entries = _feedback_body(rng)
        return Request(endpoint, "POST", f"/cds-services/{rng.choice(PATIENT_VIEW_SERVICES)}/feedback", body, entries)

    return draw


def run(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    bodies = {service_id: workload.body_bytes(service_id) for service_id in PATIENT_VIEW_SERVICES}
    print(f"{machine()}; load average at start: {load_average()}")
    print(f"workload: patient {workload.patient_id} from {workload.source}; {len(workload.resources)} resources; "
          f"bodies {', '.join(f'{k} {len(v) / 1024:.1f} KiB' for k, v in bodies.items())}")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-load-") as tmp, \
            running_server(args.workers, Path(tmp), command_for=serve_command) as server:
        print(f"server ready on 127.0.0.1:{server.port}: master pid {server.process.pid}, {server.workers} "
              f"{server.options['worker_class']} workers ({len(server.worker_pids())} seen)", flush=True)
        check_once(server.port, "/health/ready", None, "GET")
        for service_id, body in bodies.items():
            cards = check_once(server.port, f"/cds-services/{service_id}", body, "POST").get("cards", [])
            print(f"  {service_id}: 200, {len(cards)} card(s)")
        check_once(server.port, "/cds-services", None, "GET")
        check_body, acknowledged = _feedback_body(random.Random(-1))
        check_once(server.port, "/cds-services/ror-vaccination/feedback", check_body, "POST")
        idle = sample_memory(server, 0.0)
        draw = mixed_requests(bodies, args.mix)
        if args.warmup:
            print(f"warm-up: {args.warmup:.0f} s, mix {args.mix}, concurrency {args.concurrency} (not counted)",
                  flush=True)
            warm = closed_loop(server.port, draw, ENDPOINTS, args.concurrency, args.warmup, seed=1,
                               reconnect_every=args.reconnect_every)
            acknowledged += warm.feedback_acknowledged
        print(f"measured: {args.seconds:.0f} s, mix {args.mix} (patient-view/discovery/feedback), "
              f"concurrency {args.concurrency}, connections reopened every {args.reconnect_every} requests; "
              f"memory every {args.sample_every:.0f} s", flush=True)
        sampler = Sampler(server, args.sample_every)
        sampler.start()
        outcome = closed_loop(server.port, draw, ENDPOINTS, args.concurrency, args.seconds, seed=2,
                              cpu=server.cpu_seconds, reconnect_every=args.reconnect_every)
        sampler.finish()
        stored = SqlFeedbackStore(f"sqlite:///{Path(tmp) / DATABASE_NAME}").count()
        acknowledged += outcome.feedback_acknowledged
        summary, failed = load_report(outcome, sampler.samples, idle, server, args, acknowledged, stored)
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
                        help="PREVENTION_CDS_WORKERS (default 0 = the service's default, one per core)")
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
