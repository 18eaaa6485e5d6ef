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
import copy
import glob
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from prevention_cds.app.server import gunicorn_options  # noqa: E402
from prevention_cds.hooks.bundles import request_body, resources_of  # noqa: E402
from prevention_cds.hooks.catalog import SERVICES_BY_ID  # noqa: E402
from prevention_cds.settings import Settings  # noqa: E402

DATA_DIR = ROOT / "tests" / "data" / "synthea-r4-bundles"  # the tests' copy (tests/data/README.md)
SERVICE_ID = "ror-vaccination"
PATIENT_VIEW_PATH = f"/cds-services/{SERVICE_ID}"
STATIC_PATH = "/bench/static-card"
BODY_WEIGHT = ("http://loinc.org", "29463-7")
N_IMMUNIZATIONS, N_CONDITIONS, N_OBSERVATIONS = 30, 50, 50
TARGET_P50_MS = 10.0
TARGET_RATIO = 0.5
HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Accept-Language": "fr"}
ID_NAMESPACE = uuid.UUID("6f1c1c8e-4a51-4b8e-9a43-0d5b7d1f0b01")  # deterministic ids for duplicated resources


# --- the workload ------------------------------------------------------------------------------------------

def _is_body_weight(resource: dict[str, Any]) -> bool:
    return any((c.get("system"), c.get("code")) == BODY_WEIGHT for c in (resource.get("code") or {}).get("coding", ()))


def _of_type(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r.get("resourceType") == kind]


def _for_patient(resource: dict[str, Any], patient_id: str, new_id: str | None = None) -> dict[str, Any]:
    """A copy pointing at the patient as a FHIR server answers it (``Patient/<id>``, not the bundle's urn:uuid)."""
    copied = copy.deepcopy(resource)
    for name in ("subject", "patient"):
        if isinstance(copied.get(name), dict) and "reference" in copied[name]:
            copied[name]["reference"] = f"Patient/{patient_id}"
    if new_id is not None:
        copied["id"] = new_id
    return copied


