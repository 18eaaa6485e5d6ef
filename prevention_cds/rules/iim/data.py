"""The IIM rule data (``prevention_cds/rules/data/iim.json``) and typed readers for its tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from prevention_cds.rules.advice import GuidelineRef
from prevention_cds.rules.ruledata import RuleData, RuleDataError

_AGE_KEYS = {"below_age_days": "d", "below_age_months": "mo", "below_age_years": "a"}


def iim_data() -> RuleData:
    return RuleData.load("iim")


def refs(on: date, *names: str) -> tuple[GuidelineRef, ...]:
    """The guideline sections of the rule values used, once each, in the order given."""
    seen: dict[GuidelineRef, None] = {}
    for name in names:
        seen.setdefault(iim_data().ref(name, on))
    return tuple(seen)


@dataclass(frozen=True)
class SettingRule:
    """One row of the contact-settings table (clinical.md §A.2)."""

    code: str
    prophylaxis: bool
    close_circle: bool  # a regular close-circle setting: vaccination target when the serogroup allows
    until_case_first_effective_antibiotic: bool = False  # health-worker airway exposure


def setting_rule(code: str, on: date) -> SettingRule | None:
    table: Mapping[str, Mapping[str, bool]] = iim_data().get("contact_settings", on).value
    row = table.get(code)
    if row is None:
        return None
    return SettingRule(
        code=code,
        prophylaxis=row["prophylaxis"],
        close_circle=row["close_circle"],
        until_case_first_effective_antibiotic=row.get("until_case_first_effective_antibiotic", False),
    )


@dataclass(frozen=True)
class AgeRow:
    """A row of an age-banded table: applies below ``below`` (amount, UCUM unit), or at any age when None."""

    below: tuple[int, str] | None
    values: Mapping[str, Any]


def age_rows(name: str, on: date) -> tuple[AgeRow, ...]:
    rows: list[Mapping[str, Any]] = iim_data().get(name, on).value
    parsed = []
    for row in rows:
        bounds = [(row[key], unit) for key, unit in _AGE_KEYS.items() if key in row]
        if len(bounds) > 1:
            raise RuleDataError(f"iim.{name}: a row has more than one age bound")
        parsed.append(AgeRow(bounds[0] if bounds else None, row))
    return tuple(parsed)
