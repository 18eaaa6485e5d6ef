"""clinical.md §E, worked examples 3 to 6 (MMR)."""

from __future__ import annotations

from datetime import date, timedelta

from prevention_cds.rules.advice import ForecastStatus, Indicator, Medicine, Route
from prevention_cds.rules.facts import Sex

from .records import (
    Scenario,
    at,
    born,
    forecast_of,
    keys,
    measles_contact,
    medication_of,
    mmr,
    only,
    patient,
)

EXAMPLE_3 = Scenario(patient(born(1980, 1, 1), Sex.MALE), at(2025, 9, 1))
EXAMPLE_4_NOW = at(2025, 6, 12, 10)
EXAMPLE_4 = Scenario(
    patient(
        born(2024, 7, 10),
        Sex.FEMALE,
        exposures=(measles_contact(EXAMPLE_4_NOW - timedelta(hours=70), ident="Observation/measles-contact"),),
    ),
    EXAMPLE_4_NOW,
)
EXAMPLE_5 = Scenario(
    patient(born(2023, 3, 1), Sex.MALE, (mmr(date(2024, 2, 1), "d1"), mmr(date(2024, 7, 1), "d2"))),
    at(2025, 6, 15),
)
EXAMPLE_6 = Scenario(patient(born(2020, 5, 5), Sex.MALE), at(2025, 5, 20))
CASES = [EXAMPLE_3, EXAMPLE_4, EXAMPLE_5, EXAMPLE_6]


def test_example_3_born_1980_01_01_gets_two_doses_at_65_percent() -> None:
    advice = only(EXAMPLE_3.run())
    assert advice.rule == "mmr.catch-up"
    forecast = forecast_of(advice).forecast
    first, second = forecast.doses
    assert (first.dose_number, first.series_doses, second.dose_number) == (1, 2, 2)
    assert first.status == ForecastStatus.DUE and first.due == date(2025, 9, 1)
    assert second.earliest == date(2025, 9, 29)  # 28 days after dose 1
    assert forecast.supporting_immunizations == ()
    proposal = medication_of(advice).proposal
    assert proposal.medicine == Medicine.MMR_VACCINE and proposal.dose_mg is None
    assert proposal.route == Route.INTRAMUSCULAR and proposal.schedule.count == 1
    found = keys(advice)
    assert "mmr.cost.reimbursed-unless-ame" in found and "mmr.cost.free-minor" not in found
    assert "mmr.decision.born-since-inclusive" in {d.key for d in advice.decisions}  # 1980 included, on the card


def test_example_4_infant_within_72_hours_gets_an_uncounted_dose_then_two() -> None:
    advice = only(EXAMPLE_4.run())
    assert advice.rule == "mmr.post-exposure.dose"
    assert advice.indicator == Indicator.WARNING
    doses = forecast_of(advice).forecast.doses
    assert [d.dose_number for d in doses] == [1, 2, 3] and {d.series_doses for d in doses} == {3}
    pep, first, second = doses
    assert pep.due == date(2025, 6, 12)
    assert first.earliest == date(2025, 7, 10)  # 12 months, and 28 days after the post-exposure dose
    assert first.earliest is not None and second.earliest is not None
    assert second.earliest >= first.earliest + timedelta(days=28)
    assert second.due == date(2025, 11, 10)  # calendar: 16 months
    proposal = medication_of(advice).proposal
    assert proposal.reason_reference == "Observation/measles-contact"
    assert proposal.instruction.key == "mmr.instruction.post-exposure"
    found = keys(advice)
    assert {"mmr.cost.free-minor", "mmr.explain.pep.infant-uncounted", "mmr.explain.mandatory"} <= found


def test_example_5_dose_at_11_months_does_not_count_one_more_due_now() -> None:
    advice = only(EXAMPLE_5.run())
    assert advice.rule == "mmr.catch-up"
    forecast = forecast_of(advice).forecast
    (dose,) = forecast.doses
    assert (dose.dose_number, dose.series_doses) == (2, 2)
    assert dose.due == date(2025, 6, 15)  # due now
    assert dose.status == ForecastStatus.OVERDUE  # past the 16–18-month window (docs/clinical-decisions.md)
    assert forecast.supporting_immunizations == ("Immunization/d2",)
    rejected = [f for f in advice.facts if f.key == "mmr.fact.dose-rejected"]
    assert len(rejected) == 1
    reasons = rejected[0].params["reasons"]
    assert isinstance(reasons, tuple) and [r.key for r in reasons] == ["mmr.reject.too-young"]


def test_example_6_mandatory_cohort_child_with_no_dose_is_overdue() -> None:
    advice = only(EXAMPLE_6.run())
    assert advice.rule == "mmr.catch-up" and advice.indicator == Indicator.WARNING
    first, second = forecast_of(advice).forecast.doses
    assert first.status == ForecastStatus.OVERDUE and first.due == date(2025, 5, 20)
    assert second.earliest == date(2025, 6, 17)
    found = keys(advice)
    assert {"mmr.explain.mandatory", "mmr.cost.free-minor"} <= found