def _take(wanted: int, own: list[dict[str, Any]], others: list[dict[str, Any]], patient_id: str,
          kind: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``wanted`` resources: the patient's own, topped up from other bundles, then duplicated with new ids."""
    chosen = [_for_patient(r, patient_id) for r in own[:wanted]]
    origin = {"own": len(chosen), "other bundles": 0, "duplicated": 0}
    for resource in others:
        if len(chosen) >= wanted:
            break
        chosen.append(_for_patient(resource, patient_id))
        origin["other bundles"] += 1
    seed = list(chosen)
    n = 0
    while len(chosen) < wanted and seed:
        source = seed[n % len(seed)]
        chosen.append(_for_patient(source, patient_id, str(uuid.uuid5(ID_NAMESPACE, f"{kind}/{source['id']}/{n}"))))
        origin["duplicated"] += 1
        n += 1
    return chosen, origin


@dataclass
class Workload:
    patient_id: str
    source: str
    resources: list[dict[str, Any]]
    origin: dict[str, dict[str, int]]
    body_weights: int

    def body(self) -> dict[str, Any]:
        return request_body(SERVICES_BY_ID[SERVICE_ID], self.patient_id, self.resources)


def build_workload(data_dir: Path = DATA_DIR) -> Workload:
    bundles = {Path(f).name: resources_of(json.loads(Path(f).read_text(encoding="utf-8")))
               for f in sorted(glob.glob(str(data_dir / "*.json")))}
    if not bundles:
        raise SystemExit(f"no Synthea bundles in {data_dir}")

    def rank(name: str) -> tuple[int, int, int, str]:
        res = bundles[name]
        return (min(len(_of_type(res, "Immunization")), N_IMMUNIZATIONS),
                sum(map(_is_body_weight, _of_type(res, "Observation"))), len(_of_type(res, "Condition")), name)

    source = max(bundles, key=rank)
    own = bundles[source]
    others = [r for name, res in bundles.items() if name != source for r in res]
    patient = _of_type(own, "Patient")[0]
    pid = patient["id"]
    observations = _of_type(own, "Observation")
    observations = [o for o in observations if _is_body_weight(o)] + [o for o in observations if not _is_body_weight(o)]
    other_observations = _of_type(others, "Observation")
    other_observations = ([o for o in other_observations if _is_body_weight(o)]
                          + [o for o in other_observations if not _is_body_weight(o)])
    immunizations, o_imm = _take(N_IMMUNIZATIONS, _of_type(own, "Immunization"), _of_type(others, "Immunization"),
                                 pid, "Immunization")
    conditions, o_cond = _take(N_CONDITIONS, _of_type(own, "Condition"), _of_type(others, "Condition"),
                               pid, "Condition")
    obs, o_obs = _take(N_OBSERVATIONS, observations, other_observations, pid, "Observation")
    resources = [patient, *immunizations, *conditions, *obs]
    return Workload(pid, source, resources, {"Immunization": o_imm, "Condition": o_cond, "Observation": o_obs},
                    sum(map(_is_body_weight, obs)))


# --- the server ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn_command(settings: Settings) -> list[str]:
    """``python -m bench.static_app``: ``prevention-cds serve``'s own start-up (``run_gunicorn`` with
    ``gunicorn_options(settings)``, server hooks and heap settling included) serving the benchmark app."""
    del settings  # the server reads the same PREVENTION_CDS_* environment
    return [sys.executable, "-m", "bench.static_app"]


def _cpu_seconds(pid: int) -> float:
    """user + system CPU time of one process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    options: dict[str, Any]

    @property
    def workers(self) -> int:
        return int(self.options["workers"])

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid) + sum(_cpu_seconds(p) for p in self.worker_pids())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


DATABASE_NAME = "bench.sqlite3"  # in the server's work folder


@contextmanager
def running_server(workers: int, workdir: Path, startup_seconds: float = 60.0,
                   command_for: Callable[[Settings], list[str]] | None = None) -> Iterator[Server]:
    """The benchmark server (``bench.static_app`` under gunicorn) or, with ``command_for``, another command
    serving the same settings; in its own session, stopped on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENTION_CDS_")}
    env.update({
        "PREVENTION_CDS_HOST": "127.0.0.1",
        "PREVENTION_CDS_PORT": str(port),
        "PREVENTION_CDS_AUTH_MODE": "off",
        "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{workdir / DATABASE_NAME}",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    })
    if workers:
        env["PREVENTION_CDS_WORKERS"] = str(workers)
    settings = Settings.from_env(env)
    command = (command_for or gunicorn_command)(settings)
    log_path = workdir / "server.log"
    print("server: " + " ".join(command[1:]), flush=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)  # Ctrl-C reaches only us; we stop it ourselves
    server = Server(process, port, log_path, gunicorn_options(settings))
    try:
        _wait_healthy(server, startup_seconds)
        yield server
    finally:
        _stop(server)


def _wait_healthy(server: Server, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200 and len(server.worker_pids()) >= server.workers:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {seconds:.0f} s:\n{server.log_tail()}")


def _stop(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(f"server stopped (exit code {process.returncode})", flush=True)


# --- the client ---------------------------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, every completed request
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def absorb(self, other: Result) -> None:
        """Add another measurement of the same endpoint (one round of several)."""
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * p // 100))
        return ordered[int(rank) - 1] * 1000


def closed_loop(port: int, path: str, body: bytes, concurrency: int, seconds: float, name: str,
                cpu: Callable[[], float] | None = None) -> Result:
    """``concurrency`` threads, each with one keep-alive connection, sending the next request when the last ends."""
    result = Result(name)
    lock = threading.Lock()
    start_barrier = threading.Barrier(concurrency + 1)
    ends: list[float] = []
    deadline = [0.0]

    def worker() -> None:
        latencies: list[float] = []
        errors = 0
        first_error = None
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_barrier.wait()
        while True:
            started = time.perf_counter()
            if started >= deadline[0]:
                break
            try:
                conn.request("POST", path, body, HEADERS)
                response = conn.getresponse()
                payload = response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    errors += 1
                    first_error = first_error or f"HTTP {response.status}: {payload[:300]!r}"
            except (OSError, http.client.HTTPException) as exc:
                latencies.append(time.perf_counter() - started)
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            result.first_error = result.first_error or first_error
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    cpu_before, client_before = (cpu() if cpu else 0.0), time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_barrier.wait()
    for t in threads:
        t.join()
    result.elapsed = max(ends) - began
    result.client_cpu = time.process_time() - client_before
    result.server_cpu = (cpu() if cpu else 0.0) - cpu_before
    return result


def check_once(port: int, path: str, body: bytes | None, method: str = "POST") -> dict[str, Any]:
    """One request; its JSON answer, or RuntimeError unless it is a 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body, HEADERS)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}: {payload[:500]!r}")
    return dict(json.loads(payload))


# --- reporting ----------------------------------------------------------------------------------------------

def _row(r: Result) -> str:
    return (f"{r.name:<14}{r.requests:>9}{r.errors:>8}{r.percentile_ms(50):>9.2f}{r.percentile_ms(90):>9.2f}"
            f"{r.percentile_ms(99):>9.2f}{r.throughput:>10.1f}{1000 * r.server_cpu / max(r.requests, 1):>10.2f}"
            f"{100 * r.client_cpu / r.elapsed if r.elapsed else 0:>9.0f}%")


def report(pv: Result, static: Result, server: Server, args: argparse.Namespace,
           round_ratios: list[float]) -> dict[str, Any]:
    print()
    print(f"{'endpoint':<14}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'req/s':>10}"
          f"{'srv CPU':>10}{'client':>10}")
    print(f"{'':<14}{'':>9}{'':>8}{'':>9}{'':>9}{'':>9}{'':>10}{'ms/req':>10}{'CPU':>10}")
    for r in (pv, static):
        print(_row(r))
        if r.first_error:
            print(f"    first error: {r.first_error}")
    ratio = pv.throughput / static.throughput if static.throughput else float("nan")
    p50_ok = pv.percentile_ms(50) <= TARGET_P50_MS and pv.errors == 0
    ratio_ok = ratio >= TARGET_RATIO and pv.errors == 0
    print()
    print(f"throughput ratio patient-view / static: {ratio:.3f} (all rounds); per round: "
          f"{' '.join(f'{r:.3f}' for r in round_ratios)} (median {statistics.median(round_ratios):.3f})")
    print(f"target patient-view p50 <= {TARGET_P50_MS:.0f} ms: {'HOLDS' if p50_ok else 'FAILS'} "
          f"(p50 = {pv.percentile_ms(50):.2f} ms)")
    print(f"target throughput >= {100 * TARGET_RATIO:.0f} % of static: {'HOLDS' if ratio_ok else 'FAILS'} "
          f"({100 * ratio:.1f} %)")
    print(f"server workers: {server.workers} (gunicorn gthread, {server.options['threads']} threads each; "
          f"{len(server.worker_pids())} worker processes seen); machine cores: {os.cpu_count()}; "
          f"concurrency: {args.concurrency}; {args.seconds:.0f} s per endpoint in {args.rounds} alternating rounds "
          f"after {args.warmup:.0f} s warm-up; "
          f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return {
        "ratio": ratio, "round_ratios": round_ratios, "p50_target_holds": p50_ok, "ratio_target_holds": ratio_ok,
        "rounds": args.rounds,
        "workers": server.workers, "cores": os.cpu_count(), "concurrency": args.concurrency,
        "seconds": args.seconds, "warmup": args.warmup, "python": platform.python_version(),
        "endpoints": {r.name: {"requests": r.requests, "errors": r.errors, "p50_ms": r.percentile_ms(50),
                               "p90_ms": r.percentile_ms(90), "p99_ms": r.percentile_ms(99),
                               "mean_ms": 1000 * statistics.fmean(r.latencies) if r.latencies else None,
                               "rps": r.throughput,
                               "server_cpu_ms_per_request": 1000 * r.server_cpu / max(r.requests, 1),
                               "client_cpu_share": r.client_cpu / r.elapsed if r.elapsed else None}
                      for r in (pv, static)},
    }


# --- load mode ----------------------------------------------------------------------------------------------

def load_mode(args: argparse.Namespace) -> int:
    workload = build_workload(args.data)
    body = json.dumps(workload.body(), ensure_ascii=False).encode("utf-8")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()} ({platform.platform()})")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
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
        endpoints = (("patient-view", PATIENT_VIEW_PATH), ("static-card", STATIC_PATH))
        results = {path: Result(name) for name, path in endpoints}
        for name, path in endpoints:
            print(f"{name} (POST {path}): warm-up {args.warmup:.0f} s", flush=True)
            closed_loop(server.port, path, body, args.concurrency, args.warmup, name)
        block = args.seconds / args.rounds
        print(f"measuring: {args.rounds} rounds of {block:.1f} s per endpoint at concurrency {args.concurrency}, "
              "the order alternating from round to round", flush=True)
        round_ratios = []
        for round_number in range(args.rounds):
            measured = {}
            for name, path in endpoints if round_number % 2 == 0 else endpoints[::-1]:
                measured[path] = closed_loop(server.port, path, body, args.concurrency, block, name,
                                             cpu=server.cpu_seconds)
                results[path].absorb(measured[path])
            round_ratios.append(measured[PATIENT_VIEW_PATH].throughput / max(measured[STATIC_PATH].throughput, 1e-9))
        summary = report(results[PATIENT_VIEW_PATH], results[STATIC_PATH], server, args, round_ratios)
    if args.json:
        summary.update({"body_bytes": len(body), "patient": workload.patient_id, "source": workload.source})
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


# --- profile mode -------------------------------------------------------------------------------------------

PHASES = (  # (module, attribute, label): wrapped with a timer in profile mode only, in this process only
    ("prevention_cds.app.hooks", "read_json", "read_json (size cap, UTF-8, json.loads)"),
    ("prevention_cds.evaluate", "parse_request", "parse_request (JSON Schema validation)"),
    ("prevention_cds.evaluate", "gather_resources", "gather_resources (prefetch)"),
    ("prevention_cds.evaluate", "build_record", "build_record (fhir.resources models)"),
    ("prevention_cds.evaluate.CdsEvaluator", "_advise", "rules (_advise)"),
    ("prevention_cds.evaluate", "advice_to_card", "advice_to_card (cards)"),
    ("prevention_cds.app.hooks", "jsonify", "jsonify (response)"),
)


def _resolve(path: str) -> Any:
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            target = getattr(target, attr)
        return target
    raise ImportError(path)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    totals: dict[str, float] = {}
    saved = []
    for owner_path, attr, label in PHASES:
        owner = _resolve(owner_path)
        original = getattr(owner, attr)
        totals[label] = 0.0

        def timed(*a: Any, _original: Any = original, _label: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*a, **kw)
            finally:
                totals[_label] += time.perf_counter() - started

        saved.append((owner, attr, original))
        setattr(owner, attr, timed)
    try:
        yield totals
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def profile_mode(args: argparse.Namespace) -> int:
    import cProfile
    import io
    import logging
    import pstats

    from prevention_cds.app.factory import create_app

    workload = build_workload(args.data)
    body = json.dumps(workload.body(), ensure_ascii=False).encode("utf-8")
    # the INFO line the evaluator logs per call is formatted as under `prevention-cds serve`, then discarded
    logging.basicConfig(level="INFO", stream=open(os.devnull, "w"), force=True,  # noqa: SIM115
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-profile-") as tmp:
        settings = Settings.from_env({}, auth_mode="off", database_url=f"sqlite:///{tmp}/profile.sqlite3")
        client = create_app(settings).test_client()

        def call() -> None:
            response = client.post(PATIENT_VIEW_PATH, data=body, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"answered {response.status_code}: {response.data[:300]!r}")

        for _ in range(10):  # warm-up: first-call caches (schemas, code index, model classes)
            call()
        started = time.perf_counter()
        for _ in range(args.calls):
            call()
        plain = (time.perf_counter() - started) / args.calls
        with phase_timers() as totals:
            for _ in range(args.calls):
                call()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.calls):
            call()
        profiler.disable()
        profiled = (time.perf_counter() - started) / args.calls

    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; body {len(body) / 1024:.1f} KiB, "
          f"{len(workload.resources)} resources")
    print(f"{args.calls} in-process calls through app.test_client(): {1000 * plain:.2f} ms per call without profiler, "
          f"{1000 * profiled:.2f} ms with cProfile")
    print()
    print("phase breakdown (timed without profiler, share of the whole test_client call):")
    for label, total in totals.items():
        print(f"  {label:<52}{1000 * total / args.calls:>8.2f} ms {100 * total / args.calls / plain:>6.1f} %")
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)
    print()
    print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()))
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("tottime").print_stats(15)
    print()
    print("top 15 by own time (tottime):")
    print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()))
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
