"""The scan from folder to outputs: discover the inputs, route the chunks, evaluate the partitions, write the
tables, the report and summary.json."""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

import orjson

from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.scan.aggregates import Aggregates
from prevention_cds.scan.evaluate_partition import EvaluateTask, PartitionResult, evaluate_partition
from prevention_cds.scan.executors import executor_for
from prevention_cds.scan.inputs import chunks, discover
from prevention_cds.scan.partitions import WorkDir
from prevention_cds.scan.progress import Progress, Silent
from prevention_cds.scan.route import RouteResult, RouteTask, route_chunk
from prevention_cds.settings import PRACTICE_TIMEZONE

logger = logging.getLogger(__name__)

MIB = 1 << 20
# At least this many partitions, whatever the export's size, so that the work spreads over the workers; a constant
# (never the number of workers), so that the outputs do not depend on how many there are.
MIN_PARTITIONS = 16
# Midday in Paris on the scan's day, as `prevention-cds evaluate --today` does.
SCAN_TIME = day_time(12, 0)


@dataclass(frozen=True)
class ScanOptions:
    source: Path
    out: Path
    today: date | None = None
    workers: int | None = None  # None: one per usable core
    dask_scheduler: str | None = None
    exposures: tuple[Path, ...] = ()  # files of exposure Observations: the IIM rules run too
    language: str = "fr"
    rule_settings: RuleSettings = field(default_factory=RuleSettings)
    chunk_bytes: int = 32 * MIB  # plain ndjson read by one routing task
    partition_bytes: int = 32 * MIB  # routed resources per partition, about (what one evaluation task holds)
    run_bytes: int = 32 * MIB  # a routing task's buffer before it spills a run
    work_dir: Path | None = None  # default: a folder inside ``out``, removed at the end
    keep_work: bool = False


@dataclass
class ScanOutcome:
    summary: dict[str, Any]
    out: Path

    @property
    def skipped_lines(self) -> int:
        return int(self.summary["input"]["skipped_lines"])


