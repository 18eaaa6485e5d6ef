"""The MMR forecast (``$immds-forecast``): on the day of the assessment, every MMR dose of the record evaluated —
valid with its place in the series, or not valid with every reason — and every dose still owed with its dates,
future ones included. The assessment, the dose verdicts and the plan are those of the ``ror-vaccination`` cards
(``assessment.py``, ``dose_evaluation.py``, ``owed.py``): the forecast lists what the cards propose from.

What a forecast cannot hold is said, never guessed: without a readable birth date, or for a deceased patient, none
is computed and the answer says why; a measles case now makes every owed dose contraindicated while ill; what the
forecast does not carry — a measure after a measles contact that is not a dose (immunoglobulins, an exact age to
find out), a value of the record that cannot be read — is a notice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime

from prevention_cds.rules.advice import (
    DoseEvaluation,
    DoseReason,
    EvaluationReason,
    ForecastDose,
    ForecastStatus,
    Message,
    VaccinationForecast,
)
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import NotGivenStatus, PatientRecord, RecordElement
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment, assess
from prevention_cds.rules.mmr.cards.parts import MMR_DISEASES, forecast
from prevention_cds.rules.mmr.dose_evaluation import MMR_CONCEPTS, DoseVerdict
from prevention_cds.rules.mmr.measles_case import current_case
from prevention_cds.rules.mmr.owed import owed_doses, owed_while_ill
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import ExposureAssessment, Response
from prevention_cds.rules.mmr.validity import Obstacle, RejectionReason
from prevention_cds.rules.mmr.wording import dose_name, obstacle_message, vaccine_name
from prevention_cds.rules.record_notes import record_notes

RULE_SET = "mmr"  # whose record notes the forecast carries (rules/record_notes.py)
SERIES = Message.of("mmr.forecast.series")
REASONS: Mapping[RejectionReason, EvaluationReason] = {
    RejectionReason.TOO_YOUNG: EvaluationReason.TOO_YOUNG,
    RejectionReason.DUPLICATE: EvaluationReason.DUPLICATE,
    RejectionReason.TOO_SOON: EvaluationReason.TOO_SOON,
    RejectionReason.LIVE_VACCINE: EvaluationReason.LIVE_VACCINE,
    RejectionReason.IMMUNOGLOBULIN: EvaluationReason.IMMUNOGLOBULIN,
    RejectionReason.YELLOW_FEVER_SAME_DAY: EvaluationReason.YELLOW_FEVER_SAME_DAY,
    RejectionReason.FUTURE_DATE: EvaluationReason.AFTER_ASSESSMENT,
}
NOT_GIVEN: Mapping[NotGivenStatus, tuple[EvaluationReason, str]] = {
    NotGivenStatus.NOT_DONE: (EvaluationReason.NOT_DONE, "mmr.evaluation.not-done"),
    NotGivenStatus.ENTERED_IN_ERROR: (EvaluationReason.ENTERED_IN_ERROR, "mmr.evaluation.entered-in-error"),
}


def mmr_forecast(record: PatientRecord, now: datetime) -> VaccinationForecast:
    """The forecast on ``now``'s day (the assessment date), from the record the services build."""
    today = now.date()
    rules = MmrParameters.on(today)
    notes = record_notes(record, RULE_SET)
    if record.deceased:
        return _not_computed(today, rules, Message.of("mmr.forecast.not-computed.deceased"), (), notes)
    assessment = assess(record, now, rules)
    if isinstance(assessment, UndatedAssessment):
        return _not_computed(today, rules, _why_undated(record, rules), _exposure_notices(assessment), notes)
    a = assessment
    notices: tuple[Message, ...] = ()
    uncounted = 0
    if current_case(record, today, rules) is not None:  # ill: no contact measure either (the case card's rule)
        owed = owed_while_ill(a)
    else:
        found = owed_doses(a)
        owed = found.doses if found is not None else ()
        uncounted = found.uncounted if found is not None else 0
        notices = _exposure_notices(a)
    return VaccinationForecast(
        assessed_on=today,
        vaccine=a.product,
        target_diseases=MMR_DISEASES,
        series=SERIES,
        evaluations=(*_evaluations(a), *_not_given(record, a), *_undated_doses(record, a)),
        recommendation=forecast(a, owed or (_standing(a),), uncounted),
        notices=notices,
        record_notes=notes,
    )


def _not_computed(
    today: date, rules: MmrParameters, why: Message, notices: tuple[Message, ...], notes: tuple[Message, ...]
) -> VaccinationForecast:
    return VaccinationForecast(
        assessed_on=today,
        vaccine=rules.default_product.value,
        target_diseases=MMR_DISEASES,
        series=SERIES,
        evaluations=(),
        recommendation=None,
        not_computed=why,
        notices=notices,
        record_notes=notes,
    )


