"""In-process profile of patient-view: calls through ``app.test_client()`` (``CdsEvaluator.invoke`` and the Flask
route around it), timed plain, by phase, and under cProfile; and the CPU of whole calls to each service and to the
static card, for the budget issue 20's goal leaves the evaluation. No server, no network."""

from __future__ import annotations

import cProfile
import importlib
import io
import logging
import os
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.harness.client import HEADERS

PHASES = (  # (module, attribute, label): wrapped with a timer in profile mode only, in this process only
    ("prevention_cds.app.hooks", "read_json", "read_json (size cap, msgspec decode)"),
    ("prevention_cds.evaluate", "parse_request", "parse_request (JSON Schema validation)"),
    ("prevention_cds.evaluate", "gather_resources", "gather_resources (prefetch)"),
    ("prevention_cds.evaluate", "build_record", "build_record (readers, typed elements)"),
    ("prevention_cds.rules.mmr.MmrRules", "evaluate", "MMR rules (MmrRules.evaluate)"),
    ("prevention_cds.rules.iim.IimRules", "evaluate", "IIM rules (IimRules.evaluate)"),
    ("prevention_cds.evaluate", "with_record_notes", "record notes (with_record_notes)"),
    ("prevention_cds.evaluate", "advice_to_card", "advice_to_card (cards)"),
    ("prevention_cds.app.hooks", "jsonify", "jsonify (response)"),
)


def _resolve(path: str) -> Any:
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            target = getattr(target, attr)
        return target
    raise ImportError(path)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Seconds spent in each phase of PHASES while the block runs."""
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


@dataclass
class Profile:
    calls: int
    plain: float  # seconds per call without instrumentation
    profiled: float  # seconds per call under cProfile
    phases: dict[str, float]  # seconds in each phase over ``calls`` calls
    stats: cProfile.Profile


@contextmanager
def _client() -> Iterator[Any]:
    """A test client of the benchmark app (the service's app and the static card), logging as under serve."""
    from bench.static_app import build_app
    from prevention_cds.settings import Settings

    # the INFO line the evaluator logs per call is formatted as under `prevention-cds serve`, then discarded
    logging.basicConfig(level="INFO", stream=open(os.devnull, "w"), force=True,  # noqa: SIM115
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-profile-") as tmp:
        settings = Settings.from_env({}, auth_mode="off", database_url=f"sqlite:///{tmp}/profile.sqlite3")
        yield build_app(settings).test_client()


def _caller(client: Any, path: str, body: bytes) -> Callable[[], None]:
    def call() -> None:
        response = client.post(path, data=body, headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}: {response.data[:300]!r}")

    return call


def _timed(times: int, run: Callable[[], None], clock: Callable[[], float] = time.perf_counter) -> float:
    started = clock()
    for _ in range(times):
        run()
    return (clock() - started) / times


def profile(path: str, body: bytes, calls: int) -> Profile:
    """``calls`` POSTs of ``body`` to ``path`` (after 10 warm-up calls) for each of three passes."""
    with _client() as client:
        call = _caller(client, path, body)
        _timed(10, call)  # warm-up: first-call caches (schemas, code index, model classes)
        plain = _timed(calls, call)
        with phase_timers() as totals:
            _timed(calls, call)
        profiler = cProfile.Profile()
        profiler.enable()
        profiled = _timed(calls, call)
        profiler.disable()
    return Profile(calls, plain, profiled, totals, profiler)


def whole_call_cpu(targets: dict[str, tuple[str, bytes]], calls: int, repeats: int = 5) -> dict[str, float]:
    """CPU seconds of one whole call per target (label -> (path, body)): the best of ``repeats`` passes of
    ``calls`` calls, the targets alternating, after the heap is settled as before the server forks. CPU time and
    the best pass, because the machine is shared: what other processes take is not counted."""
    from prevention_cds.app.server import settle_heap

    with _client() as client:
        callers = {label: _caller(client, path, body) for label, (path, body) in targets.items()}
        for call in callers.values():
            _timed(10, call)
        settle_heap()
        best = dict.fromkeys(callers, float("inf"))
        for _ in range(repeats):
            for label, call in callers.items():
                best[label] = min(best[label], _timed(calls, call, time.process_time))
    return best


def top_functions(profiler: cProfile.Profile, sort: str, count: int) -> str:
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(sort).print_stats(count)
    return "\n".join(line for line in stream.getvalue().splitlines() if line.strip())
