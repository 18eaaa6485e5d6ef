"""Dates of the doses owed: earliest, due, overdue; infant calendar vs catch-up (issue 3, rule 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from prevention_cds.rules.advice import ForecastStatus, Indicator
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.ruleset import RuleSettings

from .records import Scenario, at, born, forecast_of, keys, mmr, only, patient, varicella

S = ForecastStatus


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    now: datetime
    rule: str | None
    indicator: Indicator | None = None
    # per dose owed: (status, earliest, due, overdue); None skips the comparison
    doses: tuple[tuple[S, date | None, date | None, date | None], ...] = ()
    keys: frozenset[str] = field(default_factory=frozenset)
    absent: frozenset[str] = field(default_factory=frozenset)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, self.now)


INFANT = born(2024, 6, 10)
CASES = [
    Case(
        "11 months 30 days: nothing yet",
        patient(INFANT),
        at(2025, 6, 9),
        None,
    ),
    Case(
        "exactly 12 months: dose 1 due today, dose 2 at 16 months",
        patient(INFANT),
        at(2025, 6, 10),
        "mmr.infant-schedule",
        Indicator.INFO,
        (
            (S.DUE, date(2025, 6, 10), date(2025, 6, 10), date(2025, 7, 10)),
            (S.DUE, date(2025, 7, 8), date(2025, 10, 10), date(2026, 1, 10)),
        ),
        frozenset({"mmr.explain.infant-calendar", "mmr.explain.mandatory"}),
    ),
    Case(
        "12 months 29 days: still on time",
        patient(INFANT),
        at(2025, 7, 9),
        "mmr.infant-schedule",
        Indicator.INFO,
        ((S.DUE, None, date(2025, 7, 9), date(2025, 7, 10)), (S.DUE, None, date(2025, 10, 10), None)),
    ),
    Case(
        "13 months: dose 1 overdue",
        patient(INFANT),
        at(2025, 7, 10),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, None, date(2025, 7, 10), date(2025, 7, 10)), (S.DUE, date(2025, 8, 7), date(2025, 10, 10), None)),
        frozenset({"mmr.decision.overdue", "mmr.summary.overdue.now"}),
    ),
    Case(
        "14 months with dose 1 at 12 months: dose 2 not yet due",
        patient(INFANT, doses=(mmr(date(2025, 6, 10)),)),
        at(2025, 8, 10),
        None,
    ),
    Case(
        "17 months with dose 1: dose 2 due now, on calendar",
        patient(INFANT, doses=(mmr(date(2025, 6, 10)),)),
        at(2025, 11, 12),
        "mmr.infant-schedule",
        Indicator.INFO,
        ((S.DUE, date(2025, 7, 8), date(2025, 11, 12), date(2026, 1, 10)),),
    ),
    Case(
        "18 months 20 days: still within 16–18 months",
        patient(INFANT, doses=(mmr(date(2025, 6, 10)),)),
        at(2025, 12, 30),
        "mmr.infant-schedule",
        Indicator.INFO,
        ((S.DUE, None, date(2025, 12, 30), date(2026, 1, 10)),),
    ),
    Case(
        "19 months with one dose: overdue",
        patient(INFANT, doses=(mmr(date(2025, 6, 10)),)),
        at(2026, 1, 10),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, None, date(2026, 1, 10), date(2026, 1, 10)),),
    ),
    Case(
        "born 2017-12-31: overdue, not under the obligation",
        patient(born(2017, 12, 31)),
        at(2025, 1, 10),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, None, date(2025, 1, 10), None), (S.OVERDUE, date(2025, 2, 7), date(2025, 2, 7), None)),
        frozenset({"mmr.cost.free-minor"}),
        frozenset({"mmr.explain.mandatory", "mmr.decision.mandatory-inclusive"}),
    ),
    Case(
        "born 2018-01-01: under the obligation, said on the card",
        patient(born(2018, 1, 1)),
        at(2025, 1, 10),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, None, None, None), (S.OVERDUE, None, None, None)),
        frozenset({"mmr.explain.mandatory", "mmr.decision.mandatory-inclusive"}),
    ),
    Case(
        "aged 17, no dose: overdue (minor)",
        patient(born(2007, 6, 2)),
        at(2025, 6, 1),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, None, date(2025, 6, 1), date(2008, 7, 2)), (S.OVERDUE, None, date(2025, 6, 29), None)),
    ),
    Case(
        "aged 18, no dose: catch-up due (adult)",
        patient(born(2007, 6, 1)),
        at(2025, 6, 1),
        "mmr.catch-up",
        Indicator.INFO,
        ((S.DUE, None, date(2025, 6, 1), None), (S.DUE, None, date(2025, 6, 29), None)),
        frozenset({"mmr.summary.catch-up.now"}),
    ),
    Case(
        "adult, varicella 10 days ago: dose 1 from 28 days after it",
        patient(born(1990, 3, 3), doses=(varicella(date(2025, 5, 22)),)),
        at(2025, 6, 1),
        "mmr.catch-up",
        Indicator.INFO,
        ((S.DUE, date(2025, 6, 19), date(2025, 6, 19), None), (S.DUE, date(2025, 7, 17), date(2025, 7, 17), None)),
        frozenset({"mmr.summary.catch-up.from", "mmr.fact.other-live-vaccine"}),
    ),
    Case(
        "adult, immunoglobulins 3 months ago: dose 1 from 9 months after them",
        patient(born(1990, 3, 3), immunoglobulin_dates=(date(2025, 3, 1),)),
        at(2025, 6, 1),
        "mmr.catch-up",
        Indicator.INFO,
        ((S.DUE, date(2025, 12, 1), date(2025, 12, 1), None), (S.DUE, date(2025, 12, 29), date(2025, 12, 29), None)),
        frozenset({"mmr.decision.immunoglobulin-delay", "mmr.fact.immunoglobulin"}),
    ),
    Case(
        "adult with one dose 20 days ago: dose 2 from 28 days after it",
        patient(born(1990, 3, 3), doses=(mmr(date(2025, 5, 12)),)),
        at(2025, 6, 1),
        "mmr.catch-up",
        Indicator.INFO,
        ((S.DUE, date(2025, 6, 9), date(2025, 6, 9), None),),
    ),
    Case(
        "month-only birth date 2024-06, seen 2025-06-20: may be 12 months, not certainly: no dose yet",
        patient(born(2024, 6), Sex.MALE),
        at(2025, 6, 20),
        None,
    ),
    Case(
        "month-only birth date 2024-06, seen 2025-07-05: dose from 30 June, may already be late",
        patient(born(2024, 6), Sex.MALE),
        at(2025, 7, 5),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, date(2025, 6, 30), date(2025, 7, 5), date(2025, 7, 1)),),
        frozenset({"mmr.decision.partial-birth-date", "mmr.fact.birth-date-partial"}),
    ),
    Case(
        "year-only birth date 2024, seen 2025-03-01: dates from 31 December, late from 1 January",
        patient(born(2024), Sex.MALE),
        at(2025, 3, 1),
        "mmr.catch-up",
        Indicator.WARNING,
        ((S.OVERDUE, date(2025, 12, 31), date(2025, 12, 31), date(2025, 2, 1)),),
        frozenset({"mmr.decision.partial-birth-date", "mmr.fact.birth-date-partial"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dates(case: Case) -> None:
    advices = case.scenario.run()
    if case.rule is None:
        assert advices == ()
        return
    advice = only(advices)
    assert (advice.rule, advice.indicator) == (case.rule, case.indicator)
    doses = forecast_of(advice).forecast.doses
    assert len(doses) >= len(case.doses)
    for dose, (status, earliest, due, overdue) in zip(doses, case.doses, strict=False):
        assert dose.status == status
        for actual, wanted in ((dose.earliest, earliest), (dose.due, due), (dose.overdue, overdue)):
            if wanted is not None:
                assert actual == wanted
    found = keys(advice)
    assert case.keys <= found
    assert not case.absent & found


def test_not_yet_due_info_card_when_configured() -> None:
    scenario = Scenario(patient(INFANT), at(2025, 3, 1), settings=RuleSettings(info_card_when_up_to_date=True))
    advice = only(scenario.run())
    assert advice.rule == "mmr.up-to-date" and advice.summary.key == "mmr.summary.not-yet-due"
    assert advice.summary.params["due"] == date(2025, 6, 10)
