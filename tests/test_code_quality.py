"""ruff and mypy (strict) are part of the test suite, so the README's single test command covers them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict_clean() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout[-4000:]


def test_rules_import_neither_flask_nor_http() -> None:
    forbidden = ("flask", "requests", "werkzeug", "service", "cards", "fhir.resources", "sqlalchemy", "http.")
    for path in (ROOT / "rules").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                module = stripped.split()[1]
                assert not module.startswith(forbidden), f"{path.relative_to(ROOT)}: {stripped}"


def test_cards_do_not_import_the_service() -> None:
    for path in (ROOT / "cards").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "from service" not in text and "import service" not in text, path


def test_library_code_never_prints() -> None:
    for package in ("rules", "cards", "fhir_profiles", "service"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "cli.py":
                continue
            assert not re.search(r"(?<![\w.])print\(", path.read_text(encoding="utf-8")), path
