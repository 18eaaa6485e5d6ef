"""`prevention-cds evaluate` over the 12 Synthea bundles: exit 0 and every card valid (issue 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cds_checks import assert_valid_response
from conftest import SHARED, SYNTHEA_BUNDLES

BUNDLES = sorted(SYNTHEA_BUNDLES.glob("*.json"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("service", ["ror-vaccination", "iim-prophylaxis", "prevention-order-sign",
                                     "prevention-order-select"])
def test_evaluate_all_synthea_bundles(service: str) -> None:
    assert len(BUNDLES) == 12, "the shared data set holds 12 bundles"
    result = _run("evaluate", str(SYNTHEA_BUNDLES), "--service", service, "--today", "2026-11-21")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 12
    for line in lines:
        assert_valid_response({"cards": line["cards"]})
    assert "Traceback" not in result.stderr


def test_evaluate_one_bundle_prints_the_response() -> None:
    result = _run("evaluate", str(BUNDLES[0]), "--today", "2026-11-21", "--lang", "en")
    assert result.returncode == 0
    assert_valid_response(json.loads(result.stdout))


def test_evaluate_bulk_summary() -> None:
    result = _run("evaluate", str(SHARED / "data" / "synthea-bulk-100"), "--service", "ror-vaccination",
                  "--today", "2026-11-21", "--summary")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    patients = (SHARED / "data" / "synthea-bulk-100" / "Patient.000.ndjson").read_text().count("\n")
    assert summary["patients"] == patients == sum(summary["by_status"].values())  # 120 Patient lines


def test_evaluate_missing_path_exits_2() -> None:
    assert _run("evaluate", "/nonexistent/path").returncode == 2
