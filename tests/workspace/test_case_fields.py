"""The index case's facts as a form or the API gives them: each field read or refused by name, never cut short
or dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from prevention_cds.workspace.case import TEXT_FIELDS, read_case
from prevention_cds.workspace.errors import Invalid

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
BASE = {"title": "École Jules-Ferry, CM2 B", "disease": "iim"}


def _refused(fields: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    with pytest.raises(Invalid) as refused:
        read_case({**BASE, **fields}, NOW, creating=True)
    return [(detail.key, dict(detail.params)) for detail in refused.value.details]


@pytest.mark.parametrize("value", [{}, [], 612345678, True])
def test_a_text_field_that_is_not_text_is_refused_by_name(value: Any) -> None:
    assert _refused({"team_phone": value}) == [("ws.case.error.text", {"field": "team_phone", "limit": 40})]


@pytest.mark.parametrize("name", sorted(TEXT_FIELDS))
def test_a_text_at_its_limit_is_kept_whole_and_one_more_character_is_refused(name: str) -> None:
    limit = TEXT_FIELDS[name]
    assert read_case({**BASE, name: "x" * limit}, NOW, creating=True)[name] == "x" * limit
    assert _refused({name: "x" * (limit + 1)}) == [("ws.case.error.text", {"field": name, "limit": limit})]


def test_empty_and_missing_texts_are_empty() -> None:
    read = read_case({**BASE, "team_phone": None, "team_name": "  "}, NOW, creating=True)
    assert read["team_phone"] == "" and read["team_name"] == ""


@pytest.mark.parametrize(("given", "kept"), [("F", "female"), ("homme", "male"), ("other", "other"), ("", "")])
def test_sex_in_either_language(given: str, kept: str) -> None:
    assert read_case({**BASE, "case_sex": given}, NOW, creating=True)["case_sex"] == kept


@pytest.mark.parametrize("given", ["x", {}, "femelle"])
def test_an_unknown_sex_is_refused(given: Any) -> None:
    assert [key for key, _ in _refused({"case_sex": given})] == ["ws.case.error.sex"]


@pytest.mark.parametrize("name", ["diagnosis_date", "rash_onset", "case_birth_date", "first_antibiotic_at"])
def test_a_date_that_is_not_text_is_refused_and_null_clears_it(name: str) -> None:
    assert len(_refused({name: 20261120})) == 1
    assert read_case({**BASE, name: None}, NOW, creating=True)[name] in (None, "")


@pytest.mark.parametrize("value", [0, None, "peut-être"])
def test_a_yes_or_no_that_is_neither_is_refused(value: Any) -> None:
    assert [key for key, _ in _refused({"case_hospitalised": value})] == ["ws.case.error.boolean"]
