"""What the benchmarks print (and write with ``--json``): the same lines and figures as before the harness split."""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
from typing import Any

from bench.harness.client import Outcome
from bench.harness.memory import Sample, worker_restarts
from bench.harness.profile import Profile, top_functions
from bench.harness.server import Server
from bench.harness.stats import Result, slope_per_minute

# issue 20's goal, for each patient-view service at the benchmark's concurrency (4), all in one run
GOAL_STATIC_RATIO = 0.80  # patient-view req/s >= 0.80 of the static card on the same server
GOAL_PEER_RATIO = 1.0  # patient-view req/s >= the reference service's (Node), same body
GOAL_P50_MS = 5.0
GOAL_P99_MS = 20.0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return f"machine: {os.cpu_count()} cores, Python {platform.python_version()} ({platform.platform()})"


# --- patient-view against the static card ------------------------------------------------------------------------

def _row(r: Result) -> str:
    return (f"{r.name:<16}{r.requests:>9}{r.errors:>8}{r.percentile_ms(50):>9.2f}{r.percentile_ms(90):>9.2f}"
            f"{r.percentile_ms(99):>9.2f}{r.throughput:>10.1f}{1000 * r.server_cpu / max(r.requests, 1):>10.2f}"
            f"{100 * r.client_cpu / r.elapsed if r.elapsed else 0:>9.0f}%")


def _ratio(a: Result, b: Result) -> float:
    return a.throughput / b.throughput if b.throughput else float("nan")


def _figures(r: Result) -> dict[str, Any]:
    return {"requests": r.requests, "errors": r.errors, "p50_ms": r.percentile_ms(50),
            "p90_ms": r.percentile_ms(90), "p99_ms": r.percentile_ms(99),
            "mean_ms": 1000 * statistics.fmean(r.latencies) if r.latencies else None, "rps": r.throughput,
            "server_cpu_ms_per_request": 1000 * r.server_cpu / max(r.requests, 1),
            "client_cpu_share": r.client_cpu / r.elapsed if r.elapsed else None}


def patient_view_report(services: list[Result], static: Result, peer: Result | None, rounds: list[dict[str, Result]],
                        server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """The table, the ratios per round and overall, where the connections went, and issue 20's goal."""
    print()
    print(f"{'endpoint':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'req/s':>10}"
          f"{'srv CPU':>10}{'client':>10}")
    print(f"{'':<16}{'':>9}{'':>8}{'':>9}{'':>9}{'':>9}{'':>10}{'ms/req':>10}{'CPU':>10}")
    for r in (*services, static, *([peer] if peer else [])):
        print(_row(r))
        if r.first_error:
            print(f"    first error: {r.first_error}")
    print()
    shared_rounds = []
    for number, measured in enumerate(rounds, 1):
        ratios = []
        for s in services:
            ratios.append(f"{s.name} / static {_ratio(measured[s.name], measured[static.name]):.3f}")
            if peer:
                ratios.append(f"/ node {_ratio(measured[s.name], measured[peer.name]):.3f}")
        spreads = {name: r.spread for name, r in measured.items() if r.spread is not None}
        one_worker = [name for name, spread in spreads.items() if spread and max(spread) >= args.concurrency > 1]
        if one_worker:
            shared_rounds.append(number)
        print(f"round {number}: {', '.join(ratios)}; connections per worker: "
              + " ".join(f"{name} {spread}" for name, spread in spreads.items())
              + (f"  ALL ON ONE WORKER: {', '.join(one_worker)}" if one_worker else ""))
    print()
    goal = not shared_rounds and peer is not None
    verdicts: dict[str, dict[str, Any]] = {}
    for s in services:
        static_ratio = _ratio(s, static)
        peer_ratio = _ratio(s, peer) if peer else float("nan")
        checks = {
            f"/ static >= {GOAL_STATIC_RATIO:.2f}": static_ratio >= GOAL_STATIC_RATIO,
            f"/ node >= {GOAL_PEER_RATIO:.2f}": peer is not None and peer_ratio >= GOAL_PEER_RATIO,
            f"p50 <= {GOAL_P50_MS:.0f} ms": s.percentile_ms(50) <= GOAL_P50_MS,
            f"p99 <= {GOAL_P99_MS:.0f} ms": s.percentile_ms(99) <= GOAL_P99_MS,
            "0 errors": s.errors == 0,
        }
        goal = goal and all(checks.values())
        per_round = [_ratio(m[s.name], m[static.name]) for m in rounds]
        print(f"{s.name}: / static {static_ratio:.3f} (all rounds; median of rounds "
              f"{statistics.median(per_round):.3f})" + (f", / node {peer_ratio:.3f} (median of rounds "
              f"{statistics.median(_ratio(m[s.name], m[peer.name]) for m in rounds):.3f})" if peer else "")
              + "; " + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in checks.items()))
        verdicts[s.name] = {"static_ratio": static_ratio, "peer_ratio": peer_ratio if peer else None,
                            "round_static_ratios": per_round,
                            "round_peer_ratios": [_ratio(m[s.name], m[peer.name]) for m in rounds] if peer else None,
                            "checks": checks}
    print(f"rounds with all {args.concurrency} connections on one worker: "
          f"{', '.join(map(str, shared_rounds)) or 'none'}")
    print(f"GOAL (issue 20): {'HOLDS' if goal else 'FAILS'}" + ("" if peer else " (no --peer-dir: not measured)"))
    print(f"server workers: {server.workers} (gunicorn {server.options['worker_class']}, "
          f"{server.options['worker_connections']} connections each; "
          f"{len(server.worker_pids())} worker processes seen); machine cores: {os.cpu_count()}; "
          f"concurrency: {args.concurrency}; {args.seconds:.0f} s per endpoint in {args.rounds} alternating rounds "
          f"after {args.warmup:.0f} s warm-up; load average at end: {load_average()}")
    return {
        "goal_holds": goal, "services": verdicts, "rounds_on_one_worker": shared_rounds,
        "round_spreads": [{name: r.spread for name, r in m.items()} for m in rounds],
        "rounds": args.rounds, "workers": server.workers, "worker_class": server.options["worker_class"],
        "cores": os.cpu_count(), "concurrency": args.concurrency, "seconds": args.seconds, "warmup": args.warmup,
        "python": platform.python_version(), "load_average_end": load_average(),
        "endpoints": {r.name: _figures(r) for r in (*services, static, *([peer] if peer else []))},
    }


