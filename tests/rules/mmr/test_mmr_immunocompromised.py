"""A weakened immunity: immunocompromising conditions (HIV, blood cancers, transplants, chemotherapy) and
immunosuppressive treatments (immunosuppressants, anti-CD20, antineoplastics, systemic corticosteroids), taken or
stopped lately. The live vaccine is never proposed: the patient-view card, the order check, the forecast and the
measles post-exposure card all say why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from prevention_cds.rules.advice import ForecastStatus, Indicator, ProposeMedication, RemoveDraftOrder
from prevention_cds.rules.calendar_math import add_months
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, MedicationFact, MedicationStatus, PatientRecord, Sex
from prevention_cds.rules.mmr.contraindications import Contraindication, assess_safety
from prevention_cds.rules.mmr.forecast import mmr_forecast
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.wording import contraindication_name

from .records import (
    Scenario,
    actions,
    at,
    born,
    condition,
    forecast_of,
    keys,
    measles_contact,
    mmr_order,
    only,
    orders,
    patient,
    rules_of,
)

NOW = at(2025, 6, 1)
TODAY = NOW.date()
RULES = MmrParameters.on(TODAY)
ADULT = born(1990, 1, 1)
CHILD = born(2019, 3, 3)  # 6 years old: one dose of catch-up owed

INFANT = born(2024, 5, 20)  # 12 months: the first dose is due
NURSE_BORN_1975 = born(1975, 5, 5)
WOMAN_BORN_1970 = born(1970, 7, 7)  # a rubella dose for a woman born before 1980
LYMPHOMA_IN_REMISSION = ConditionFact(
    Concept.IMMUNOCOMPROMISING_CONDITION, "Lymphome de Hodgkin", active=False, in_remission=True, source_id="Condition/l"
)
HIV = condition(Concept.HIV_INFECTION, "Infection par le VIH")
LEUKAEMIA = condition(Concept.IMMUNOCOMPROMISING_CONDITION, "Leucémie aiguë lymphoblastique")
KIDNEY_GRAFT = condition(Concept.IMMUNOCOMPROMISING_CONDITION, "Greffe de rein")


def treatment(
    *concepts: Concept,
    display: str = "traitement",
    status: MedicationStatus = MedicationStatus.ONGOING,
    ended: date | None = None,
) -> MedicationFact:
    return MedicationFact(frozenset(concepts), display, status, date(2024, 1, 1), "MedicationStatement/t", ended=ended)


def stopped(*concepts: Concept, on: date, display: str = "traitement") -> MedicationFact:
    return treatment(*concepts, display=display, status=MedicationStatus.FINISHED, ended=on)


METHOTREXATE = treatment(Concept.IMMUNOSUPPRESSANT, Concept.ANTINEOPLASTIC, display="Méthotrexate 25 mg/semaine")
PREDNISONE = treatment(Concept.SYSTEMIC_GLUCOCORTICOID, display="Prednisone 60 mg/j")
INFLIXIMAB = treatment(Concept.IMMUNOSUPPRESSANT, display="Remicade")
RITUXIMAB = treatment(Concept.ANTI_CD20_ANTIBODY, Concept.ANTINEOPLASTIC, display="Rituximab")
CHEMOTHERAPY = treatment(Concept.ANTINEOPLASTIC, display="Cyclophosphamide")


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    contraindication: Contraindication
    keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, NOW)


def _last_day_inside(months: int) -> date:
    """A stop date whose delay ends tomorrow: the treatment still counts today."""
    return add_months(TODAY, -months) + timedelta(days=1)


def _first_day_outside(months: int) -> date:
    """A stop date whose delay ends today: a live vaccine may be considered today."""
    return add_months(TODAY, -months)


IMMUNOSUPPRESSANT_MONTHS = RULES.immunosuppressant_live_vaccine_delay_months.value
CORTICOSTEROID_MONTHS = RULES.corticosteroid_live_vaccine_delay_months.value
ANTI_CD20_MONTHS = RULES.anti_cd20_live_vaccine_delay_months.value
CHEMOTHERAPY_MONTHS = RULES.chemotherapy_live_vaccine_delay_months.value

CASES = [
    Case("HIV infection: CD4 count and the HIV physician first", patient(ADULT, conditions=(HIV,)),
         Contraindication.HIV_INFECTION,
         frozenset({"mmr.explain.contraindication.hiv-infection", "mmr.fact.hiv-infection"})),
    Case("leukaemia", patient(CHILD, conditions=(LEUKAEMIA,)), Contraindication.IMMUNOCOMPROMISING_CONDITION,
         frozenset({"mmr.explain.contraindication.immunocompromising-condition",
                    "mmr.fact.immunocompromising-condition"})),
    Case("kidney transplant", patient(ADULT, conditions=(KIDNEY_GRAFT,)),
         Contraindication.IMMUNOCOMPROMISING_CONDITION),
    Case("methotrexate taken", patient(ADULT, medications=(METHOTREXATE,)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT,
         frozenset({"mmr.explain.contraindication.immunosuppressive-treatment",
                    "mmr.fact.immunosuppressive-treatment"})),
    Case("a biologic (infliximab) taken", patient(ADULT, medications=(INFLIXIMAB,)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("a chemotherapy taken", patient(CHILD, medications=(CHEMOTHERAPY,)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("prednisone, dose unknown: check the dose", patient(ADULT, medications=(PREDNISONE,)),
         Contraindication.SYSTEMIC_CORTICOSTEROID,
         frozenset({"mmr.explain.contraindication.systemic-corticosteroid", "mmr.fact.systemic-corticosteroid"})),
    Case("a treatment whose status is not stated counts",
         patient(ADULT, medications=(treatment(Concept.IMMUNOSUPPRESSANT, status=MedicationStatus.UNSTATED),)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("a treatment stopped on a day not recorded counts",
         patient(ADULT, medications=(treatment(Concept.IMMUNOSUPPRESSANT, status=MedicationStatus.FINISHED),)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT, frozenset({"mmr.fact.immunosuppressive-treatment"})),
    Case("an immunosuppressant stopped on the last day of its delay counts",
         patient(ADULT, medications=(
             stopped(Concept.IMMUNOSUPPRESSANT, on=_last_day_inside(IMMUNOSUPPRESSANT_MONTHS)),)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT, frozenset({"mmr.fact.immunosuppressive-treatment-stopped"})),
    Case("a corticosteroid stopped on the last day of its delay counts",
         patient(ADULT, medications=(
             stopped(Concept.SYSTEMIC_GLUCOCORTICOID, on=_last_day_inside(CORTICOSTEROID_MONTHS)),)),
         Contraindication.SYSTEMIC_CORTICOSTEROID, frozenset({"mmr.fact.systemic-corticosteroid-stopped"})),
    Case("an anti-CD20 stopped on the last day of its delay counts",
         patient(ADULT, medications=(
             stopped(Concept.ANTI_CD20_ANTIBODY, on=_last_day_inside(ANTI_CD20_MONTHS)),)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("infant due for the first dose, on a chemotherapy", patient(INFANT, medications=(CHEMOTHERAPY,)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("nurse born before 1980 on infliximab",
         patient(NURSE_BORN_1975, occupations=frozenset({Concept.HEALTHCARE_PROFESSIONAL}), medications=(INFLIXIMAB,)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
    Case("woman born before 1980 (rubella) with HIV", patient(WOMAN_BORN_1970, Sex.FEMALE, conditions=(HIV,)),
         Contraindication.HIV_INFECTION),
    Case("a lymphoma in remission still waits for the specialist", patient(ADULT, conditions=(LYMPHOMA_IN_REMISSION,)),
         Contraindication.IMMUNOCOMPROMISING_CONDITION,
         frozenset({"mmr.fact.immunocompromising-condition-remission"})),
    Case("a chemotherapy stopped on the last day of its delay counts",
         patient(CHILD, medications=(stopped(Concept.ANTINEOPLASTIC, on=_last_day_inside(CHEMOTHERAPY_MONTHS)),)),
         Contraindication.IMMUNOSUPPRESSIVE_TREATMENT),
]
SCENARIOS = [
    Scenario(patient(None, medications=(METHOTREXATE,)), NOW, orders(mmr_order())),  # no birth date
    Scenario(patient(CHILD, conditions=(LEUKAEMIA,)), NOW, orders(mmr_order())),
    Scenario(patient(ADULT, medications=(PREDNISONE,)), NOW, orders(mmr_order())),
    Scenario(patient(ADULT, conditions=(HIV,)), NOW, orders(mmr_order())),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_live_vaccine_is_never_proposed(case: Case) -> None:
    advice = only(case.scenario.run())
    assert (advice.rule, advice.indicator) == ("mmr.contraindicated.immunodeficiency", Indicator.WARNING)
    found = keys(advice)
    assert {f"mmr.summary.contraindicated.{case.contraindication.value}", *case.keys} <= found
    assert not any(isinstance(a, ProposeMedication) for a in actions(advice))  # no ready prescription
    assert {d.status for d in forecast_of(advice).forecast.doses} == {ForecastStatus.CONTRAINDICATED}
    # the forecast operation says the same, with the reason
    recommendation = mmr_forecast(case.record, NOW).recommendation
    assert recommendation is not None and recommendation.doses
    for dose in recommendation.doses:
        assert dose.status == ForecastStatus.CONTRAINDICATED
        assert dose.reason is not None and dose.reason.params["reason"] == contraindication_name(case.contraindication)


@pytest.mark.parametrize(
    ("concepts", "months"),
    [
        ((Concept.IMMUNOSUPPRESSANT,), IMMUNOSUPPRESSANT_MONTHS),
        ((Concept.SYSTEMIC_GLUCOCORTICOID,), CORTICOSTEROID_MONTHS),
        ((Concept.ANTI_CD20_ANTIBODY,), ANTI_CD20_MONTHS),
        ((Concept.ANTINEOPLASTIC,), CHEMOTHERAPY_MONTHS),
    ],
    ids=["immunosuppressant", "corticosteroid", "anti-cd20", "chemotherapy"],
)
def test_a_treatment_stopped_longer_ago_than_its_delay_no_longer_counts(
    concepts: tuple[Concept, ...], months: int
) -> None:
    inside = patient(ADULT, medications=(stopped(*concepts, on=_last_day_inside(months)),))
    outside = patient(ADULT, medications=(stopped(*concepts, on=_first_day_outside(months)),))
    finding = assess_safety(inside, TODAY, RULES).findings[0]
    assert finding.wait_until == TODAY + timedelta(days=1)
    assert not assess_safety(outside, TODAY, RULES).contraindicated
    assert only(Scenario(outside, NOW).run()).rule == "mmr.catch-up"


def test_the_longest_delay_of_a_medicine_in_two_families_applies() -> None:
    """Rituximab is an anti-CD20 and an antineoplastic: the longer of the two delays."""
    months = max(ANTI_CD20_MONTHS, CHEMOTHERAPY_MONTHS)
    record = patient(ADULT, medications=(stopped(Concept.ANTI_CD20_ANTIBODY, Concept.ANTINEOPLASTIC,
                                                 on=_last_day_inside(months)),))
    assert assess_safety(record, TODAY, RULES).findings[0].delay_months == months


def test_an_immunosuppressant_with_a_corticosteroid_is_an_immunosuppressive_treatment_whatever_the_dose() -> None:
    record = patient(ADULT, medications=(PREDNISONE, METHOTREXATE))
    found = {f.contraindication for f in assess_safety(record, TODAY, RULES).findings}
    assert found == {Contraindication.IMMUNOSUPPRESSIVE_TREATMENT, Contraindication.SYSTEMIC_CORTICOSTEROID}


def test_a_condition_no_longer_active_does_not_count() -> None:
    record = patient(ADULT, conditions=(condition(Concept.IMMUNOCOMPROMISING_CONDITION, "Lymphome", active=False),))
    assert only(Scenario(record, NOW).run()).rule == "mmr.catch-up"


def test_the_card_names_the_treatment_as_recorded_and_cites_its_source() -> None:
    advice = only(Scenario(patient(ADULT, medications=(METHOTREXATE,)), NOW).run())
    facts = [m for m in advice.facts if m.key == "mmr.fact.immunosuppressive-treatment"]
    assert [m.params["recorded"] for m in facts] == ["Méthotrexate 25 mg/semaine"]
    assert RULES.immunosuppressive_treatment_contraindication.ref in advice.guideline


def test_a_stopped_treatment_says_when_a_live_vaccine_may_be_considered() -> None:
    ended = _last_day_inside(IMMUNOSUPPRESSANT_MONTHS)
    advice = only(Scenario(patient(ADULT, medications=(stopped(Concept.IMMUNOSUPPRESSANT, on=ended),)), NOW).run())
    (fact,) = [m for m in advice.facts if m.key == "mmr.fact.immunosuppressive-treatment-stopped"]
    assert (fact.params["stopped"], fact.params["until"]) == (ended, add_months(ended, IMMUNOSUPPRESSANT_MONTHS))


def test_a_child_with_leukaemia_in_contact_with_measles_gets_immunoglobulins_never_a_vaccine() -> None:
    contact = measles_contact(NOW - timedelta(hours=48))
    record = patient(CHILD, conditions=(LEUKAEMIA,), exposures=(contact,))
    advices = Scenario(record, NOW).run()
    first = advices[0]
    assert first.rule.startswith("mmr.post-exposure.immunoglobulin"), rules_of(advices)
    assert first.indicator == Indicator.CRITICAL
    assert "mmr.explain.ig.immunodeficiency" in keys(first)
    assert not any(isinstance(a, ProposeMedication) and "ROR" in str(a) for adv in advices for a in actions(adv))


@pytest.mark.parametrize(
    "medication", [METHOTREXATE, PREDNISONE, RITUXIMAB], ids=["methotrexate", "prednisone", "rituximab"]
)
def test_an_immunosuppressed_contact_gets_immunoglobulins_within_the_window(medication: MedicationFact) -> None:
    contact = measles_contact(NOW - timedelta(hours=48))
    advices = Scenario(patient(ADULT, medications=(medication,), exposures=(contact,)), NOW).run()
    assert "mmr.explain.ig.immunodeficiency" in keys(advices[0])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=["undated-methotrexate", "leukaemia", "prednisone", "hiv"])
def test_a_draft_mmr_order_gets_a_critical_card_that_removes_it(scenario: Scenario) -> None:
    advice = only(scenario.run())
    assert (advice.rule, advice.indicator) == ("mmr.order.remove", Indicator.CRITICAL)
    assert any(isinstance(a, RemoveDraftOrder) for a in actions(advice))