def run_scan(options: ScanOptions, progress: Progress | None = None) -> ScanOutcome:
    progress = progress or Silent()
    started = time.perf_counter()
    now = (datetime.combine(options.today, SCAN_TIME, tzinfo=PRACTICE_TIMEZONE) if options.today
           else datetime.now(PRACTICE_TIMEZONE))
    inputs = discover(options.source, options.exposures)
    options.out.mkdir(parents=True, exist_ok=True)
    work = WorkDir(options.work_dir or options.out / ".scan-work")
    if work.root.exists():
        shutil.rmtree(work.root)
    work.create()
    partitions = max(MIN_PARTITIONS, math.ceil(inputs.estimated_bytes / options.partition_bytes))
    work_chunks = chunks(inputs, options.chunk_bytes)
    timings: dict[str, float] = {}
    try:
        with progress, executor_for(options.workers, options.dask_scheduler) as executor:
            progress.start("reading", inputs.estimated_bytes, "bytes")
            routed: list[RouteResult] = []
            tasks = [RouteTask(c, work, partitions, options.run_bytes) for c in work_chunks]
            for result in executor.run(route_chunk, tasks):
                routed.append(result)
                progress.advance(result.bytes_read, sum(result.resources.values()), result.patients)
            timings["read_seconds"] = time.perf_counter() - started
            progress.start("evaluating", partitions, "partitions")
            evaluated: list[PartitionResult] = []
            evaluate_tasks = [
                EvaluateTask(p, partitions, work, now, bool(options.exposures), options.rule_settings)
                for p in range(partitions)
            ]
            for partition in executor.run(evaluate_partition, evaluate_tasks):
                evaluated.append(partition)
                progress.advance(1, partition.resources, partition.patients)
            timings["evaluate_seconds"] = time.perf_counter() - started - timings["read_seconds"]
            workers = executor.workers
        written = _write_outputs(options, work, work_chunks, routed, evaluated, partitions, now)
    finally:
        if not options.keep_work:
            shutil.rmtree(work.root, ignore_errors=True)
    timings["write_seconds"] = time.perf_counter() - started - sum(timings.values())
    timings["total_seconds"] = time.perf_counter() - started
    summary = _summary(options, inputs, routed, evaluated, partitions, now, written)
    summary["run"] = {"workers": workers, "dask_scheduler": options.dask_scheduler,
                      **{k: round(v, 3) for k, v in timings.items()}}
    (options.out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    return ScanOutcome(summary, options.out)


def _write_outputs(options: ScanOptions, work: WorkDir, work_chunks: list[Any], routed: list[RouteResult],
                   evaluated: list[PartitionResult], partitions: int, now: datetime) -> dict[str, Any]:
    from prevention_cds.scan.report import write_report
    from prevention_cds.scan.tables import write_aggregates, write_errors, write_patients

    rows = write_patients([work.result_of(p) for p in range(partitions)], options.out, bool(options.exposures))
    aggregates = Aggregates()
    for partition in sorted(evaluated, key=lambda p: p.partition):
        aggregates.merge(partition.aggregates)
    write_aggregates(aggregates.rows(), options.out)
    lines = {r.chunk: r.lines for r in routed}
    offsets: list[tuple[Path, int]] = []
    before: Counter[str] = Counter()
    for chunk in work_chunks:  # in file order: a chunk's lines follow those of the chunks before it in its file
        offsets.append((work.errors_of(chunk.number), before[str(chunk.file.path)]))
        before[str(chunk.file.path)] += lines.get(chunk.number, 0)
    errors = write_errors(offsets, options.out)
    write_report(aggregates, options.out, now.date(), options.language, _headline(routed, evaluated, rows))
    return {"patient_rows": rows, "error_rows": errors}


def _headline(routed: list[RouteResult], evaluated: list[PartitionResult], rows: int) -> dict[str, int]:
    return {
        "patients": rows,
        "deceased": sum(p.deceased for p in evaluated),
        "skipped_lines": sum(r.skipped_lines for r in routed),
        "without_patient": sum(sum(r.without_patient.values()) for r in routed),
    }


def _summary(options: ScanOptions, inputs: Any, routed: list[RouteResult], evaluated: list[PartitionResult],
             partitions: int, now: datetime, written: dict[str, Any]) -> dict[str, Any]:
    def total(name: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for result in routed:
            found.update(getattr(result, name))
        return found

    status: Counter[str] = Counter()
    for partition in evaluated:
        for (dimension, _, measure, value), n in partition.aggregates.counts.items():
            if dimension == "sex" and measure == "mmr_status":
                status[value] += n
    return {
        "today": now.date().isoformat(),
        "source": str(options.source),
        "input": {
            "files": [{"file": f.name, "type": f.declared_type, "kind": f.kind, "bytes": f.size} for f in inputs.files],
            "files_not_read": inputs.not_read,
            "manifest": inputs.manifest,
            "transaction_time": inputs.transaction_time,
            "missing_files": inputs.missing,
            "export_error_files": inputs.export_errors,
            "lines": sum(r.lines for r in routed),
            "skipped_lines": sum(r.skipped_lines for r in routed),
            "warnings": sum(r.warnings for r in routed),
            "resources": dict(sorted(total("resources").items())),
            "resources_without_patient_reference": dict(sorted(total("without_patient").items())),
            "resources_of_types_not_read": dict(sorted(total("not_read").items())),
        },
        "patients": {
            "in_export": sum(r.patients for r in routed),
            "evaluated": written["patient_rows"],
            "deceased_excluded": sum(p.deceased for p in evaluated),
            "deceased_date_unreadable": sum(p.deceased_unreadable for p in evaluated),
            "referenced_but_absent": sum(p.absent_patients for p in evaluated),
            "resources_of_absent_patients": sum(p.absent_patient_resources for p in evaluated),
            "resources_unusable_by_the_rules": sum(p.skipped_resources for p in evaluated),
            "with_unreadable_values": sum(p.with_unreadable_values for p in evaluated),
        },
        "mmr_status": dict(sorted(status.items())),
        "iim": bool(options.exposures),
        "partitions": partitions,
        "errors_file_rows": written["error_rows"],
    }
