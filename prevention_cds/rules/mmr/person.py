"""Who the patient is, as far as the MMR rules care: birth date bounds, sex, occupation, measles history.

A FHIR birth date may be partial (``1975``, ``1975-06``): it is kept as the earliest and latest possible
dates and every rule picks the bound that errs on the safe side (see docs/clinical-decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prevention_cds.rules.calendar_math import add_months, completed_months, completed_years
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.mmr.measles_case import never_closed, past_measles
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.partial_date import PartialDate

PROFESSIONAL_OCCUPATIONS = frozenset({Concept.HEALTHCARE_PROFESSIONAL, Concept.EARLY_CHILDHOOD_PROFESSIONAL})


@dataclass(frozen=True)
class BirthBounds:
    recorded: PartialDate

    @property
    def earliest(self) -> date:
        return self.recorded.earliest

    @property
    def latest(self) -> date:
        return self.recorded.latest

    @property
    def exact(self) -> bool:
        return self.recorded.is_exact

    def youngest_age_months(self, on: date) -> int:
        return completed_months(self.latest, on)

    def oldest_age_months(self, on: date) -> int:
        return completed_months(self.earliest, on)

    def youngest_age_years(self, on: date) -> int:
        return completed_years(self.latest, on)

    def oldest_age_years(self, on: date) -> int:
        return completed_years(self.earliest, on)

    def surely_reached(self, months: int) -> date:
        """The first day on which the patient is certainly ``months`` old (from the latest birth date)."""
        return add_months(self.latest, months)

    def possibly_reached(self, months: int) -> date:
        """The first day on which the patient may be ``months`` old (from the earliest birth date)."""
        return add_months(self.earliest, months)

    def certainly_born_since(self, cutoff: date) -> bool:
        return self.earliest >= cutoff

    def possibly_born_since(self, cutoff: date) -> bool:
        return self.latest >= cutoff


@dataclass(frozen=True)
class Person:
    birth: BirthBounds | None
    sex: Sex | None
    professional: bool  # health-care or early-childhood professional
    measles_history: bool  # a confirmed measles that is over (a current case is not yet immunity)
    rubella_history: bool  # recorded only: it does not waive the rubella dose (docs/clinical-decisions.md)
    state_medical_aid: bool | None
    measles_open_since: date | None = None  # a measles record left active long after it began: read as past
    unreadable_birth_date: str | None = None  # as written, when the record gives one that cannot be read

    @property
    def possibly_female(self) -> bool:
        """Only a recorded male sex rules out the rubella and pregnancy rules (unknown sex errs on the safe side)."""
        return self.sex != Sex.MALE


def person_of(record: PatientRecord, today: date, rules: MmrParameters) -> Person:
    return Person(
        birth=BirthBounds(record.birth_date) if record.birth_date is not None else None,
        sex=record.sex,
        professional=bool(record.occupations & PROFESSIONAL_OCCUPATIONS),
        measles_history=bool(past_measles(record, today, rules)),
        rubella_history=record.has_history(Concept.RUBELLA_HISTORY),
        state_medical_aid=record.state_medical_aid,
        measles_open_since=min(
            (since for c in never_closed(record, today, rules) if (since := c.onset or c.recorded)), default=None
        ),
        unreadable_birth_date=record.unreadable_birth_date,
    )
