"""A dose to give: on the infant calendar, as a catch-up, or after a measles contact."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    ForecastStatus,
    Indicator,
    MedicationProposal,
    Message,
    ProposeImmunization,
    ProposeMedication,
    Suggestion,
)
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.cards.parts import (
    MMR_REASON,
    calendar_message,
    cost_parts,
    decisions,
    facts,
    forecast,
    pregnancy_parts,
)
from prevention_cds.rules.mmr.cards.post_exposure import post_exposure_parts
from prevention_cds.rules.mmr.cost import CostRule
from prevention_cds.rules.mmr.owed import OwedDoses
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.schedule import PlannedDose
from prevention_cds.rules.mmr.wording import age_message, plan_lines, route_message, too_early_message
from prevention_cds.rules.unique import unique


class DoseCard(StrEnum):
    """The kinds of card that propose a dose, and their stable rule ids."""

    INFANT_SCHEDULE = "mmr.infant-schedule"
    CATCH_UP = "mmr.catch-up"
    POST_EXPOSURE = "mmr.post-exposure.dose"


# (overdue, due now) -> summary of a routine dose
_ROUTINE_SUMMARIES = {
    (False, True): "mmr.summary.catch-up.now",
    (False, False): "mmr.summary.catch-up.from",
    (True, True): "mmr.summary.overdue.now",
    (True, False): "mmr.summary.overdue.from",
}


def dose_advice(a: MmrAssessment, owed: OwedDoses, card: DoseCard) -> Advice:
    r, plan, exposure = a.rules, owed.plan, a.exposure
    first = plan[0]
    overdue = first.status == ForecastStatus.OVERDUE
    not_before = first.due if first.due > a.today else None  # the prescription carries it
    deadline = exposure.vaccine_deadline if exposure is not None else None
    explanation: list[Message] = [line.as_decisive() for line in plan_lines(plan, a.today, r, deadline)]  # when
    found_decisions = decisions(a)
    cites = Citations()
    rules_applied: list[Message] = []
    notes: list[Message] = []

    if card == DoseCard.POST_EXPOSURE and exposure is not None:
        summary, parts = post_exposure_parts(a, exposure, plan, cites)
        explanation[:0] = parts.explanation
        found_decisions.extend(parts.decisions)
        notes.extend(parts.notes)
        rules_applied.append(parts.rule)
        indicator = Indicator.WARNING
    else:
        summary = _routine_summary(a, first, card, overdue)
        indicator = Indicator.WARNING if overdue else Indicator.INFO
        cites.extend(a.target.basis)
        if card == DoseCard.INFANT_SCHEDULE:
            explanation.insert(0, calendar_message(r))
        else:
            explanation.insert(0, Message.of("mmr.explain.catch-up", days=cites.cite(r.min_interval_days)))
        if overdue:
            found_decisions.append(_overdue_decision(r))
        if a.target.routine_calendar:
            cites.add(*r.dose_due_age_months)
    found_obstacles = a.obstacles_today() if not_before is not None else ()
    if not_before is not None and found_obstacles:
        explanation.append(too_early_message(found_obstacles, a.today, a.birth, not_before, r))
    if a.mandatory:
        explanation.append(Message.of("mmr.explain.mandatory", cutoff=cites.cite(r.mandatory_cohort_from)))
    if a.history.rejected:
        explanation.append(Message.of("mmr.explain.rejected-doses", count=len(a.history.rejected)))
    if a.safety.gelatin_allergies:
        explanation.append(Message.decisive_of("mmr.explain.gelatin"))
        notes.append(Message.of("mmr.explain.gelatin"))
    reminders, patient_instruction, pregnancy_decisions = pregnancy_parts(a)
    explanation.extend(m.as_decisive() for m in reminders)  # to check before this injection
    found_decisions.extend(pregnancy_decisions)
    cost, cost_decisions = cost_parts(a, cites)
    explanation.append(cost)
    notes.insert(0, cost)
    found_decisions.extend(cost_decisions)
    # the series owed and when a dose counts (the minimum age where the infant calendar or a refused dose needs it)
    cites.extend(a.target.basis)
    cites.add(r.min_interval_days)
    if a.target.routine_calendar or a.history.rejected:
        cites.add(r.min_age_months)

    proposal = MedicationProposal(
        medicine=a.product,
        route=r.route.value,
        schedule=DoseSchedule.single_dose(),
        instruction=_instruction(a, first, deadline, not_before),
        reason_reference=exposure.exposure.source_id if card == DoseCard.POST_EXPOSURE and exposure else None,
        reason=MMR_REASON,
        patient_instruction=patient_instruction,
        notes=tuple(notes),
        free_vaccine=a.cost in (CostRule.FREE_MINOR, CostRule.FREE_STATE_MEDICAL_AID),
        not_before=not_before,
    )
    suggestion = Suggestion(
        label=Message.of("mmr.suggestion.vaccinate", dose=first.number, series=first.series),
        actions=(ProposeImmunization(forecast(a, owed.doses, owed.uncounted)), ProposeMedication(proposal)),
        recommended=True,
    )
    return Advice(
        rule=card.value,
        indicator=indicator,
        summary=summary,
        explanation=tuple(explanation),
        facts=facts(a, *rules_applied),
        guideline=cites.refs,
        decisions=unique(found_decisions),
        suggestions=(suggestion,),
        deadline=deadline if card == DoseCard.POST_EXPOSURE else None,
    )


def _instruction(a: MmrAssessment, first: PlannedDose, deadline: datetime | None, not_before: date | None) -> Message:
    route = route_message(a.rules.route.value)
    if not first.counts and deadline is not None:
        return Message.of("mmr.instruction.post-exposure", route=route, deadline=deadline)
    if not_before is not None:
        return Message.of(
            "mmr.instruction.dose-from", route=route, dose=first.number, series=first.series, not_before=not_before
        )
    return Message.of("mmr.instruction.dose", route=route, dose=first.number, series=first.series)


def _routine_summary(a: MmrAssessment, first: PlannedDose, card: DoseCard, overdue: bool) -> Message:
    now = first.due <= a.today
    if card == DoseCard.INFANT_SCHEDULE and now:
        age = age_message(a.birth, a.today, a.rules)
        return Message.of("mmr.summary.infant-schedule", dose=first.number, series=first.series, age=age)
    return Message.of(_ROUTINE_SUMMARIES[overdue, now], dose=first.number, series=first.series, due=first.due)


def _overdue_decision(r: MmrParameters) -> Message:
    dose1_overdue, dose2_overdue = r.dose_overdue_age_months
    return Message.of(
        "mmr.decision.overdue",
        dose1_by=dose1_overdue.value - 1,
        dose2_by=dose2_overdue.value - 1,
        max_age=r.overdue_max_age_years.value,
    )
