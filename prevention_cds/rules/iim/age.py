"""The patient's age on the evaluation date and the dosing band it falls in (neonate, child, adult)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TypeVar

from prevention_cds.rules.calendar_math import completed_months, completed_years
from prevention_cds.rules.iim.parameters import AgeBandRow, AgeLimit, IimParameters
from prevention_cds.rules.partial_date import PartialDate

T = TypeVar("T")


class DosingBand(StrEnum):
    NEONATE = "neonate"
    CHILD = "child"
    ADULT = "adult"


@dataclass(frozen=True)
class Age:
    born: date
    on: date

    # Each computed once: every age-banded table and limit reads them (a cached_property is no field: equality
    # and hash are unchanged).
    @cached_property
    def days(self) -> int:
        return (self.on - self.born).days

    @cached_property
    def months(self) -> int:
        return completed_months(self.born, self.on)

    @cached_property
    def years(self) -> int:
        return completed_years(self.born, self.on)

    def is_below(self, limit: AgeLimit) -> bool:
        value = {"d": self.days, "mo": self.months, "a": self.years}[limit.unit]
        return value < limit.amount

    def band(self, rules: IimParameters) -> DosingBand:
        if self.days < rules.neonate_below_age_days.value:
            return DosingBand.NEONATE
        if self.years < rules.adult_from_age_years.value:
            return DosingBand.CHILD
        return DosingBand.ADULT

    def row(self, rows: Sequence[AgeBandRow[T]]) -> AgeBandRow[T] | None:
        """The first row of an age-banded table that applies at this age."""
        return next((r for r in rows if r.below is None or self.is_below(r.below)), None)


@dataclass(frozen=True)
class PatientAge:
    """Age bounds: a partial birth date (``2019``) gives a youngest and an oldest possible age."""

    youngest: Age  # from the latest possible birth date: the stricter reading of age limits
    oldest: Age
    band: DosingBand | None  # None when the possible ages straddle a band limit: the dose must not be guessed

    @classmethod
    def of(cls, birth: PartialDate | None, on: date, rules: IimParameters) -> PatientAge | None:
        if birth is None or birth.earliest > on:
            return None
        youngest, oldest = Age(min(birth.latest, on), on), Age(birth.earliest, on)
        band = youngest.band(rules)
        return cls(youngest, oldest, band if band == oldest.band(rules) else None)

    @property
    def exact(self) -> bool:
        return self.youngest.born == self.oldest.born
