"""`prevention-cds scan` as a user runs it: exit status 0 / 1 (lines skipped) / 2 (nothing to read), the outputs,
progress lines when not on a terminal, --quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .exports import SAMPLE

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", "scan", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_scan_the_sample_export(tmp_path: Path) -> None:
    result = _run(str(SAMPLE), "--out", str(tmp_path / "out"), "--today", "2026-11-21", "--workers", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert printed["patients"]["evaluated"] == 100 and printed["skipped_lines"] == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "patients.parquet", "patients.csv", "aggregates.parquet", "aggregates.csv", "report.html", "summary.json",
        "errors.csv"}
    assert "reading:" in result.stderr and "evaluating:" in result.stderr  # plain progress lines (no terminal)
    assert "Traceback" not in result.stderr


def test_skipped_lines_exit_1_and_quiet(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    for path in SAMPLE.glob("*.ndjson"):
        (export / path.name).write_bytes(path.read_bytes())
    with (export / "Immunization.000.ndjson").open("ab") as stream:
        stream.write(b'{"resourceType": "Immunization", "id": "cut-he')
    with (export / "Patient.000.ndjson").open("ab") as stream:  # a value the record builder cannot read
        stream.write(b'{"resourceType": "Patient", "id": "bad-birth", "birthDate": "2026-13-45"}\n')
    result = _run(str(export), "--out", str(tmp_path / "out"), "--today", "2026-11-21", "--quiet")
    assert result.returncode == 1, result.stderr[-2000:]
    assert json.loads(result.stdout)["skipped_lines"] == 1
    assert result.stderr == ""  # --quiet: nothing (the record builder's and the plotting library's lines neither)
    errors = (tmp_path / "out" / "errors.csv").read_text().splitlines()
    assert errors[1].startswith("Immunization.000.ndjson,1819,,error,not JSON")


def test_a_file_the_manifest_lists_missing_exits_1(tmp_path: Path) -> None:
    from bench.scan_export import generate

    export = tmp_path / "export"
    generate(export, patients=20, per_file=100, compress=False)
    (export / "AllergyIntolerance.000.ndjson").unlink()
    result = _run(str(export), "--out", str(tmp_path / "out"), "--today", "2026-11-21", "--quiet", "--workers", "1")
    assert result.returncode == 1, result.stderr[-2000:]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["input"]["missing_files"] == ["AllergyIntolerance.000.ndjson"]


def test_nothing_to_read_exits_2(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "empty").mkdir()
    result = _run(str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "no ndjson" in result.stderr
