"""The patient's age on the evaluation date and the dosing band it falls in (neonate, child, adult)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from prevention_cds.rules.calendar_math import completed_months, completed_years
from prevention_cds.rules.iim.data import AgeRow, iim_data
from prevention_cds.rules.partial_date import PartialDate


class DosingBand(StrEnum):
    NEONATE = "neonate"
    CHILD = "child"
    ADULT = "adult"


@dataclass(frozen=True)
class Age:
    born: date
    on: date

    @property
    def days(self) -> int:
        return (self.on - self.born).days

    @property
    def months(self) -> int:
        return completed_months(self.born, self.on)

    @property
    def years(self) -> int:
        return completed_years(self.born, self.on)

    def is_below(self, amount: int, unit: str) -> bool:
        """``unit`` is UCUM: ``d`` days, ``mo`` completed months, ``a`` completed years."""
        value = {"d": self.days, "mo": self.months, "a": self.years}[unit]
        return value < amount

    def band(self) -> DosingBand:
        data = iim_data()
        if self.days < data.int("neonate_below_age_days", self.on):
            return DosingBand.NEONATE
        if self.years < data.int("adult_from_age_years", self.on):
            return DosingBand.CHILD
        return DosingBand.ADULT

    def row(self, rows: Sequence[AgeRow]) -> AgeRow | None:
        """The first row of an age-banded table that applies at this age."""
        return next((r for r in rows if r.below is None or self.is_below(*r.below)), None)


@dataclass(frozen=True)
class PatientAge:
    """Age bounds: a partial birth date (``2019``) gives a youngest and an oldest possible age."""

    youngest: Age  # from the latest possible birth date: the stricter reading of age limits
    oldest: Age

    @classmethod
    def of(cls, birth: PartialDate | None, on: date) -> PatientAge | None:
        if birth is None or birth.earliest > on:
            return None
        return cls(Age(min(birth.latest, on), on), Age(birth.earliest, on))

    @property
    def exact(self) -> bool:
        return self.youngest.born == self.oldest.born

    @property
    def band(self) -> DosingBand | None:
        """None when the possible ages straddle a band limit: the dose must not be guessed."""
        band = self.youngest.band()
        return band if band == self.oldest.band() else None
