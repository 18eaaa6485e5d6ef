"""How many doses are owed: the 1980 cut-off, professionals, rubella in women (issue 3, rule 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from prevention_cds.rules.advice import ForecastStatus
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.ruleset import RuleSettings

from .records import MEASLES_HISTORY, Scenario, at, born, condition, forecast_of, mmr, only, patient

TODAY = at(2025, 6, 1)
HEALTH = frozenset({Concept.HEALTHCARE_PROFESSIONAL})
CHILDCARE = frozenset({Concept.EARLY_CHILDHOOD_PROFESSIONAL})
RUBELLA_HISTORY = condition(Concept.RUBELLA_HISTORY, "Rubéole (1975)")


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    rule: str | None  # None: no card by default
    dose_numbers: tuple[int, ...] = ()
    series: int | None = None
    decisions: frozenset[str] = field(default_factory=frozenset)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, TODAY)


CASES = [
    Case("born 1979-12-31, man: none", patient(born(1979, 12, 31), Sex.MALE), None),
    Case(
        "born 1980-01-01, man: two",
        patient(born(1980, 1, 1), Sex.MALE),
        "mmr.catch-up",
        (1, 2),
        2,
        frozenset({"mmr.decision.born-since-inclusive"}),
    ),
    Case("born 1980-12-31: two", patient(born(1980, 12, 31)), "mmr.catch-up", (1, 2), 2),
    Case(
        "born 1990 with one dose: one more",
        patient(born(1990, 4, 2), doses=(mmr(date(1991, 6, 1)),)),
        "mmr.catch-up",
        (2,),
        2,
    ),
    Case(
        "born 1990 with two doses: complete",
        patient(born(1990, 4, 2), doses=(mmr(date(1991, 6, 1)), mmr(date(1996, 6, 1)))),
        None,
    ),
    Case(
        "born 1990 with a measles history: still two",
        patient(born(1990, 4, 2), conditions=(MEASLES_HISTORY,)),
        "mmr.catch-up",
        (1, 2),
        2,
    ),
    Case(
        "born 1979-12-31, woman not vaccinated: one (rubella)",
        patient(born(1979, 12, 31), Sex.FEMALE),
        "mmr.catch-up",
        (1,),
        1,
    ),
    Case("born 1975, woman with one dose: none", patient(born(1975, 3, 3), Sex.FEMALE, (mmr(date(1995, 1, 1)),)), None),
    Case(
        "born 1975, woman with a rubella history: one, decision shown",
        patient(born(1975, 3, 3), Sex.FEMALE, conditions=(RUBELLA_HISTORY,)),
        "mmr.catch-up",
        (1,),
        1,
        frozenset({"mmr.decision.rubella-history"}),
    ),
    Case(
        "born 1975, sex unknown: rubella rule by precaution",
        patient(born(1975, 3, 3), None),
        "mmr.catch-up",
        (1,),
        1,
        frozenset({"mmr.decision.sex-unknown-rubella"}),
    ),
    Case(
        "born 1970, health professional, no dose, no history: one",
        patient(born(1970, 5, 5), Sex.MALE, occupations=HEALTH),
        "mmr.catch-up",
        (1,),
        1,
    ),
    Case(
        "born 1970, early-childhood professional, no dose: one",
        patient(born(1970, 5, 5), Sex.MALE, occupations=CHILDCARE),
        "mmr.catch-up",
        (1,),
        1,
    ),
    Case(
        "born 1970, health professional with measles history: none",
        patient(born(1970, 5, 5), Sex.MALE, occupations=HEALTH, conditions=(MEASLES_HISTORY,)),
        None,
    ),
    Case(
        "born 1970, health professional, provisional measles diagnosis does not count: one",
        patient(
            born(1970, 5, 5),
            Sex.MALE,
            occupations=HEALTH,
            conditions=(condition(Concept.MEASLES_HISTORY, "Rougeole ?", confirmed=False),),
        ),
        "mmr.catch-up",
        (1,),
        1,
    ),
    Case(
        "born 1970, health professional with one dose: none",
        patient(born(1970, 5, 5), Sex.MALE, (mmr(date(2010, 1, 1)),), occupations=HEALTH),
        None,
    ),
    Case("born 1979, year only, man: none", patient(born(1979), Sex.MALE), None),
    Case("born 1980, year only: two", patient(born(1980)), "mmr.catch-up", (1, 2), 2),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_doses_owed(case: Case) -> None:
    advices = case.scenario.run()
    if case.rule is None:
        assert advices == ()
        return
    advice = only(advices)
    assert advice.rule == case.rule
    doses = forecast_of(advice).forecast.doses
    assert tuple(d.dose_number for d in doses) == case.dose_numbers
    assert {d.series_doses for d in doses} == {case.series}
    assert {d.status for d in doses} == {ForecastStatus.DUE}  # adults: catch-up due, not overdue
    assert case.decisions <= {d.key for d in advice.decisions}


INFO = RuleSettings(info_card_when_up_to_date=True)
INFO_CASES = [
    ("born before 1980: presumed immune", patient(born(1979, 12, 31), Sex.MALE), "mmr.summary.presumed-immune"),
    (
        "two doses: complete",
        patient(born(1990, 1, 1), doses=(mmr(date(1991, 1, 1)), mmr(date(1995, 1, 1)))),
        "mmr.summary.up-to-date",
    ),
    ("infant of 3 months: next dose date", patient(born(2025, 3, 1)), "mmr.summary.not-yet-due"),
]
SCENARIOS = [Scenario(record, TODAY, settings=INFO) for _, record, _ in INFO_CASES]


@pytest.mark.parametrize(("record", "summary"), [c[1:] for c in INFO_CASES], ids=[c[0] for c in INFO_CASES])
def test_info_card_when_nothing_is_owed_if_configured(record: PatientRecord, summary: str) -> None:
    advice = only(Scenario(record, TODAY, settings=INFO).run())
    assert advice.rule == "mmr.up-to-date" and advice.summary.key == summary and not advice.suggestions
