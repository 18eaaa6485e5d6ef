"""Scan fixtures: exports made in the test's folder from the repository's sample export, a scan runner, and a
headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) for the report."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from prevention_cds.scan.runner import ScanOptions, ScanOutcome, run_scan

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "synthea-bulk-100"
TODAY = date(2026, 11, 21)  # the day of tests/conftest.py FROZEN_NOW
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def sample_export(tmp_path: Path) -> Path:
    """A writable copy of the sample export (tests alter it)."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in SAMPLE.glob("*.ndjson"):
        shutil.copy(path, folder / path.name)
    return folder


def gzip_export(source: Path, target: Path) -> Path:
    target.mkdir()
    for path in source.glob("*.ndjson"):
        with path.open("rb") as plain, gzip.open(target / f"{path.name}.gz", "wb") as packed:
            shutil.copyfileobj(plain, packed)
    return target


@pytest.fixture
def scan(tmp_path: Path) -> Callable[..., ScanOutcome]:
    counter = iter(range(1000))

    def run(source: Path, **options: Any) -> ScanOutcome:
        out = tmp_path / f"out-{next(counter)}"
        return run_scan(ScanOptions(source=source, out=out, today=TODAY, **{"workers": 1, **options}))

    return run


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium; skipped without it, except under CI where it must be there (.ci/run installs it)."""
    import os

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
