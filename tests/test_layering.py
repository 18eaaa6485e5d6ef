"""The rings of the package and what each may import (docs/architecture.md): dependencies point one way, towards
the pure rules. A ring may always import itself and the standard library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "prevention_cds"

# ring -> the other rings of the package it may import
ALLOWED: dict[str, frozenset[str]] = {
    "rules": frozenset(),
    "terminology": frozenset(),
    "errors": frozenset(),
    "cores": frozenset(),
    "settings": frozenset({"errors", "rules"}),
    "fhir_in": frozenset({"errors", "settings", "rules", "terminology"}),
    "fhir_out": frozenset({"errors", "settings", "rules", "terminology"}),
    "hooks": frozenset({"errors", "settings", "rules", "terminology", "fhir_out"}),
    "adapters": frozenset({"errors", "settings"}),
    "evaluate": frozenset({"errors", "settings", "rules", "terminology", "fhir_in", "fhir_out", "hooks", "adapters"}),
    "scan": frozenset({"errors", "settings", "rules", "terminology", "fhir_in", "fhir_out", "evaluate", "cores"}),
    # the infection-control workspace: contacts become FHIR resources read by the same use case as the services
    "workspace": frozenset(
        {"errors", "settings", "rules", "terminology", "fhir_in", "fhir_out", "adapters", "evaluate"}
    ),
    "check": frozenset(
        {"errors", "settings", "rules", "terminology", "fhir_in", "fhir_out", "hooks", "adapters", "evaluate"}
    ),
    "app": frozenset(
        {"errors", "settings", "rules", "terminology", "fhir_in", "fhir_out", "hooks", "adapters", "evaluate", "scan",
         "workspace", "check", "cores"}
    ),
}
# third-party libraries the pure rules must never reach
RULES_FORBIDDEN = ("flask", "werkzeug", "requests", "fhir", "sqlalchemy", "pydantic", "gunicorn", "jwt", "http")


def _ring(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "prevention_cds":
                found += [(node.lineno, f"prevention_cds.{alias.name}") for alias in node.names]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_ring_imports_only_the_rings_below_it(path: Path) -> None:
    ring = _ring(path)
    assert ring in ALLOWED, f"{ring}: a new ring needs its place in ALLOWED and in docs/architecture.md"
    for line, module in _imports(path):
        parts = module.split(".")
        if parts[0] == "prevention_cds" and len(parts) > 1 and parts[1] != ring:
            assert parts[1] in ALLOWED[ring], f"{path.relative_to(PACKAGE)}:{line}: {ring} may not import {module}"
        if ring == "rules":
            assert not parts[0].startswith(RULES_FORBIDDEN), f"{path.relative_to(PACKAGE)}:{line}: {module}"


def test_library_code_never_prints() -> None:
    for path in MODULES:
        if path.name == "cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
        assert not calls, f"{path.relative_to(PACKAGE)}:{calls[0].lineno}: print"
