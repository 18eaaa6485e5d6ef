"""Vaccination of contacts around a case (clinical.md §A.8)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from prevention_cds.rules.advice import Medicine, ProposeImmunization, ProposeMedication, Route
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import Exposure, IimSerogroup, VaccineDose

from .builders import TODAY, born_years_ago, evaluate, exposure, keys, only, record, rules_of

ADULT = born_years_ago(30)
CHILD = born_years_ago(3)
C, B, W = IimSerogroup.C, IimSerogroup.B, IimSerogroup.W


def _dose(concept: Concept, given: date) -> VaccineDose:
    return VaccineDose(given, frozenset({concept}), f"vaccin {concept}", "Immunization/i")


@dataclass(frozen=True)
class Case:
    id: str
    vaccinate: bool
    reason: str | None = None  # the message saying why not, on the prophylaxis card
    born: date = ADULT
    exposed: Exposure = field(default_factory=lambda: exposure("household", serogroup=C))
    doses: tuple[VaccineDose, ...] = ()
    kg: str | None = "14"
    rejected_fact: bool = False  # a previous dose of a relevant vaccine shown as not counted


CASES = [
    Case("serogroup C, household", True),
    Case("serogroup A", True, exposed=exposure("household", serogroup=IimSerogroup.A)),
    Case("serogroup W, close friend", True, exposed=exposure("close-friend", serogroup=W)),
    Case(
        "serogroup Y, crèche section",
        True,
        born=CHILD,
        exposed=exposure("creche-same-section", serogroup=IimSerogroup.Y),
    ),
    Case("serogroup B", False, "iim.vaccination.serogroup-not-covered", exposed=exposure("household", serogroup=B)),
    Case(
        "serogroup unknown",
        False,
        "iim.vaccination.serogroup-unknown",
        exposed=exposure("household", serogroup=IimSerogroup.UNKNOWN),
    ),
    Case(
        "serogroup not recorded",
        False,
        "iim.vaccination.serogroup-unknown",
        exposed=exposure("household", serogroup=None),
    ),
    Case(
        "health worker: not the close circle",
        False,
        "iim.vaccination.not-close-circle",
        exposed=exposure("healthcare-airway-unmasked", serogroup=C),
    ),
    Case("day 10 after the last contact", True, exposed=exposure("household", days_ago=10, serogroup=C)),
    Case(
        "ACWY 2 years ago at age 28: counts",
        False,
        "iim.vaccination.already-protected",
        doses=(_dose(Concept.MENACWY_VACCINE, TODAY - timedelta(days=730)),),
    ),
    Case(
        "ACWY 5 years ago to the day: does not count",
        True,
        doses=(_dose(Concept.MENACWY_VACCINE, born_years_ago(5)),),
        rejected_fact=True,
    ),
    Case(
        "ACWY at 8 months of age: does not count",
        True,
        born=CHILD,
        doses=(_dose(Concept.MENACWY_VACCINE, CHILD + timedelta(days=240)),),
        rejected_fact=True,
    ),
    Case(
        "MenC for a C case: counts",
        False,
        "iim.vaccination.already-protected",
        doses=(_dose(Concept.MENC_VACCINE, TODAY - timedelta(days=400)),),
    ),
    Case(
        "MenC for a W case: does not count",
        True,
        exposed=exposure("household", serogroup=W),
        doses=(_dose(Concept.MENC_VACCINE, TODAY - timedelta(days=400)),),
    ),
    Case(
        "infant of 30 days: too young within the window",
        False,
        "iim.vaccination.too-young",
        born=TODAY - timedelta(days=30),
        kg="4",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_contact_vaccination(case: Case) -> None:
    advice = evaluate(record(case.born, kg=case.kg, exposures=(case.exposed,), doses=case.doses))
    assert ("iim.vaccination" in rules_of(advice)) is case.vaccinate
    if case.vaccinate:
        card = only(advice, "iim.vaccination")
        actions = card.suggestions[0].actions
        assert [type(a) for a in actions] == [ProposeImmunization, ProposeMedication]
        forecast = actions[0].forecast  # type: ignore[union-attr]
        assert forecast.vaccine is Medicine.MENACWY_CONJUGATE_VACCINE
        medication = actions[1].proposal  # type: ignore[union-attr]
        assert (medication.route, medication.schedule.count, medication.dose_mg) == (Route.INTRAMUSCULAR, 1, None)
        assert ("iim.fact.prior-dose-rejected" in keys(card.facts)) is case.rejected_fact
    else:
        assert case.reason in keys(advice[0].explanation)


def test_infant_eligible_during_the_window_gets_the_dose_from_six_weeks() -> None:
    born = TODAY - timedelta(days=35)
    advice = evaluate(record(born, kg="4.5", exposures=(exposure("household", days_ago=0, serogroup=C),)))
    forecast = only(advice, "iim.vaccination").suggestions[0].actions[0].forecast  # type: ignore[union-attr]
    assert forecast.doses[0].earliest == born + timedelta(days=42)


def test_already_covered_contact_still_gets_the_vaccination_card() -> None:
    exposed = exposure("household", days_ago=3, serogroup=C, prior_prophylaxis_ended_on=TODAY - timedelta(days=1))
    assert rules_of(evaluate(record(ADULT, exposures=(exposed,)))) == ["iim.already-covered", "iim.vaccination"]


def test_a_serogroup_b_cluster_sends_to_the_ars_without_the_sporadic_sentence() -> None:
    from prevention_cds.rules.facts import IimSerogroup

    from .builders import born_years_ago, evaluate, exposure, keys, record

    cluster = exposure(serogroup=IimSerogroup.B, repeated_case_in_community=True)
    card = evaluate(record(born_years_ago(30), exposures=(cluster,)))[0]
    said = keys(card.explanation)
    assert "iim.cluster.contact-ars" in said and "iim.vaccination.cluster-ars" in said
    assert "iim.vaccination.serogroup-not-covered" not in said
    sporadic = evaluate(record(born_years_ago(30), exposures=(exposure(serogroup=IimSerogroup.B),)))[0]
    assert "iim.vaccination.serogroup-not-covered" in keys(sporadic.explanation)
    assert "iim.cluster.contact-ars" not in keys(sporadic.explanation)


PRODUCTS_BY_AGE = [
    # (age in days on the day of the dose, products key): under 12 months only Nimenrix is licensed
    (60, "iim.vaccine.products.nimenrix"),
    (364, "iim.vaccine.products.nimenrix"),
    (366, "iim.vaccine.products.nimenrix-menquadfi"),
    (800, "iim.vaccine.products.nimenrix-menquadfi-menveo"),
]


@pytest.mark.parametrize(("days_old", "products"), PRODUCTS_BY_AGE)
def test_the_vaccine_is_the_one_licensed_at_the_patient_age(days_old: int, products: str) -> None:
    from datetime import timedelta

    from prevention_cds.rules.facts import IimSerogroup

    from .builders import TODAY, evaluate, exposure, only, record

    rec = record(TODAY - timedelta(days=days_old), kg="8" if days_old < 400 else "12",
                 exposures=(exposure(serogroup=IimSerogroup.W),))
    card = only(evaluate(rec), "iim.vaccination")
    due = next(m for m in card.explanation if m.key == "iim.vaccination.due")
    assert due.params["products"].key == products  # type: ignore[union-attr]
    infant = days_old < 365
    assert any(m.key == "iim.vaccination.infant-calendar" for m in card.explanation) is infant


@pytest.mark.parametrize("serogroup", [None, IimSerogroup.UNKNOWN])
def test_the_dated_step_of_an_unknown_serogroup_is_on_the_card(serogroup: IimSerogroup | None) -> None:
    rec = record(born_years_ago(36), exposures=(exposure(serogroup=serogroup),))
    card = only(evaluate(rec), "iim.prophylaxis.rifampicin")
    step = next(m for m in card.explanation if m.key == "iim.vaccination.serogroup-unknown")
    assert step.decisive and step.params["last_day"] == TODAY - timedelta(days=1) + timedelta(days=10)


def test_the_recommendation_carries_the_latest_date_to_give() -> None:
    """The vaccination window's last day is the dose's 'latest date to give' (LOINC 59777-3), as the card's
    deadline."""
    advice = evaluate(record(born_years_ago(30), exposures=(exposure(serogroup=IimSerogroup.W, days_ago=2),)))
    card = only(advice, "iim.vaccination")
    forecast = next(
        a.forecast for s in card.suggestions for a in s.actions if isinstance(a, ProposeImmunization)
    )
    dose = forecast.doses[0]
    assert dose.latest == TODAY - timedelta(days=2) + timedelta(days=10) == card.deadline
    assert dose.earliest == TODAY
