"""README command 1 installs with a plain (non-editable) `pip install .`: the wheel must carry every data file the
service reads at run time (rule data, catalogs, schemas, profiles, the Sandbox JWKS, the workspace's templates, static
files and migrations)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_every_runtime_data_file(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT),
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("prevention_cds-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(ROOT)) for pattern in ("*.json", "*.html", "*.css", "*.js", "*.mako", "*.py")
                for p in (ROOT / "prevention_cds").rglob(pattern) if "__pycache__" not in p.parts}
    assert expected and expected <= names, sorted(expected - names)
