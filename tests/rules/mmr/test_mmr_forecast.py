"""The MMR forecast (``$immds-forecast``) on the rule-suite scenarios (issue 19 §1): every dose of the record
evaluated as the cards judge it, every dose still owed with its dates — future ones included — and, on every
scenario, the same doses, statuses and dates as the CDS Hooks card."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from advice_messages import forecast_messages, render_strict
from prevention_cds.fhir_out.forecast import forecast_parameters
from prevention_cds.rules.advice import (
    DoseEvaluation,
    EvaluationReason,
    ForecastStatus,
    ProposeImmunization,
    VaccinationForecast,
)
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.mmr.forecast import REASONS, mmr_forecast
from prevention_cds.rules.mmr.validity import RejectionReason
from support.emitted import resource_problems

from . import forecast_records, test_mmr_dose_evaluation
from .records import (
    IMMUNODEFICIENCY,
    Scenario,
    actions,
    at,
    born,
    measles,
    measles_contact,
    mmr,
    patient,
    pregnant,
    yellow_fever,
)
from .suite import forecast_of, patient_view_scenarios

S = ForecastStatus
R = EvaluationReason
INFANT = born(2024, 6, 10)


Owed = tuple[int | None, S, date | None, date | None, date | None]  # dose number, status, earliest, due, overdue


def _owed(forecast: VaccinationForecast) -> list[Owed]:
    assert forecast.recommendation is not None, forecast.not_computed
    return [(d.dose_number, d.status, d.earliest, d.due, d.overdue) for d in forecast.recommendation.doses]


def _reasons(evaluation: DoseEvaluation) -> frozenset[R]:
    return frozenset(reason.kind for reason in evaluation.reasons)


# --- the acceptance cases of the issue ------------------------------------------------------------------------


def test_an_11_month_old_gets_its_two_future_doses_with_their_dates() -> None:
    scenario = Scenario(patient(INFANT), at(2025, 5, 10))
    assert scenario.run() == ()  # nothing to do today: no card
    forecast = forecast_of(scenario)
    assert forecast.assessed_on == date(2025, 5, 10) and forecast.evaluations == ()
    assert _owed(forecast) == [
        (1, S.DUE, date(2025, 6, 10), date(2025, 6, 10), date(2025, 7, 10)),  # 12 months, late from 13
        (2, S.DUE, date(2025, 7, 8), date(2025, 10, 10), date(2026, 1, 10)),  # 28 days after dose 1; 16 months
    ]
    assert {d.series_doses for d in forecast.recommendation.doses} == {2}  # type: ignore[union-attr]


def test_a_13_month_old_vaccinated_20_days_ago_gets_dose_2_from_28_days_due_at_16_months() -> None:
    forecast = mmr_forecast(patient(INFANT, doses=(mmr(date(2025, 6, 20), "d1"),)), at(2025, 7, 10))
    (evaluation,) = forecast.evaluations
    assert evaluation.valid and (evaluation.dose_number, evaluation.series_doses) == (1, 2)
    assert evaluation.immunization == "Immunization/d1" and evaluation.given_on == date(2025, 6, 20)
    assert _owed(forecast) == [(2, S.DUE, date(2025, 7, 18), date(2025, 10, 10), date(2026, 1, 10))]
    assert forecast.recommendation is not None
    assert forecast.recommendation.supporting_immunizations == ("Immunization/d1",)


# --- future dates where no card shows them --------------------------------------------------------------------

FUTURE: list[tuple[str, PatientRecord, datetime, list[Owed]]] = [
    ("11 months 30 days", patient(INFANT), at(2025, 6, 9), [
        (1, S.DUE, date(2025, 6, 10), date(2025, 6, 10), date(2025, 7, 10)),
        (2, S.DUE, date(2025, 7, 8), date(2025, 10, 10), date(2026, 1, 10)),
    ]),
    ("14 months with dose 1 at 12 months: dose 2 at 16 months", patient(INFANT, doses=(mmr(date(2025, 6, 10)),)),
     at(2025, 8, 10), [(2, S.DUE, date(2025, 7, 8), date(2025, 10, 10), date(2026, 1, 10))]),
    ("infant of 3 months", patient(born(2025, 3, 1)), at(2025, 6, 1), [
        (1, S.DUE, date(2026, 3, 1), date(2026, 3, 1), date(2026, 4, 1)),
        (2, S.DUE, date(2026, 3, 29), date(2026, 7, 1), date(2026, 10, 1)),
    ]),
    # a birth month only: counted from its last day, late from its first
    ("born in June 2024, seen 20 June 2025", patient(born(2024, 6)), at(2025, 6, 20), [
        (1, S.DUE, date(2025, 6, 30), date(2025, 6, 30), date(2025, 7, 1)),
        (2, S.DUE, date(2025, 7, 28), date(2025, 10, 30), date(2026, 1, 1)),
    ]),
    ("born 2017: both doses overdue now, dose 2 from 28 days after dose 1", patient(born(2017, 12, 31)),
     at(2025, 1, 10), [
        (1, S.OVERDUE, None, date(2025, 1, 10), None),
        (2, S.OVERDUE, date(2025, 2, 7), date(2025, 2, 7), None),
    ]),
]


@pytest.mark.parametrize(("record", "now", "owed"), [c[1:] for c in FUTURE], ids=[c[0] for c in FUTURE])
def test_every_owed_dose_has_its_dates(record: PatientRecord, now: datetime, owed: list[Owed]) -> None:
    found = _owed(mmr_forecast(record, now))
    assert len(found) == len(owed)
    for actual, wanted in zip(found, owed, strict=True):  # None: not compared
        assert all(w is None or a == w for a, w in zip(actual, wanted, strict=True)), (actual, wanted)


def test_a_complete_series_and_a_presumed_immune_adult_stand_without_a_dose() -> None:
    complete = mmr_forecast(patient(born(1990, 1, 1), doses=(mmr(date(1991, 1, 1)), mmr(date(1995, 1, 1)))),
                            at(2025, 6, 1))
    assert _owed(complete) == [(None, S.COMPLETE, None, None, None)]
    assert [e.dose_number for e in complete.evaluations] == [1, 2]
    immune = mmr_forecast(patient(born(1975, 3, 3)), at(2025, 6, 1))
    assert _owed(immune) == [(None, S.IMMUNE, None, None, None)]
    assert immune.recommendation is not None and immune.recommendation.doses[0].series_doses is None


# --- every dose evaluation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", test_mmr_dose_evaluation.CASES, ids=[c.name for c in test_mmr_dose_evaluation.CASES])
def test_each_dose_is_evaluated_as_the_cards_judge_it(case: test_mmr_dose_evaluation.Case) -> None:
    forecast = mmr_forecast(case.record, test_mmr_dose_evaluation.TODAY)
    assert tuple(_reasons(e) for e in forecast.evaluations) == tuple(
        frozenset(REASONS[r] for r in expected) for expected in case.expected
    )
    valid = [e for e in forecast.evaluations if e.valid]
    assert [e.dose_number for e in valid] == list(range(1, len(valid) + 1))
    assert all(e.dose_number is None and e.reasons for e in forecast.evaluations if not e.valid)
    assert all(reason.text.key.startswith("mmr.") for e in forecast.evaluations for reason in e.reasons)


def test_every_reason_a_dose_does_not_count_has_its_evaluation_reason() -> None:
    assert set(REASONS) == set(RejectionReason)


def test_a_dose_the_same_day_as_yellow_fever_under_2_years_is_not_valid() -> None:
    record = patient(born(2024, 1, 15), doses=(mmr(date(2025, 3, 1)), yellow_fever(date(2025, 3, 1))))
    (evaluation,) = mmr_forecast(record, at(2025, 6, 1)).evaluations
    assert _reasons(evaluation) == {R.YELLOW_FEVER_SAME_DAY}


def test_a_dose_after_the_assessment_date_is_not_evaluated_and_says_so() -> None:
    (evaluation,) = mmr_forecast(patient(INFANT, doses=(mmr(date(2025, 9, 1)),)), at(2025, 7, 10)).evaluations
    assert _reasons(evaluation) == {R.AFTER_ASSESSMENT}
    assert evaluation.reasons[0].text.params["assessed_on"] == date(2025, 7, 10)


def test_doses_not_done_entered_in_error_or_undated_are_not_valid() -> None:
    forecast = forecast_of(forecast_records.NOT_GIVEN)
    assert [(e.immunization, e.valid, _reasons(e), e.dose_number) for e in forecast.evaluations] == [
        ("Immunization/given", True, frozenset(), 1),
        ("Immunization/refused", False, {R.NOT_DONE}, None),
        ("Immunization/typo", False, {R.ENTERED_IN_ERROR}, None),
        ("Immunization/old", False, {R.UNREADABLE_DATE}, None),
    ]
    assert _owed(forecast)[0][:2] == (2, S.DUE)  # only the given dose counts
    assert any(n.key == "record.unreadable.mmr-dose.one" for n in forecast.record_notes)


# --- what cannot be computed, and what the forecast does not carry -----------------------------------------------


@pytest.mark.parametrize(("scenario", "key"), [
    (Scenario(patient(None), at(2025, 6, 1)), "mmr.explain.missing-birth-date"),
    (forecast_records.UNREADABLE_BIRTH_DATE, "mmr.forecast.not-computed.unreadable-birth-date"),
    (forecast_records.DECEASED, "mmr.forecast.not-computed.deceased"),
], ids=["no birth date", "unreadable birth date", "deceased"])
def test_without_a_readable_birth_date_no_forecast_is_computed_and_the_answer_says_why(
    scenario: Scenario, key: str
) -> None:
    forecast = forecast_of(scenario)
    assert forecast.recommendation is None and forecast.evaluations == ()
    assert forecast.not_computed is not None and forecast.not_computed.key == key


def test_a_measles_case_now_makes_every_owed_dose_contraindicated_without_a_date() -> None:
    record = patient(born(2020, 1, 1), conditions=(measles(date(2025, 5, 28)),))
    forecast = mmr_forecast(record, at(2025, 6, 1))
    assert _owed(forecast) == [(1, S.CONTRAINDICATED, None, None, None), (2, S.CONTRAINDICATED, None, None, None)]
    assert forecast.recommendation is not None
    assert {d.reason.key for d in forecast.recommendation.doses if d.reason} == {"mmr.explain.measles-case.no-dose"}


def test_pregnancy_puts_the_doses_after_the_expected_delivery() -> None:
    record = patient(born(1995, 2, 2), Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1), date(2025, 11, 20)))
    owed = _owed(mmr_forecast(record, at(2025, 6, 1)))
    assert [(n, s, e) for n, s, e, _, _ in owed] == [
        (1, S.CONTRAINDICATED, date(2025, 11, 20)), (2, S.CONTRAINDICATED, date(2025, 12, 18))]


def test_immunoglobulins_after_a_contact_are_a_notice_with_the_cards_deadline() -> None:
    contact = measles_contact(at(2025, 5, 30, 9))
    scenario = Scenario(patient(born(1990, 1, 1), conditions=(IMMUNODEFICIENCY,), exposures=(contact,)),
                        at(2025, 6, 1))
    card = next(a for a in scenario.run() if a.rule == "mmr.post-exposure.immunoglobulin")
    (notice,) = forecast_of(scenario).notices
    assert notice.key == "mmr.forecast.notice.immunoglobulin" and notice.params["deadline"] == card.deadline


# --- the card and the forecast agree, on every scenario of the rule suite ---------------------------------------

AGREEMENT = patient_view_scenarios()
DOSE_FACTS = ("mmr.fact.dose-counted", "mmr.fact.dose-counted-mmrv", "mmr.fact.dose-rejected")


def test_the_rule_suite_has_many_patient_view_scenarios() -> None:
    assert len(AGREEMENT) >= 60


@pytest.mark.parametrize("scenario", AGREEMENT, ids=[f"scenario-{n}" for n in range(len(AGREEMENT))])
def test_the_card_and_the_forecast_agree(scenario: Scenario) -> None:
    advices = [a for a in scenario.run() if a.rule.startswith("mmr.")]
    rules = {a.rule for a in advices}
    forecast = forecast_of(scenario)
    today = scenario.now.date()
    assert forecast.assessed_on == today
    if scenario.record.deceased:  # the services give no card then (evaluate_patient): no forecast either
        assert forecast.recommendation is None and forecast.not_computed is not None
        return
    if scenario.record.birth_date is None:  # the card asks for it (a measles case's card comes first)
        assert forecast.recommendation is None and forecast.not_computed is not None
        assert rules & {"mmr.missing-birth-date", "mmr.measles-case"}, rules
        return
    assert forecast.recommendation is not None
    doses = forecast.recommendation.doses
    proposed = [act.forecast for a in advices for act in actions(a) if isinstance(act, ProposeImmunization)]
    if proposed:  # the card's recommendation: every dose, its status, its dates and its reason
        (card,) = proposed
        assert doses == card.doses
        assert forecast.recommendation.supporting_immunizations == card.supporting_immunizations
        assert forecast.recommendation.vaccine == card.vaccine
    elif "mmr.measles-case" in rules:
        assert all(d.status in (S.CONTRAINDICATED, S.COMPLETE, S.IMMUNE) and d.due is None for d in doses)
    elif "mmr.post-exposure.age-uncertain" not in rules:  # (that card stands for the others: the exact age first)
        # no card proposes a dose: none is owed, or the next one is not due yet
        first = doses[0]
        assert first.status in (S.COMPLETE, S.IMMUNE) or (first.status == S.DUE and first.due is not None
                                                           and first.due > today), (rules, first)
    if "mmr.post-exposure.age-uncertain" in rules:
        assert [n.key for n in forecast.notices] == ["mmr.explain.age-uncertain"]
    for advice in advices:
        if advice.rule == "mmr.post-exposure.immunoglobulin":
            assert [n.params.get("deadline") for n in forecast.notices] == [advice.deadline]
        dose_facts = [f for f in advice.facts if f.key in DOSE_FACTS]
        if dose_facts:  # the doses the card lists: valid or not, in the same order
            assert [e.valid for e in forecast.evaluations] == [f.key != "mmr.fact.dose-rejected" for f in dose_facts]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_forecast_of_the_suite_is_written_as_valid_fhir(language: str) -> None:
    """The answer of each scenario, written: valid R4B, every resource valid against the profile it claims, every
    text rendered with its placeholders (support/emitted.py validates the builders' resources too)."""
    for scenario in AGREEMENT:
        forecast = forecast_of(scenario)
        answer = forecast_parameters(forecast, "p1", language)
        assert resource_problems(answer) == []
        for parameter in answer["parameter"]:
            assert resource_problems(parameter["resource"]) == [], parameter["name"]
        for message in forecast_messages(forecast):
            render_strict(message, language)
