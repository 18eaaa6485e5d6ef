"""End-to-end speed and memory of ``prevention-cds scan`` on generated exports, with the read-and-parse floor.

    .venv/bin/python -m bench.scan [--patients 10000 100000 1000000] [--workers 2] [--gzip] [--dir DIR] [--keep]

For each size: makes the export (``bench.scan_export``, reused when already there), then

- the floor: the same files read and every line parsed to a dict (orjson), nothing else, cut into the scan's
  chunks and spread over the same number of worker processes;
- the scan: ``prevention-cds scan EXPORT --out OUT --today 2026-11-21 --workers W --quiet`` as a subprocess,
  the resident memory of its whole process tree (the command and every worker) sampled every 0.1 s;

and prints one line per size: patients, seconds, patients/s (patients in the export over wall time), the CPU
time of the whole tree (user + system: what the figures would be on dedicated cores, whatever the load), peak RSS
of the tree, the floor and the scan's phases (read+route, evaluate, write), with the load average before and
after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import psutil

from bench.scan_export import generate
from prevention_cds.cores import usable_cores
from prevention_cds.scan.inputs import Chunk, chunks, discover

ROOT = Path(__file__).resolve().parents[1]
CHUNK_BYTES = 32 << 20


def parse_chunk(chunk: Chunk) -> int:
    """Lines parsed in one chunk: the scan's reading (``route._blocks``) and a full parse of each line."""
    from prevention_cds.scan.route import RouteResult, _blocks

    parsed = 0
    for block in _blocks(chunk, RouteResult(chunk.number)):
        for line in block.split(b"\n"):
            if line:
                orjson.loads(line)
                parsed += 1
    return parsed


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished children of this process and of their own children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor_seconds(export: Path, workers: int) -> tuple[float, float, int]:
    """Wall and CPU seconds to read and parse every line, and how many lines."""
    work = chunks(discover(export), CHUNK_BYTES)
    started, cpu = time.perf_counter(), children_cpu()
    pool = multiprocessing.get_context("spawn").Pool(workers)
    lines = sum(pool.imap_unordered(parse_chunk, work))
    pool.close()
    pool.join()
    return time.perf_counter() - started, children_cpu() - cpu, lines


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run_scan(export: Path, out: Path, workers: int) -> tuple[float, float, int, dict[str, object]]:
    command = [sys.executable, "-m", "prevention_cds.app.cli", "scan", str(export), "--out", str(out),
               "--today", "2026-11-21", "--workers", str(workers), "--quiet"]
    started, cpu = time.perf_counter(), children_cpu()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    watched = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"scan failed ({child.returncode}): {stderr.decode()[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return seconds, children_cpu() - cpu, peak, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=usable_cores())
    parser.add_argument("--gzip", action="store_true", help="generate the exports as ndjson.gz")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/prevention-cds-bench-scan"))
    parser.add_argument("--keep", action="store_true", help="keep the exports and outputs")
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores ({usable_cores()} usable), --workers {args.workers}, "
          f"python {sys.version.split()[0]}")
    print("| patients | seconds | patients/s | CPU s (tree) | CPU µs / patient | peak RSS (tree) "
          "| floor: read+parse s (CPU s) | scan / floor | read+route s | evaluate s | write s | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for count in args.patients:
        export = args.dir / f"export-{count}{'-gz' if args.gzip else ''}"
        if not (export / "manifest.json").exists():
            shutil.rmtree(export, ignore_errors=True)
            generate(export, count, per_file=100_000, compress=args.gzip)
        load_before = os.getloadavg()[0]
        floor, floor_cpu, lines = floor_seconds(export, args.workers)
        out = args.dir / f"out-{count}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, cpu, peak, summary = run_scan(export, out, args.workers)
        load_after = os.getloadavg()[0]
        run = summary["run"]
        assert isinstance(run, dict)
        patients = summary["patients"]["in_export"]  # type: ignore[index]
        print(f"| {patients:,} | {seconds:.1f} | {patients / seconds:,.0f} | {cpu:.1f} | {1e6 * cpu / patients:.0f} "
              f"| {peak / 2**20:.0f} MB | {floor:.1f} ({floor_cpu:.1f}; {lines:,} lines) | {seconds / floor:.1f}x "
              f"| {run['read_seconds']:.1f} "
              f"| {run['evaluate_seconds']:.1f} | {run['write_seconds']:.1f} | {load_before:.1f} / {load_after:.1f} |",
              flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