def profile_report(result: Profile, body_bytes: int, resources: int) -> None:
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; body {body_bytes / 1024:.1f} KiB, "
          f"{resources} resources")
    print(f"{result.calls} in-process calls through app.test_client(): {1000 * result.plain:.2f} ms per call "
          f"without profiler, {1000 * result.profiled:.2f} ms with cProfile")
    print()
    print("phase breakdown (timed without profiler, share of the whole test_client call):")
    for label, total in result.phases.items():
        per_call = total / result.calls
        print(f"  {label:<52}{1000 * per_call:>8.2f} ms {100 * per_call / result.plain:>6.1f} %")
    print()
    print(top_functions(result.stats, "cumulative", 25))
    print()
    print("top 15 by own time (tottime):")
    print(top_functions(result.stats, "tottime", 15))


def budget_report(cpu: dict[str, float], static: str, calls: int, repeats: int) -> None:
    """Whole in-process calls against the budget issue 20's goal leaves: at ``GOAL_STATIC_RATIO`` of the static
    card's req/s on the same cores, a call may cost the static card's CPU divided by that ratio, and no more."""
    allowed = cpu[static] / GOAL_STATIC_RATIO - cpu[static]
    print(f"whole calls, CPU ms per call (best of {repeats} passes of {calls}, alternating):")
    for label, seconds in cpu.items():
        extra = "" if label == static else f"   {1000 * (seconds - cpu[static]):>5.2f} ms more than the static card"
        print(f"  {label:<20}{1000 * seconds:>7.2f} ms{extra}")
    print(f"the goal's {GOAL_STATIC_RATIO:.2f} of the static card leaves a call {1000 * allowed:.2f} ms more than the "
          "static card (everything but reading the body and the Flask route)")


# --- the load run --------------------------------------------------------------------------------------------------

def _results(outcome: Outcome) -> list[Result]:
    results = [outcome.result(i) for i in range(len(outcome.endpoints))]
    total = Result("all", [c.latency for c in outcome.calls], sum(not c.ok for c in outcome.calls))
    return [*results, total]


def load_report(outcome: Outcome, samples: list[Sample], idle: Sample, server: Server, args: argparse.Namespace,
                acknowledged_feedback: int, stored_feedback: int) -> tuple[dict[str, Any], bool]:
    """Prints the figures; returns them and whether the run failed. ``acknowledged_feedback`` counts every
    feedback entry answered 200 since the server started (checks and warm-up included), as the store does."""
    results = _results(outcome)
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
    restarts = worker_restarts([idle, *samples], server.process.pid)
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
          f"load average at end: {load_average()}")
    feedback_ok = stored_feedback >= acknowledged_feedback  # more rows only if a failed request was committed
    failed = total.errors > 0 or restarts > 0 or not feedback_ok
    print(f"RESULT: {'FAIL' if failed else 'PASS'} ({total.errors} errors in {total.requests} requests, "
          f"error rate {100 * total.errors / max(total.requests, 1):.3f} %; {restarts} worker restarts; "
          f"feedback {'complete' if feedback_ok else 'MISSING ENTRIES'})")
    summary = {
        "seconds": args.seconds, "warmup": args.warmup, "concurrency": args.concurrency, "mix": str(args.mix),
        "reconnect_every": args.reconnect_every,
        "workers": server.workers, "worker_class": server.options["worker_class"], "cores": os.cpu_count(),
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
