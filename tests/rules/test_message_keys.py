"""Every message key the rule code names is written whole and exists in both catalogs.

The rules choose texts by key (``Message.of("iim.fact.weight", ...)``); a key assembled at run time
(``f"iim.drug.{drug}"``) would hide from grep and from this test, so none is allowed. A mapping from an enum to
whole keys is the way to vary a key. The dynamic side — every message an evaluated advice carries exists in
both catalogs with its placeholders — is checked on every scenario by ``tests/advice_messages.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import TypeGuard

import pytest

from prevention_cds.fhir_out.i18n import catalog

RULES = Path(__file__).resolve().parents[2] / "prevention_cds" / "rules"
MODULES = sorted(RULES.rglob("*.py"))
PREFIXES = ("iim.", "mmr.", "record.")


def _is_key(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(PREFIXES) and " " not in value


def _strings(node: ast.AST) -> Iterator[str]:
    """The string constants a rule id may be written as: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _rule_ids(tree: ast.AST) -> set[str]:
    """Literals that are an Advice's stable rule id, not a message key (``mmr.catch-up``, ``iim.order.dose``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "rule":
            found |= set(_strings(node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "advice":
            if node.args:
                found |= set(_strings(node.args[0]))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and (target.id == "rule" or target.id.endswith("_RULE")):
                    found |= set(_strings(node.value))
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for name, value in zip(target.elts, node.value.elts, strict=False):
                        if isinstance(name, ast.Name) and name.id == "rule":
                            found |= set(_strings(value))
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Card"):  # an enum of rule ids (DoseCard)
            found |= {v for item in node.body if isinstance(item, ast.Assign) for v in _strings(item.value)}
    return found


def _literals(tree: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and _is_key(n.value)}


def _trees() -> Iterator[tuple[Path, ast.AST]]:
    for path in MODULES:
        yield path, ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_key_literal_in_the_rule_code_is_in_the_catalog(language: str) -> None:
    messages = catalog(language)
    keys: set[str] = set()
    rule_ids: set[str] = set()
    for _, tree in _trees():
        ids = _rule_ids(tree)
        rule_ids |= ids
        keys |= _literals(tree) - ids
    assert len(keys) > 300 and len(rule_ids) > 25  # the scan found them
    assert sorted(k for k in keys if k not in messages) == []
    assert sorted(k for k in rule_ids if k in messages) == []  # a rule id is never a text


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(RULES)))
def test_no_message_key_is_assembled_at_run_time(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            assert not (isinstance(head, ast.Constant) and _is_key(head.value)), f"{path.name}:{node.lineno}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            assert not (isinstance(node.left, ast.Constant) and _is_key(node.left.value)), f"{path.name}:{node.lineno}"
