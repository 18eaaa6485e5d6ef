"""The rule data both rule sets share (``prevention_cds/rules/data/common.json``), typed, one record per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from prevention_cds.rules.citation import Cited
from prevention_cds.rules.ruledata import RuleData


@dataclass(frozen=True)
class ChildbearingAge:
    """The ages at which a woman may become pregnant, read wide (the advice that depends on it is harmless)."""

    from_years: Cited[int]
    below_years: Cited[int]

    def possible(self, youngest_years: int, oldest_years: int) -> bool:
        """Some possible age (a partial birth date gives a range) falls in ``[from_years, below_years)``."""
        return youngest_years < self.below_years.value and oldest_years >= self.from_years.value


@dataclass(frozen=True)
class CommonParameters:
    childbearing_age: ChildbearingAge
    age_in_months_below_months: Cited[int]  # a child's age is shown in months before this age
    pregnancy_evidence_max_days: Cited[int]  # a pregnancy on record is not read as current past this

    @staticmethod
    def on(day: date) -> CommonParameters:
        return _parameters_on(day)


@cache  # one entry per day evaluated
def _parameters_on(day: date) -> CommonParameters:
    values = RuleData.load("common").on(day)
    parameters = CommonParameters(
        childbearing_age=ChildbearingAge(
            values.integer("childbearing_age_from_years"), values.integer("childbearing_age_below_years")
        ),
        age_in_months_below_months=values.integer("age_in_months_below_months"),
        pregnancy_evidence_max_days=values.integer("pregnancy_evidence_max_days"),
    )
    values.check_all_read()
    return parameters
