"""The rule data: each set's file is read into its typed record, every value with its source; a value no rule
reads is an error; the facts both sets use are one value; the de-duplication and citation helpers."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from prevention_cds.rules.advice import GuidelineRef, Message
from prevention_cds.rules.citation import Citations, Cited, sources
from prevention_cds.rules.common_parameters import CommonParameters
from prevention_cds.rules.iim.parameters import IimParameters
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.ruledata import RuleData, RuleDataError, guideline_sources
from prevention_cds.rules.unique import unique

TODAY = date(2026, 11, 21)
RULE_SETS = Path(__file__).resolve().parents[2] / "prevention_cds" / "rules"
RULE_CODE = sorted(p for rule_set in ("iim", "mmr") for p in (RULE_SETS / rule_set).rglob("*.py"))


def _document(**values: Any) -> dict[str, Any]:
    return {"ruleset": "test", "version": "1.0.0", "values": values}


def _entry(**fields: Any) -> dict[str, Any]:
    return {"source": "project-decision", "section": "a section", "effective": "2020-01-01", **fields}


@pytest.mark.parametrize("ruleset", ["iim", "mmr", "common"])
def test_every_value_cites_a_known_source(ruleset: str) -> None:
    data = RuleData.load(ruleset)
    for name in data.names():
        for version in data.versions(name):
            assert version.ref.document in guideline_sources() and version.ref.section, name


@pytest.mark.parametrize("on", [date(2025, 3, 26), TODAY, date(2040, 1, 1)])
def test_the_records_load_and_read_every_value(on: date) -> None:
    # each record checks, when built, that it read every value of its file (DayValues.check_all_read)
    assert IimParameters.on(on).contact_window_days.value > 0
    assert MmrParameters.on(on).min_age_months.value > 0


def test_the_record_of_a_day_is_built_once() -> None:
    assert IimParameters.on(TODAY) is IimParameters.on(TODAY)
    assert MmrParameters.on(TODAY) is MmrParameters.on(TODAY)


def test_a_value_no_rule_reads_is_an_error() -> None:
    values = RuleData(_document(read=_entry(value=1), forgotten=_entry(value=2))).on(TODAY)
    assert values.integer("read") == Cited(1, GuidelineRef("project-decision", "a section"))
    with pytest.raises(RuleDataError, match="forgotten"):
        values.check_all_read()


def test_a_statement_has_a_source_and_no_value() -> None:
    values = RuleData(_document(rule=_entry(), number=_entry(value=3))).on(TODAY)
    assert values.statement("rule").value is None
    with pytest.raises(RuleDataError, match="statement"):
        values.statement("number")
    with pytest.raises(RuleDataError, match="integer"):
        values.integer("rule")


def test_a_value_is_read_as_its_type_or_not_at_all() -> None:
    values = RuleData(_document(flag=_entry(value=True), day=_entry(value="2020-02-01"))).on(TODAY)
    with pytest.raises(RuleDataError, match="integer"):
        values.integer("flag")  # a boolean is not a number
    assert values.day("day").value == date(2020, 2, 1)


def test_an_unknown_source_does_not_load() -> None:
    with pytest.raises(RuleDataError, match="unknown source"):
        RuleData(_document(value=_entry(value=1, source="nowhere")))


def test_the_childbearing_age_is_one_value_for_both_rule_sets() -> None:
    common = CommonParameters.on(TODAY)
    assert IimParameters.on(TODAY).childbearing_age is common.childbearing_age
    assert MmrParameters.on(TODAY).childbearing_age is common.childbearing_age
    assert IimParameters.on(TODAY).age_in_months_below_months is MmrParameters.on(TODAY).age_in_months_below_months
    for data in (RuleData.load("iim"), RuleData.load("mmr")):
        assert not any("childbearing" in name or "age_shown" in name for name in data.names())


def test_a_partial_birth_date_straddling_the_childbearing_age_counts() -> None:
    age = CommonParameters.on(TODAY).childbearing_age
    start, end = age.from_years.value, age.below_years.value
    assert age.possible(start - 1, start) and age.possible(end - 1, end)
    assert not age.possible(start - 2, start - 1) and not age.possible(end, end + 1)


def test_unique_keeps_the_first_of_equal_items_even_unhashable_ones() -> None:
    a, b = Message.of("iim.a", n=1), Message.of("iim.b")
    assert unique([a, b, Message.of("iim.a", n=1), b]) == (a, b)
    assert unique([3, 1, 3, 2, 1]) == (3, 1, 2)


def test_citations_keep_the_order_of_first_use() -> None:
    first, second = GuidelineRef("d", "first"), GuidelineRef("d", "second")
    cites = Citations(Cited(1, second))
    assert cites.cite(Cited("x", first)) == "x"
    cites.add(Cited(2, second))
    assert cites.refs == (second, first)
    assert sources(Cited(1, first), Cited(2, first), Cited(3, second)) == (first, second)


def _named_constants(tree: ast.Module) -> set[ast.AST]:
    """Nodes of module-level ``_NAME = ...`` assignments: a unit, not a rule value, gets one name."""
    found: set[ast.AST] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            found |= set(ast.walk(node.value))
    return found


@pytest.mark.parametrize("path", RULE_CODE, ids=lambda p: str(p.relative_to(RULE_SETS)))
def test_no_number_is_hard_coded_in_the_rule_code(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = _named_constants(tree)
    numbers = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and node.value not in (0, 1)  # counters and the day before
        and node not in named
    ]
    assert numbers == []
