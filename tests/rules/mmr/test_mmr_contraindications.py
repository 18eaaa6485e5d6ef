"""Contraindications, product choice and the pregnancy reminder (issue 3, rule 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from prevention_cds.rules.advice import ForecastStatus, Indicator, Medicine, ProposeMedication
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord, Pregnancy, Sex

from .records import (
    IMMUNODEFICIENCY,
    Scenario,
    actions,
    allergy,
    at,
    born,
    condition,
    forecast_of,
    keys,
    medication_of,
    mmr,
    only,
    patient,
    pregnant,
)

TODAY = at(2025, 6, 1)
WOMAN = born(1995, 4, 4)


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    rule: str
    indicator: Indicator
    keys: frozenset[str] = field(default_factory=frozenset)
    absent: frozenset[str] = field(default_factory=frozenset)
    first_earliest: date | None = None

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, TODAY)


PREGNANCY_CONDITION = condition(Concept.PREGNANCY, "Grossesse")


def pregnancy_case(
    name: str,
    expected: set[str],
    absent: frozenset[str] = frozenset(),
    first_earliest: date | None = None,
    **record: object,
) -> Case:
    """A woman whose record states a pregnancy: the pregnancy card, with ``expected`` among its messages."""
    return Case(
        name,
        patient(WOMAN, Sex.FEMALE, (), **record),
        "mmr.contraindicated.pregnancy",
        Indicator.WARNING,
        frozenset(expected),
        absent,
        first_earliest,
    )


CASES = [
    Case(
        "pregnant with expected delivery: after delivery, dated",
        patient(WOMAN, Sex.FEMALE, pregnancy=pregnant(date(2025, 4, 1), date(2025, 10, 15))),
        "mmr.contraindicated.pregnancy",
        Indicator.WARNING,
        frozenset(
            {
                "mmr.summary.contraindicated.pregnancy-dated",
                "mmr.explain.after-delivery",
                "mmr.fact.pregnancy-due",
                "mmr.explain.avoid-pregnancy",
            }
        ),
        first_earliest=date(2025, 10, 15),
    ),
    Case(
        "pregnant, delivery date unknown: after delivery, undated",
        patient(WOMAN, Sex.FEMALE, pregnancy=pregnant(date(2025, 4, 1))),
        "mmr.contraindicated.pregnancy",
        Indicator.WARNING,
        frozenset({"mmr.summary.contraindicated.pregnancy"}),
    ),
    pregnancy_case(
        "expected delivery past: probably ended, confirm before vaccinating (no date, no prescription)",
        {
            "mmr.summary.contraindicated.pregnancy-ended-dated",
            "mmr.explain.contraindication.pregnancy-ended",
            "mmr.fact.pregnancy-ended-term",
            "mmr.suggestion.record-pregnancy-to-confirm",
        },
        absent=frozenset({"mmr.explain.contraindication.pregnancy", "mmr.plan.dose"}),
        pregnancy=pregnant(date(2024, 11, 1), date(2025, 5, 31)),
    ),
    pregnancy_case(
        "expected delivery today: still pregnant, doses after delivery",
        {"mmr.summary.contraindicated.pregnancy-dated", "mmr.fact.pregnancy-due"},
        first_earliest=date(2025, 6, 1),
        pregnancy=pregnant(date(2024, 11, 1), date(2025, 6, 1)),
    ),
    pregnancy_case(
        "pregnancy observed more than 42 weeks ago, no term: probably ended",
        {"mmr.summary.contraindicated.pregnancy-ended", "mmr.fact.pregnancy-ended-old"},
        pregnancy=pregnant(date(2024, 8, 10)),
    ),
    pregnancy_case(
        "pregnancy observed 42 weeks ago to the day: still pregnant",
        {"mmr.summary.contraindicated.pregnancy", "mmr.fact.pregnancy"},
        pregnancy=pregnant(date(2024, 8, 11)),
    ),
    pregnancy_case(
        "pregnancy condition recorded long ago and never closed: probably ended",
        {"mmr.summary.contraindicated.pregnancy-ended", "mmr.fact.pregnancy-ended-old"},
        conditions=(ConditionFact(Concept.PREGNANCY, "Grossesse", recorded=date(2023, 2, 1)),),
    ),
    Case(
        "active pregnancy condition, no observation: pregnant",
        patient(WOMAN, Sex.FEMALE, conditions=(PREGNANCY_CONDITION,)),
        "mmr.contraindicated.pregnancy",
        Indicator.WARNING,
    ),
    Case(
        "pregnancy condition superseded by a later 'not pregnant' observation: vaccinate",
        patient(
            WOMAN,
            Sex.FEMALE,
            conditions=(ConditionFact(Concept.PREGNANCY, "Grossesse", recorded=date(2024, 1, 1)),),
            pregnancy=Pregnancy(False, date(2025, 3, 1)),
        ),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.explain.avoid-pregnancy", "mmr.decision.pregnancy-interval"}),
    ),
    Case(
        "severe immunodeficiency",
        patient(born(1990, 1, 1), conditions=(IMMUNODEFICIENCY,)),
        "mmr.contraindicated.immunodeficiency",
        Indicator.WARNING,
        frozenset({"mmr.explain.contraindication.severe-immunodeficiency", "mmr.fact.severe-immunodeficiency"}),
    ),
    Case(
        "anaphylaxis to a previous MMR dose",
        patient(
            born(2020, 1, 1), allergies=(allergy(Concept.MMR_VACCINE_ALLERGEN, Concept.ANAPHYLAXIS, display="ROR"),)
        ),
        "mmr.contraindicated.anaphylaxis",
        Indicator.WARNING,
        frozenset({"mmr.explain.contraindication.anaphylaxis-mmr"}),
        frozenset({"mmr.decision.allergy-severity"}),  # the reaction is recorded: nothing assumed
    ),
    Case(
        "high-criticality MMR allergy without reaction: treated as anaphylaxis",
        patient(born(2020, 1, 1), allergies=(allergy(Concept.MMR_VACCINE_ALLERGEN, high=True),)),
        "mmr.contraindicated.anaphylaxis",
        Indicator.WARNING,
        frozenset({"mmr.decision.allergy-severity"}),
    ),
    Case(
        "anaphylaxis to neomycin",
        patient(born(1990, 1, 1), allergies=(allergy(Concept.NEOMYCIN_ALLERGEN, Concept.ANAPHYLAXIS),)),
        "mmr.contraindicated.anaphylaxis",
        Indicator.WARNING,
        frozenset({"mmr.explain.contraindication.anaphylaxis-neomycin"}),
    ),
    Case(
        "neomycin contact dermatitis: not a contraindication",
        patient(born(1990, 1, 1), allergies=(allergy(Concept.NEOMYCIN_ALLERGEN, display="Eczéma néomycine"),)),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.fact.allergy-not-severe"}),
    ),
    Case(
        "MMR allergy of unknown severity: no contraindication found, but to check before vaccinating",
        patient(
            born(1990, 1, 1), allergies=(allergy(Concept.MMR_VACCINE_ALLERGEN, display="vaccin ROR", unknown=True),)
        ),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.fact.allergy-severity-unknown"}),
        frozenset({"mmr.fact.allergy-not-severe"}),  # nobody said it was mild
    ),
    Case(
        "gelatin allergy: Priorix",
        patient(born(1990, 1, 1), allergies=(allergy(Concept.GELATIN_ALLERGEN, display="Gélatine"),)),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.explain.gelatin", "mmr.decision.gelatin-product", "mmr.fact.gelatin-allergy"}),
    ),
    Case(
        "woman of 30: avoid pregnancy for one month",
        patient(WOMAN, Sex.FEMALE),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.explain.avoid-pregnancy", "mmr.patient-instruction.avoid-pregnancy"}),
    ),
    Case(
        "girl of 11 (catch-up): reminder given",
        patient(born(2014, 1, 1), Sex.FEMALE),
        "mmr.catch-up",
        Indicator.WARNING,
        frozenset({"mmr.explain.avoid-pregnancy"}),
    ),
    Case(
        "girl of 5: no reminder",
        patient(born(2020, 1, 1), Sex.FEMALE),
        "mmr.catch-up",
        Indicator.WARNING,
        absent=frozenset({"mmr.explain.avoid-pregnancy"}),
    ),
    Case(
        "man of 30: no reminder",
        patient(WOMAN, Sex.MALE),
        "mmr.catch-up",
        Indicator.INFO,
        absent=frozenset({"mmr.explain.avoid-pregnancy"}),
    ),
    Case(
        "sex unknown, 30: reminder given",
        patient(WOMAN, None),
        "mmr.catch-up",
        Indicator.INFO,
        frozenset({"mmr.explain.avoid-pregnancy", "mmr.fact.sex-unknown"}),
    ),
    Case(
        "woman born 1960 (rubella dose): no reminder after 55",
        patient(born(1960, 1, 1), Sex.FEMALE),
        "mmr.catch-up",
        Indicator.INFO,
        absent=frozenset({"mmr.explain.avoid-pregnancy"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_contraindications(case: Case) -> None:
    advice = only(case.scenario.run())
    assert (advice.rule, advice.indicator) == (case.rule, case.indicator)
    found = keys(advice)
    assert case.keys <= found
    assert not case.absent & found
    if advice.rule.startswith("mmr.contraindicated."):
        assert not any(
            isinstance(a, ProposeMedication) for a in actions(advice)
        )  # never order a contraindicated vaccine
        doses = forecast_of(advice).forecast.doses
        assert {d.status for d in doses} == {ForecastStatus.CONTRAINDICATED}
        assert doses[0].earliest == case.first_earliest


def test_a_pregnancy_that_has_probably_ended_waits_undated_for_confirmation_in_the_forecast() -> None:
    record = patient(WOMAN, Sex.FEMALE, pregnancy=pregnant(date(2024, 11, 1), date(2025, 5, 1)))
    doses = forecast_of(only(Scenario(record, TODAY).run())).forecast.doses
    assert [(d.status, d.earliest, d.due) for d in doses] == [(ForecastStatus.CONTRAINDICATED, None, None)] * 2
    assert {d.reason.key for d in doses if d.reason} == {"mmr.forecast.reason.pregnancy-to-confirm"}


def test_an_undated_pregnancy_condition_stands_beside_an_observation_that_has_probably_ended() -> None:
    record = patient(WOMAN, Sex.FEMALE, conditions=(PREGNANCY_CONDITION,), pregnancy=pregnant(date(2024, 1, 1)))
    advice = only(Scenario(record, TODAY).run())
    assert advice.summary.key == "mmr.summary.contraindicated.pregnancy"
    assert "mmr.fact.pregnancy" in keys(advice) and "mmr.fact.pregnancy-ended-old" not in keys(advice)


def test_gelatin_allergy_proposes_priorix_in_both_actions() -> None:
    record = patient(born(1990, 1, 1), allergies=(allergy(Concept.GELATIN_ALLERGEN),))
    advice = only(Scenario(record, TODAY).run())
    assert medication_of(advice).proposal.medicine == Medicine.MMR_VACCINE_PRIORIX
    assert forecast_of(advice).forecast.vaccine == Medicine.MMR_VACCINE_PRIORIX


def test_pregnant_woman_with_two_doses_gets_no_card() -> None:
    record = patient(
        WOMAN, Sex.FEMALE, (mmr(date(1996, 6, 1)), mmr(date(2000, 1, 1))), pregnancy=pregnant(date(2025, 4, 1))
    )
    assert Scenario(record, TODAY).run() == ()
