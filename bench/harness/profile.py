"""In-process profile of patient-view: calls through ``app.test_client()`` (``CdsEvaluator.invoke`` and the Flask
route around it), timed plain, by phase, and under cProfile. No server, no network."""

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
    ("prevention_cds.app.hooks", "read_json", "read_json (size cap, UTF-8, json.loads)"),
    ("prevention_cds.evaluate", "parse_request", "parse_request (JSON Schema validation)"),
    ("prevention_cds.evaluate", "gather_resources", "gather_resources (prefetch)"),
    ("prevention_cds.evaluate", "build_record", "build_record (fhir.resources models)"),
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


def profile(path: str, body: bytes, calls: int) -> Profile:
    """``calls`` POSTs of ``body`` to ``path`` (after 10 warm-up calls) for each of three passes."""
    from prevention_cds.app.factory import create_app
    from prevention_cds.settings import Settings

    # the INFO line the evaluator logs per call is formatted as under `prevention-cds serve`, then discarded
    logging.basicConfig(level="INFO", stream=open(os.devnull, "w"), force=True,  # noqa: SIM115
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="prevention-cds-profile-") as tmp:
        settings = Settings.from_env({}, auth_mode="off", database_url=f"sqlite:///{tmp}/profile.sqlite3")
        client = create_app(settings).test_client()

        def call() -> None:
            response = client.post(path, data=body, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"answered {response.status_code}: {response.data[:300]!r}")

        def timed(times: int, run: Callable[[], None]) -> float:
            started = time.perf_counter()
            for _ in range(times):
                run()
            return (time.perf_counter() - started) / times

        timed(10, call)  # warm-up: first-call caches (schemas, code index, model classes)
        plain = timed(calls, call)
        with phase_timers() as totals:
            timed(calls, call)
        profiler = cProfile.Profile()
        profiler.enable()
        profiled = timed(calls, call)
        profiler.disable()
    return Profile(calls, plain, profiled, totals, profiler)


def top_functions(profiler: cProfile.Profile, sort: str, count: int) -> str:
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(sort).print_stats(count)
    return "\n".join(line for line in stream.getvalue().splitlines() if line.strip())
