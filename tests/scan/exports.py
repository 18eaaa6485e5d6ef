"""Exports for the scan tests, made from the repository's sample export."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "synthea-bulk-100"
TODAY = date(2026, 11, 21)  # the day of tests/conftest.py FROZEN_NOW


def gzip_export(source: Path, target: Path) -> Path:
    target.mkdir()
    for path in source.glob("*.ndjson"):
        with path.open("rb") as plain, gzip.open(target / f"{path.name}.gz", "wb") as packed:
            shutil.copyfileobj(plain, packed)
    return target
