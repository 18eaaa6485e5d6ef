"""Scan fixtures: exports made in the test's folder from the repository's sample export, and a scan runner. The
report's browser is the shared one (tests/support/browser.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prevention_cds.scan.runner import ScanOptions, ScanOutcome, run_scan

from .exports import SAMPLE, TODAY


@pytest.fixture
def sample_export(tmp_path: Path) -> Path:
    """A writable copy of the sample export (tests alter it)."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in SAMPLE.glob("*.ndjson"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def scan(tmp_path: Path) -> Callable[..., ScanOutcome]:
    counter = iter(range(1000))

    def run(source: Path, **options: Any) -> ScanOutcome:
        out = tmp_path / f"out-{next(counter)}"
        return run_scan(ScanOptions(source=source, out=out, today=TODAY, **{"workers": 1, **options}))

    return run
