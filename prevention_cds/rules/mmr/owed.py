"""The MMR doses a patient still owes on a day, future ones included: the plan the cards propose from and the
forecast lists, each dose with its forecast status, dates and reason.

One function decides it for both: the routine calendar or a catch-up, the series completed now after a measles
contact, or — when the live vaccine must not be given now — every owed dose recorded as contraindicated (dated
after the expected delivery when pregnancy is the only reason).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from prevention_cds.rules.advice import ForecastDose, ForecastStatus, Message
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import Response
from prevention_cds.rules.mmr.schedule import PlannedDose, PlanRequest
from prevention_cds.rules.mmr.wording import contraindication_name


class OwedKind(StrEnum):
    ROUTINE = "routine"  # the infant calendar, or a catch-up
    POST_EXPOSURE = "post-exposure"  # after a measles contact: the series (or the infant's extra dose) now
    CONTRAINDICATED = "contraindicated"  # owed, but the vaccine must not be given now


@dataclass(frozen=True)
class OwedDoses:
    kind: OwedKind
    plan: tuple[PlannedDose, ...]
    doses: tuple[ForecastDose, ...]  # the plan as the ImmunizationRecommendation carries it

    @property
    def uncounted(self) -> int:
        """The doses of the plan that will not count (an infant's post-exposure dose)."""
        return sum(not d.counts for d in self.plan)


def owed_doses(a: MmrAssessment) -> OwedDoses | None:
    """Every dose still owed on ``a.today``, or None when none is (the series is complete, or none is due for
    this patient)."""
    exposure = a.exposure
    post_exposure = exposure is not None and exposure.vaccinates
    request = _post_exposure_request(a) if post_exposure else a.routine_request()
    if request.owed == 0 and not request.post_exposure_dose:
        return None
    if a.safety.contraindicated:
        plan = a.plan(replace(request, not_before=a.safety.doses_wait_for, due_now=True))
        return OwedDoses(OwedKind.CONTRAINDICATED, plan, _contraindicated(a, plan))
    plan = a.plan(request)
    kind = OwedKind.POST_EXPOSURE if post_exposure else OwedKind.ROUTINE
    doses = tuple(
        ForecastDose(d.number, d.series, d.status, d.earliest, d.due, d.overdue, _dose_reason(d, kind, a.rules))
        for d in plan
    )
    return OwedDoses(kind, plan, doses)


def _post_exposure_request(a: MmrAssessment) -> PlanRequest:
    response = a.exposure.response if a.exposure is not None else None
    counted = a.history.counted_number
    if response == Response.INFANT_DOSE:
        return PlanRequest(
            counted=counted,
            owed=a.owed,
            routine_calendar=a.target.routine_calendar,
            overdue_applies=a.minor,
            post_exposure_dose=True,
        )
    if response == Response.PROFESSIONAL_DOSE:
        return PlanRequest(
            counted=counted,
            owed=a.rules.professional_pep_doses.value,
            routine_calendar=False,
            overdue_applies=False,
            due_now=True,
        )
    return a.routine_request(due_now=True)


def _dose_reason(dose: PlannedDose, kind: OwedKind, r: MmrParameters) -> Message:
    if not dose.counts:
        return Message.of("mmr.forecast.reason.post-exposure-uncounted", min_months=r.min_age_months.value)
    if kind == OwedKind.POST_EXPOSURE:
        return Message.of("mmr.forecast.reason.post-exposure")
    if dose.status == ForecastStatus.OVERDUE:
        return Message.of("mmr.forecast.reason.overdue")
    return Message.of("mmr.forecast.reason.calendar" if dose.on_calendar else "mmr.forecast.reason.catch-up")


def _contraindicated(a: MmrAssessment, plan: tuple[PlannedDose, ...]) -> tuple[ForecastDose, ...]:
    """Every owed dose recorded as contraindicated; dated only after the expected delivery, when pregnancy is the
    only reason and the record gives a date still ahead (a pregnancy that has probably ended waits undated for
    the clinician's confirmation)."""
    safety = a.safety
    dated = safety.doses_wait_for is not None
    if safety.pregnancy_to_confirm:
        reason = Message.of("mmr.forecast.reason.pregnancy-to-confirm")
    elif safety.only_pregnancy:
        reason = Message.of("mmr.forecast.reason.after-delivery")
    else:
        reason = Message.of(
            "mmr.forecast.reason.contraindicated", reason=contraindication_name(safety.findings[0].contraindication)
        )
    return tuple(
        ForecastDose(
            d.number,
            d.series,
            ForecastStatus.CONTRAINDICATED,
            earliest=d.earliest if dated else None,
            due=d.due if dated else None,
            reason=reason,
        )
        for d in plan
    )


def owed_while_ill(a: MmrAssessment) -> tuple[ForecastDose, ...]:
    """A measles case now: no MMR dose while ill; the doses the calendar still owes, recorded as contraindicated
    without a date (to complete after recovery)."""
    request = a.routine_request()
    if request.owed == 0:
        return ()
    reason = Message.of("mmr.explain.measles-case.no-dose")
    return tuple(
        ForecastDose(d.number, d.series, ForecastStatus.CONTRAINDICATED, reason=reason) for d in a.plan(request)
    )
