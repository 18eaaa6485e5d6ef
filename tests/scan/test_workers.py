"""The same outputs whatever runs the tasks: this process, local worker processes, a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.scan_export import generate
from prevention_cds.scan.runner import ScanOutcome

KIB = 1 << 10


def outputs(outcome: ScanOutcome) -> dict[str, Any]:
    """Every output file's bytes (the report and tables included), and the summary without its run figures."""
    found: dict[str, Any] = {p.name: p.read_bytes() for p in outcome.out.iterdir()
                             if p.is_file() and p.name != "summary.json"}
    found["summary"] = {k: v for k, v in outcome.summary.items() if k != "run"}
    return found


@pytest.mark.timeout(300)
def test_one_worker_local_workers_and_a_dask_local_cluster_agree(scan: Callable[..., ScanOutcome],
                                                                  tmp_path: Path) -> None:
    from distributed import LocalCluster

    export = tmp_path / "generated"
    generate(export, patients=400, per_file=150, compress=False)
    small = {"partition_bytes": 512 * KIB, "chunk_bytes": 256 * KIB, "run_bytes": 128 * KIB}
    one = scan(export, workers=1, **small)
    assert one.summary["partitions"] > 4 and one.summary["run"]["workers"] == 1
    local = scan(export, workers=3, **small)
    assert local.summary["run"]["workers"] == 3
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:  # type: ignore[no-untyped-call]
        dask = scan(export, dask_scheduler=cluster.scheduler_address, **small)
    assert dask.summary["run"]["workers"] == 2
    reference = outputs(one)
    assert set(reference) >= {"patients.parquet", "patients.csv", "aggregates.parquet", "aggregates.csv",
                              "report.html", "errors.csv", "summary"}
    assert outputs(local) == reference
    assert outputs(dask) == reference