def _why_undated(record: PatientRecord, rules: MmrParameters) -> Message:
    cutoff, min_months = rules.born_since_cutoff.value, rules.min_age_months.value
    unreadable = record.unreadable_birth_date
    if unreadable is not None:
        return Message.of(
            "mmr.forecast.not-computed.unreadable-birth-date",
            birth_date=Message.of("record.quoted", text=unreadable),
            cutoff=cutoff,
            min_months=min_months,
        )
    return Message.of("mmr.explain.missing-birth-date", cutoff=cutoff, min_months=min_months)


def _standing(a: MmrAssessment) -> ForecastDose:
    """Where the series stands when no dose is owed: complete, or none is due (presumed immune)."""
    if a.target.doses:
        counted, target = a.history.counted_number, a.target.doses
        reason = Message.of("mmr.summary.up-to-date", counted=counted, target=target)
        return ForecastDose(None, target, ForecastStatus.COMPLETE, reason=reason)
    reason = Message.of("mmr.explain.presumed-immune", cutoff=a.rules.born_since_cutoff.value)
    return ForecastDose(None, None, ForecastStatus.IMMUNE, reason=reason)


def _exposure_notices(a: MmrAssessment | UndatedAssessment) -> tuple[Message, ...]:
    """After a measles contact, what is not a dose of the forecast: immunoglobulins, or the exact age to find."""
    exposure: ExposureAssessment | None = a.exposure
    r = a.rules
    if exposure is None:
        return ()
    if exposure.response == Response.IMMUNOGLOBULIN:
        return (
            Message.of(
                "mmr.forecast.notice.immunoglobulin",
                deadline=exposure.immunoglobulin_deadline,
                months=r.immunoglobulin_delay_months.value,
            ),
        )
    if exposure.response == Response.AGE_UNCERTAIN:
        return (
            Message.of(
                "mmr.explain.age-uncertain",
                pep_months=r.pep_min_age_months.value,
                min_months=r.min_age_months.value,
                hours=r.pep_vaccine_window_hours.value,
                days=r.pep_immunoglobulin_window_days.value,
            ),
        )
    return ()


# --- the doses of the record --------------------------------------------------------------------------------


def _evaluations(a: MmrAssessment) -> Iterator[DoseEvaluation]:
    series = a.target.doses or None
    number = 0
    for verdict in a.history.verdicts:
        dose = verdict.dose
        if verdict.counted:
            number += 1
            yield DoseEvaluation(dose.source_id, dose.given_on, _dose(verdict), dose_number=number, series_doses=series)
        else:
            reasons = tuple(_reason(o, verdict, a) for o in verdict.obstacles)
            yield DoseEvaluation(dose.source_id, dose.given_on, _dose(verdict), reasons, series_doses=series)


def _dose(verdict: DoseVerdict) -> Message:
    return Message.of("mmr.evaluation.dose", vaccine=dose_name(verdict.dose), given_on=verdict.dose.given_on)


def _reason(obstacle: Obstacle, verdict: DoseVerdict, a: MmrAssessment) -> DoseReason:
    kind = REASONS[obstacle.reason]
    if kind == EvaluationReason.AFTER_ASSESSMENT:  # "after today" is the day of the assessment here
        return DoseReason(kind, Message.of("mmr.evaluation.after-assessment", assessed_on=a.today))
    return DoseReason(kind, obstacle_message(obstacle, verdict.dose.given_on, a.birth, a.rules))


def _not_given(record: PatientRecord, a: MmrAssessment) -> Iterator[DoseEvaluation]:
    """The MMR Immunizations recorded as not done or entered in error: never given, never valid."""
    for dose in record.not_given_doses:
        if dose.concepts & MMR_CONCEPTS:
            kind, key = NOT_GIVEN[dose.status]
            vaccine = vaccine_name(dose.display, dose.is_a(Concept.MMRV_VACCINE))
            text = (
                Message.of("mmr.evaluation.dose", vaccine=vaccine, given_on=dose.recorded_on)
                if dose.recorded_on is not None
                else Message.of("mmr.evaluation.dose-undated", vaccine=vaccine)
            )
            yield DoseEvaluation(
                dose.source_id, dose.recorded_on, text, (DoseReason(kind, Message.of(key)),),
                series_doses=a.target.doses or None,
            )


def _undated_doses(record: PatientRecord, a: MmrAssessment) -> Iterator[DoseEvaluation]:
    """The MMR doses whose date cannot be read: not evaluated, the value as written said."""
    for value in record.unreadable:
        if value.element == RecordElement.DOSE_DATE and value.concepts & MMR_CONCEPTS:
            written = Message.of("record.quoted", text=value.text) if value.text else Message.of("record.no-date")
            reason = DoseReason(
                EvaluationReason.UNREADABLE_DATE, Message.of("mmr.evaluation.unreadable-date", value=written)
            )
            yield DoseEvaluation(
                value.source_id, None, Message.of(
                    "mmr.evaluation.dose-undated",
                    vaccine=vaccine_name(value.display, Concept.MMRV_VACCINE in value.concepts),
                ),
                (reason,), series_doses=a.target.doses or None,
            )

