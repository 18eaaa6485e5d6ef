"""Which recorded doses count: 12 months, 28 days, live vaccines, immunoglobulins (issue 3, rule 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from advice_messages import render_strict
from prevention_cds.rules.calendar_math import add_months
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import PatientRecord, VaccineDose
from prevention_cds.rules.mmr.dose_evaluation import evaluate_doses
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds
from prevention_cds.rules.mmr.validity import RejectionReason as R
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruleset import RuleSettings

from .records import Scenario, at, born, days, mmr, mmrv, patient, varicella

TODAY = at(2025, 6, 1)
BIRTH = date(2020, 1, 15)
TWELVE_MONTHS = date(2021, 1, 15)
DEFAULT_BIRTH = PartialDate.exact(BIRTH)


@dataclass(frozen=True)
class Case:
    name: str
    doses: tuple[VaccineDose, ...]
    expected: tuple[frozenset[R], ...]  # per MMR dose, in date order: empty = counted
    birth: PartialDate = DEFAULT_BIRTH
    immunoglobulins: tuple[date, ...] = ()

    @property
    def record(self) -> PatientRecord:
        return patient(self.birth, doses=self.doses, immunoglobulin_dates=self.immunoglobulins)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, TODAY, settings=RuleSettings(info_card_when_up_to_date=True))


def ok() -> frozenset[R]:
    return frozenset()


def no(*reasons: R) -> frozenset[R]:
    return frozenset(reasons)


CASES = [
    Case("dose at 11 months", (mmr(date(2020, 12, 20)),), (no(R.TOO_YOUNG),)),
    Case("dose the day before 12 months", (mmr(date(2021, 1, 14)),), (no(R.TOO_YOUNG),)),
    Case("dose on the 12-month birthday counts", (mmr(TWELVE_MONTHS),), (ok(),)),
    Case(
        "27 days between doses: second rejected",
        (mmr(date(2021, 2, 1)), mmr(date(2021, 2, 28))),
        (ok(), no(R.TOO_SOON)),
    ),
    Case(
        "28 days between doses: both count",
        (mmr(date(2021, 2, 1)), mmr(date(2021, 3, 1))),
        (ok(), ok()),
    ),
    Case(
        "same-day duplicate",
        (mmr(date(2021, 2, 1), "a"), mmr(date(2021, 2, 1), "b")),
        (ok(), no(R.DUPLICATE)),
    ),
    Case(
        "27 days after varicella: live-vaccine conflict",
        (varicella(date(2021, 2, 1)), mmr(date(2021, 2, 28))),
        (no(R.LIVE_VACCINE),),
    ),
    Case("28 days after varicella counts", (varicella(date(2021, 2, 1)), mmr(date(2021, 3, 1))), (ok(),)),
    Case("same day as varicella counts", (varicella(date(2021, 2, 1)), mmr(date(2021, 2, 1))), (ok(),)),
    Case("varicella after the MMR dose is irrelevant", (mmr(date(2021, 2, 1)), varicella(date(2021, 2, 10))), (ok(),)),
    Case("MMRV counts as MMR", (mmrv(date(2021, 2, 1)), mmrv(date(2021, 6, 1))), (ok(), ok())),
    Case(
        "MMR then MMRV 27 days apart",
        (mmr(date(2021, 2, 1)), mmrv(date(2021, 2, 28))),
        (ok(), no(R.TOO_SOON)),
    ),
    Case(
        "8 months after immunoglobulins: rejected",
        (mmr(date(2022, 9, 1)),),
        (no(R.IMMUNOGLOBULIN),),
        immunoglobulins=(date(2022, 1, 1),),
    ),
    Case(
        "9 months after immunoglobulins counts",
        (mmr(date(2022, 10, 1)),),
        (ok(),),
        immunoglobulins=(date(2022, 1, 1),),
    ),
    Case(
        "20 days after an uncounted dose: too soon (live interference)",
        (mmr(date(2020, 12, 31)), mmr(date(2021, 1, 20))),
        (no(R.TOO_YOUNG), no(R.TOO_SOON)),
    ),
    Case(
        "too young and 10 days after varicella: both reasons",
        (varicella(date(2020, 12, 10)), mmr(date(2020, 12, 20))),
        (no(R.TOO_YOUNG, R.LIVE_VACCINE),),
    ),
    Case("dose dated after today", (mmr(date(2025, 7, 1)),), (no(R.FUTURE_DATE),)),
    Case(
        "year-only birth date: counted only from 12 months after 31 December",
        (mmr(date(2021, 6, 1)), mmr(date(2022, 1, 1))),
        (no(R.TOO_YOUNG), ok()),
        birth=born(2020),
    ),
    Case(
        "month-only birth date: 12 months counted from the last day of the month",
        (mmr(date(2021, 1, 15)), mmr(date(2021, 2, 28))),
        (no(R.TOO_YOUNG), ok()),
        birth=born(2020, 1),
    ),
    Case("born 29 February: 12 months on 28 February", (mmr(date(2021, 2, 28)),), (ok(),), birth=born(2020, 2, 29)),
    Case("a dose without a label is still judged", (mmr(date(2020, 6, 1), display=""),), (no(R.TOO_YOUNG),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dose_verdicts(case: Case) -> None:
    today = TODAY.date()
    assert case.record.birth_date is not None
    history = evaluate_doses(case.record, BirthBounds(case.record.birth_date), today, MmrParameters.on(today))
    assert tuple(frozenset(o.reason for o in v.obstacles) for v in history.verdicts) == case.expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_dose_is_listed_on_the_card_with_its_reasons(case: Case) -> None:
    advices = case.scenario.run()
    assert advices
    facts = [f for f in advices[0].facts if f.key.startswith("mmr.fact.dose-")]
    assert len(facts) == len(case.expected)
    for fact, expected in zip(facts, case.expected, strict=True):
        if expected:
            assert fact.key == "mmr.fact.dose-rejected"
            assert len(fact.params["reasons"]) == len(expected)  # type: ignore[arg-type]
        else:
            assert fact.key in ("mmr.fact.dose-counted", "mmr.fact.dose-counted-mmrv")


def test_supporting_immunizations_are_the_counted_doses() -> None:
    record = patient(born(2020, 1, 15), doses=(mmr(date(2020, 12, 1), "early"), mmr(date(2021, 2, 1), "valid")))
    today = TODAY.date()
    history = evaluate_doses(record, BirthBounds(born(2020, 1, 15)), today, MmrParameters.on(today))
    assert history.supporting_immunizations == ("Immunization/valid",)


def test_twelve_month_constant_matches_calendar_math() -> None:
    assert add_months(BIRTH, 12) == TWELVE_MONTHS and TWELVE_MONTHS - days(1) == date(2021, 1, 14)


# Doses recorded by code alone (a CVX 03 without a display, as the CDS Hooks Sandbox sends them): the card names
# the vaccine from the terminology, never "unnamed"; a live vaccine of another kind without a label is said so.
UNLABELLED = Scenario(
    patient(born(2019, 1, 15), doses=(
        VaccineDose(date(2019, 12, 1), frozenset({Concept.MMRV_VACCINE, Concept.LIVE_VACCINE}), "", "Immunization/a"),
        VaccineDose(date(2020, 4, 1), frozenset({Concept.MMR_VACCINE, Concept.LIVE_VACCINE}), "", "Immunization/b"),
        VaccineDose(date(2020, 4, 20), frozenset({Concept.LIVE_VACCINE}), "", "Immunization/c"),
    )),
    TODAY,
)
SCENARIOS = [UNLABELLED]


@pytest.mark.parametrize(("language", "names"), [
    ("fr", ("ROR-varicelle le 01/12/2019", "ROR le 01/04/2020", "vaccin sans libellé")),
    ("en", ("MMRV on 2019-12-01", "MMR on 2020-04-01", "unnamed vaccine")),
])
def test_a_dose_without_a_display_is_named_by_its_vaccine(language: str, names: tuple[str, ...]) -> None:
    (advice,) = UNLABELLED.run()
    facts = " | ".join(render_strict(f, language) for f in advice.facts)
    for name in names:
        assert name in facts, facts
