"""Turn the MMR decisions into Advice: summary, explanation, facts, decisions, guideline and suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    ForecastDose,
    ForecastStatus,
    GuidelineRef,
    ImmunizationForecast,
    Indicator,
    MedicationProposal,
    Message,
    ProposeImmunization,
    ProposeMedication,
    Suggestion,
    TargetDisease,
)
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment
from prevention_cds.rules.mmr.contraindications import Contraindication, VaccineSafety
from prevention_cds.rules.mmr.cost import CostRule
from prevention_cds.rules.mmr.doses_owed import TargetRule
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds
from prevention_cds.rules.mmr.post_exposure import ExposureAssessment, ImmunoglobulinReason, Response, VaccineWindow
from prevention_cds.rules.mmr.schedule import PlannedDose
from prevention_cds.rules.mmr.validity import RejectionReason
from prevention_cds.rules.mmr.wording import (
    age_message,
    avoid_pregnancy_message,
    birth_fact,
    contraindication_name,
    cost_message,
    dose_facts,
    exposure_fact,
    person_facts,
    plan_lines,
    recorded_dose_facts,
    route_message,
    rule_fact,
    safety_facts,
    target_rule_message,
)

T = TypeVar("T")

MMR_DISEASES = (TargetDisease.MEASLES, TargetDisease.MUMPS, TargetDisease.RUBELLA)
MMR_REASON = "mmr-immunization"  # prevention_cds/fhir_out/data/products.json "reasons"

# Sections cited for rules that carry no number (the numbers cite their own section in rules/data/mmr.json)
CONTRAINDICATION_REFS = {
    Contraindication.PREGNANCY: GuidelineRef(
        "ameli-ror", "Le calendrier vaccinal — vaccination contre-indiquée pendant la grossesse ; femmes enceintes"
    ),
    Contraindication.SEVERE_IMMUNODEFICIENCY: GuidelineRef(
        "smpc-ror", "4.3 Contre-indications — déficit immunitaire humoral ou cellulaire sévère"
    ),
    Contraindication.ANAPHYLAXIS_MMR: GuidelineRef(
        "smpc-ror", "4.3 Contre-indications — hypersensibilité à une dose antérieure de vaccin ROR"
    ),
    Contraindication.ANAPHYLAXIS_NEOMYCIN: GuidelineRef(
        "smpc-ror", "4.3 Contre-indications — hypersensibilité à la néomycine (réaction anaphylactique)"
    ),
}
IMMUNOGLOBULIN_GROUPS_REF = GuidelineRef(
    "dgs-2018-205", "Immunoglobulines polyvalentes : femmes enceintes, immunodéprimés, nourrissons (clinical.md §B.5)"
)


class DoseCard(StrEnum):
    """The kinds of card that propose a dose, and their stable rule ids."""

    INFANT_SCHEDULE = "mmr.infant-schedule"
    CATCH_UP = "mmr.catch-up"
    POST_EXPOSURE = "mmr.post-exposure.dose"


# --- shared parts -----------------------------------------------------------------------------------------


def _facts(a: MmrAssessment, *rules_applied: Message) -> tuple[Message, ...]:
    facts = [birth_fact(a.person, a.today, a.rules), *dose_facts(a.history, a.birth, a.rules)]
    facts.extend(rule_fact(r) for r in (target_rule_message(a.target, a.rules), *rules_applied))
    facts.extend(person_facts(a.person, a.history))
    facts.extend(safety_facts(a.safety))
    if a.exposure is not None:
        facts.append(exposure_fact(a.exposure.timing))
    return tuple(facts)


def _decisions(a: MmrAssessment) -> list[Message]:
    r, birth = a.rules, a.birth
    decisions = _birth_decisions(birth)
    if a.target.rule == TargetRule.BORN_SINCE_CUTOFF and birth.earliest.year <= r.born_since_cutoff.year:
        decisions.append(Message.of("mmr.decision.born-since-inclusive", cutoff=r.born_since_cutoff))
    if birth.earliest == r.mandatory_cohort_from:
        decisions.append(Message.of("mmr.decision.mandatory-inclusive", cutoff=r.mandatory_cohort_from))
    reasons = {o.reason for v in a.history.rejected for o in v.obstacles}
    if RejectionReason.TOO_YOUNG in reasons:
        decisions.append(
            Message.of("mmr.decision.dose-before-min-age", months=r.min_age_months, smpc_months=r.smpc_min_age_months)
        )
    if reasons & {RejectionReason.TOO_SOON, RejectionReason.DUPLICATE, RejectionReason.LIVE_VACCINE}:
        decisions.append(Message.of("mmr.decision.interval", days=r.min_interval_days))
    if RejectionReason.IMMUNOGLOBULIN in reasons or a.history.events.immunoglobulins:
        decisions.append(Message.of("mmr.decision.immunoglobulin-delay", months=r.immunoglobulin_delay_months))
    min_age_day = birth.surely_reached(r.min_age_months)
    if any(v.dose.given_on == min_age_day for v in a.history.counted):
        decisions.append(Message.of("mmr.decision.dose-on-min-age-day", months=r.min_age_months))
    if a.target.rule == TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF:
        if a.person.sex != Sex.FEMALE:
            decisions.append(Message.of("mmr.decision.sex-unknown-rubella", cutoff=r.born_since_cutoff))
        if a.person.rubella_history:
            decisions.append(Message.of("mmr.decision.rubella-history"))
    decisions.extend(_safety_decisions(a.safety))
    return decisions


def _birth_decisions(birth: BirthBounds) -> list[Message]:
    if birth.exact:
        return []
    return [Message.of("mmr.decision.partial-birth-date", birth_date=birth.recorded.isoformat())]


def _safety_decisions(safety: VaccineSafety) -> list[Message]:
    assumed = any(f.severity_assumed for f in safety.findings)
    decisions = [Message.of("mmr.decision.allergy-severity")] if assumed else []
    if safety.gelatin_allergies:
        decisions.append(Message.of("mmr.decision.gelatin-product"))
    return decisions


def _cost_parts(a: MmrAssessment) -> tuple[Message, list[Message]]:
    decisions = (
        [Message.of("mmr.decision.ame-unknown")] if a.cost == CostRule.REIMBURSED_UNLESS_STATE_MEDICAL_AID else []
    )
    return cost_message(a.cost, a.rules), decisions


def _cost_refs(a: MmrAssessment) -> tuple[GuidelineRef, ...]:
    if a.cost in (CostRule.REIMBURSED, CostRule.REIMBURSED_UNLESS_STATE_MEDICAL_AID):
        return a.rules.refs("reimbursement_rate_percent")
    return a.rules.refs("free_vaccine_max_age_years")


def _pregnancy_parts(a: MmrAssessment) -> tuple[list[Message], Message | None, list[Message]]:
    """The reminder to avoid pregnancy after the dose, for anyone who may be a woman of child-bearing age."""
    if not a.possibly_childbearing:
        return [], None, []
    months = a.rules.avoid_pregnancy_months
    return (
        [avoid_pregnancy_message(a.rules)],
        Message.of("mmr.patient-instruction.avoid-pregnancy", months=months),
        [Message.of("mmr.decision.pregnancy-interval", months=months)],
    )


def _dose_reason(dose: PlannedDose, card: DoseCard, min_months: int) -> Message:
    if not dose.counts:
        return Message.of("mmr.forecast.reason.post-exposure-uncounted", min_months=min_months)
    if card == DoseCard.POST_EXPOSURE:
        return Message.of("mmr.forecast.reason.post-exposure")
    if dose.status == ForecastStatus.OVERDUE:
        return Message.of("mmr.forecast.reason.overdue")
    return Message.of("mmr.forecast.reason.calendar" if dose.on_calendar else "mmr.forecast.reason.catch-up")


def _forecast(a: MmrAssessment, doses: tuple[ForecastDose, ...], description: Message) -> ImmunizationForecast:
    return ImmunizationForecast(
        vaccine=a.product,
        target_diseases=MMR_DISEASES,
        doses=doses,
        description=description,
        supporting_immunizations=a.history.supporting_immunizations,
    )


def _description(a: MmrAssessment) -> Message:
    return Message.of("mmr.forecast.description", counted=a.history.counted_number, target=a.target.doses)


# --- a dose to give ---------------------------------------------------------------------------------------


def dose_advice(a: MmrAssessment, plan: tuple[PlannedDose, ...], card: DoseCard) -> Advice:
    r, first, exposure = a.rules, plan[0], a.exposure
    overdue = first.status == ForecastStatus.OVERDUE
    deadline = exposure.vaccine_deadline if exposure is not None else None
    explanation: list[Message] = list(plan_lines(plan, a.today, r, deadline))
    decisions = _decisions(a)
    refs: list[GuidelineRef] = []
    rules_applied: list[Message] = []
    notes: list[Message] = []

    if card == DoseCard.POST_EXPOSURE and exposure is not None:
        summary, parts = _post_exposure_parts(a, exposure, plan)
        explanation[:0] = parts.explanation
        decisions.extend(parts.decisions)
        notes.extend(parts.notes)
        rules_applied.append(parts.rule)
        refs.extend(parts.refs)
        indicator = Indicator.WARNING
    else:
        summary = _routine_summary(a, first, card, overdue)
        indicator = Indicator.WARNING if overdue else Indicator.INFO
        if card == DoseCard.INFANT_SCHEDULE:
            explanation.insert(0, _calendar_message(r))
        else:
            explanation.insert(0, Message.of("mmr.explain.catch-up", days=r.min_interval_days))
        if overdue:
            decisions.append(_overdue_decision(r))
        refs.extend(_target_refs(a))
        if a.target.routine_calendar:
            refs.extend(r.refs("dose1_due_age_months", "dose2_due_age_months"))
    if a.mandatory:
        explanation.append(Message.of("mmr.explain.mandatory", cutoff=r.mandatory_cohort_from))
        refs.extend(r.refs("mandatory_cohort_from"))
    if a.history.rejected:
        explanation.append(Message.of("mmr.explain.rejected-doses", count=len(a.history.rejected)))
    if a.safety.gelatin_allergies:
        explanation.append(Message.of("mmr.explain.gelatin"))
        notes.append(Message.of("mmr.explain.gelatin"))
    reminders, patient_instruction, pregnancy_decisions = _pregnancy_parts(a)
    explanation.extend(reminders)
    decisions.extend(pregnancy_decisions)
    cost, cost_decisions = _cost_parts(a)
    explanation.append(cost)
    notes.insert(0, cost)
    decisions.extend(cost_decisions)

    forecast = _forecast(
        a,
        tuple(
            ForecastDose(
                d.number, d.series, d.status, d.earliest, d.due, d.overdue, _dose_reason(d, card, r.min_age_months)
            )
            for d in plan
        ),
        _description(a),
    )
    proposal = MedicationProposal(
        medicine=a.product,
        route=r.route,
        schedule=DoseSchedule.single_dose(),
        instruction=_instruction(a, first, deadline),
        reason_reference=exposure.exposure.source_id if card == DoseCard.POST_EXPOSURE and exposure else None,
        reason=MMR_REASON,
        patient_instruction=patient_instruction,
        notes=tuple(notes),
        free_vaccine=a.cost in (CostRule.FREE_MINOR, CostRule.FREE_STATE_MEDICAL_AID),
    )
    suggestion = Suggestion(
        label=Message.of("mmr.suggestion.vaccinate", dose=first.number, series=first.series),
        actions=(ProposeImmunization(forecast), ProposeMedication(proposal)),
        recommended=True,
    )
    refs.extend(_target_refs(a))
    refs.extend(r.refs("min_interval_days", "min_age_months"))
    refs.extend(_cost_refs(a))
    return Advice(
        rule=card.value,
        indicator=indicator,
        summary=summary,
        explanation=tuple(explanation),
        facts=_facts(a, *rules_applied),
        guideline=_unique(refs),
        decisions=_unique(decisions),
        suggestions=(suggestion,),
        deadline=deadline if card == DoseCard.POST_EXPOSURE else None,
    )


def _instruction(a: MmrAssessment, first: PlannedDose, deadline: datetime | None) -> Message:
    route = route_message(a.rules.route)
    if not first.counts and deadline is not None:
        return Message.of("mmr.instruction.post-exposure", route=route, deadline=deadline)
    return Message.of("mmr.instruction.dose", route=route, dose=first.number, series=first.series)


def _routine_summary(a: MmrAssessment, first: PlannedDose, card: DoseCard, overdue: bool) -> Message:
    now = first.due <= a.today
    if card == DoseCard.INFANT_SCHEDULE and now:
        age = age_message(a.birth, a.today, a.rules)
        return Message.of("mmr.summary.infant-schedule", dose=first.number, series=first.series, age=age)
    kind = "overdue" if overdue else "catch-up"
    when = "now" if now else "from"
    return Message.of(f"mmr.summary.{kind}.{when}", dose=first.number, series=first.series, due=first.due)


def _calendar_message(r: MmrParameters) -> Message:
    return Message.of(
        "mmr.explain.infant-calendar",
        dose1_months=r.dose_due_age_months[0],
        dose2_from=r.dose_due_age_months[1],
        dose2_to=r.dose_overdue_age_months[1] - 1,
    )


def _overdue_decision(r: MmrParameters) -> Message:
    return Message.of(
        "mmr.decision.overdue",
        dose1_by=r.dose_overdue_age_months[0] - 1,
        dose2_by=r.dose_overdue_age_months[1] - 1,
        max_age=r.overdue_max_age_years,
    )


def _target_refs(a: MmrAssessment) -> tuple[GuidelineRef, ...]:
    by_rule = {
        TargetRule.BORN_SINCE_CUTOFF: ("target_doses_born_since_cutoff", "born_since_cutoff"),
        TargetRule.PROFESSIONAL_BEFORE_CUTOFF: ("target_doses_professional_before_cutoff", "born_since_cutoff"),
        TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF: ("target_doses_rubella_woman_before_cutoff", "born_since_cutoff"),
        TargetRule.NONE_BEFORE_CUTOFF: ("born_since_cutoff",),
    }
    return a.rules.refs(*by_rule[a.target.rule])


@dataclass
class _PostExposureParts:
    rule: Message
    explanation: list[Message] = field(default_factory=list)
    decisions: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    refs: list[GuidelineRef] = field(default_factory=list)


def _post_exposure_parts(
    a: MmrAssessment, exposure: ExposureAssessment, plan: tuple[PlannedDose, ...]
) -> tuple[Message, _PostExposureParts]:
    r, first = a.rules, plan[0]
    parts = _PostExposureParts(
        Message.of(
            "mmr.rule.pep.complete", cutoff=r.born_since_cutoff, doses=a.target.doses, min_months=r.min_age_months
        )
    )
    hours = r.pep_vaccine_window_hours
    parts.explanation.append(_window_message(exposure, hours))
    parts.refs.extend(r.refs("pep_vaccine_window_hours"))
    if exposure.window == VaccineWindow.UNCERTAIN:
        parts.decisions.append(Message.of("mmr.decision.exposure-time-unknown", hours=hours))
    if exposure.response == Response.INFANT_DOSE:
        parts.rule = Message.of(
            "mmr.rule.pep.infant", from_months=r.pep_min_age_months, to_months=r.min_age_months - 1, hours=hours
        )
        parts.explanation.append(
            Message.of(
                "mmr.explain.pep.infant-uncounted",
                min_months=r.min_age_months,
                doses=a.target.doses,
                min_days=r.min_interval_days,
            )
        )
        parts.refs.extend(r.refs("pep_min_age_months", "min_age_months"))
        if a.birth.youngest_age_months(a.today) < r.smpc_min_age_months:
            off_label = Message.of(
                "mmr.explain.pep.off-label", pep_months=r.pep_min_age_months, smpc_months=r.smpc_min_age_months
            )
            parts.explanation.append(off_label)
            parts.notes.append(off_label)
            parts.decisions.append(
                Message.of(
                    "mmr.decision.pep-off-label", pep_months=r.pep_min_age_months, smpc_months=r.smpc_min_age_months
                )
            )
        summary = Message.of(
            "mmr.summary.pep.infant",
            deadline=exposure.vaccine_deadline,
            doses=a.target.doses,
            min_months=r.min_age_months,
        )
        return summary, parts
    if exposure.response == Response.PROFESSIONAL_DOSE:
        parts.rule = Message.of("mmr.rule.pep.professional", doses=r.professional_pep_doses)
        parts.explanation.append(Message.of("mmr.explain.pep.professional", doses=r.professional_pep_doses))
        parts.decisions.append(Message.of("mmr.decision.professional-immunity"))
        parts.refs.extend(r.refs("professional_pep_doses"))
        summary = Message.of("mmr.summary.pep.professional", doses=r.professional_pep_doses)
        return summary, parts
    parts.explanation.append(
        Message.of(
            "mmr.explain.pep.complete",
            cutoff=r.born_since_cutoff,
            min_months=r.min_age_months,
            doses=a.target.doses,
            min_days=r.min_interval_days,
        )
    )
    key = "mmr.summary.pep.complete" if first.due <= a.today else "mmr.summary.pep.complete-from"
    return Message.of(key, dose=first.number, series=first.series, due=first.due), parts


def _window_message(exposure: ExposureAssessment, hours: int) -> Message:
    match exposure.window:
        case VaccineWindow.WITHIN:
            return Message.of("mmr.explain.pep.within", hours=hours, deadline=exposure.vaccine_deadline)
        case VaccineWindow.BEYOND:
            return Message.of("mmr.explain.pep.beyond", hours=hours)
        case VaccineWindow.UNCERTAIN:
            return Message.of("mmr.explain.pep.uncertain", hours=hours)


# --- contraindicated ---------------------------------------------------------------------------------------


def contraindication_advice(a: MmrAssessment, plan: tuple[PlannedDose, ...]) -> Advice:
    """The vaccine is owed but must not be given now; after delivery when pregnancy is the only reason."""
    safety = a.safety
    first = safety.findings[0]
    after_delivery = safety.only_pregnancy
    edd = safety.expected_delivery if after_delivery else None
    exposed = a.exposure is not None and a.exposure.vaccinates
    explanation = [Message.of(f"mmr.explain.contraindication.{f.contraindication.value}") for f in safety.findings]
    decisions = _decisions(a)
    if after_delivery:
        explanation.extend(plan_lines(plan, a.today, a.rules) if edd else ())
        explanation.append(Message.of("mmr.explain.after-delivery"))
        reminders, _, pregnancy_decisions = _pregnancy_parts(a)
        explanation.extend(reminders)
        decisions.extend(pregnancy_decisions)
    if exposed:
        explanation.insert(0, Message.of("mmr.explain.pep.contraindicated"))
    if after_delivery:
        key = "mmr.summary.contraindicated.pregnancy-dated" if edd else "mmr.summary.contraindicated.pregnancy"
        summary = Message.of(key, expected_delivery=edd) if edd else Message.of(key)
        rule = "mmr.contraindicated.pregnancy"
    elif first.contraindication == Contraindication.SEVERE_IMMUNODEFICIENCY:
        summary, rule = (
            Message.of("mmr.summary.contraindicated.immunodeficiency"),
            "mmr.contraindicated.immunodeficiency",
        )
    else:
        summary, rule = Message.of("mmr.summary.contraindicated.anaphylaxis"), "mmr.contraindicated.anaphylaxis"
    reason = (
        Message.of("mmr.forecast.reason.after-delivery")
        if after_delivery
        else Message.of("mmr.forecast.reason.contraindicated", reason=contraindication_name(first.contraindication))
    )
    doses = tuple(
        ForecastDose(
            d.number,
            d.series,
            ForecastStatus.CONTRAINDICATED,
            earliest=d.earliest if edd else None,
            due=d.due if edd else None,
            reason=reason,
        )
        for d in plan
    )
    label = "mmr.suggestion.record-after-delivery" if after_delivery else "mmr.suggestion.record-contraindicated"
    suggestion = Suggestion(
        label=Message.of(label),
        actions=(ProposeImmunization(_forecast(a, doses, _description(a))),),
        recommended=True,
    )
    refs = [CONTRAINDICATION_REFS[f.contraindication] for f in safety.findings]
    refs.extend(_target_refs(a))
    return Advice(
        rule=rule,
        indicator=Indicator.CRITICAL if exposed else Indicator.WARNING,
        summary=summary,
        explanation=tuple(explanation),
        facts=_facts(a, Message.of("mmr.rule.contraindication")),
        guideline=_unique(refs),
        decisions=_unique(decisions),
        suggestions=(suggestion,),
    )


# --- immunoglobulins ----------------------------------------------------------------------------------------


def immunoglobulin_advice(
    exposure: ExposureAssessment,
    facts: tuple[Message, ...],
    decisions: list[Message],
    rules: MmrParameters,
    target_doses: int,
) -> Advice:
    r = rules
    reason = exposure.immunoglobulin_reason or ImmunoglobulinReason.IMMUNODEFICIENCY
    days, hours = r.pep_immunoglobulin_window_days, r.pep_vaccine_window_hours
    group = Message.of(
        f"mmr.explain.ig.{reason.value}",
        months=r.pep_min_age_months,
        from_months=r.pep_min_age_months,
        to_months=r.min_age_months - 1,
        hours=hours,
    )
    explanation = [
        group,
        Message.of("mmr.explain.ig.how", deadline=exposure.immunoglobulin_deadline, days=days),
        Message.of("mmr.explain.ig.no-vaccine"),
    ]
    if reason in (
        ImmunoglobulinReason.INFANT_UNDER_MIN_AGE,
        ImmunoglobulinReason.INFANT_BEYOND_WINDOW,
        ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN,
        ImmunoglobulinReason.INFANT_CANNOT_BE_VACCINATED,
    ):
        explanation.append(
            Message.of(
                "mmr.explain.ig.infant-later",
                doses=target_doses,
                min_months=r.min_age_months,
                months=r.immunoglobulin_delay_months,
            )
        )
    else:
        explanation.append(Message.of("mmr.explain.ig.then-vaccinate", months=r.immunoglobulin_delay_months))
    if exposure.exposure.case_confirmed is not True:
        explanation.append(Message.of("mmr.explain.ig.case-unconfirmed"))
    decisions = list(decisions)
    if reason == ImmunoglobulinReason.INFANT_BEYOND_WINDOW:
        decisions.append(
            Message.of(
                "mmr.decision.infant-beyond-window",
                hours=hours,
                from_months=r.pep_min_age_months,
                to_months=r.min_age_months - 1,
            )
        )
    if reason == ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN:
        decisions.append(Message.of("mmr.decision.exposure-time-unknown", hours=hours))
    if reason == ImmunoglobulinReason.INFANT_UNDER_MIN_AGE:
        decisions.append(Message.of("mmr.decision.infant-mother-status", months=r.pep_min_age_months))
    decisions.append(Message.of("mmr.decision.immunoglobulin-delay", months=r.immunoglobulin_delay_months))
    return Advice(
        rule="mmr.post-exposure.immunoglobulin",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.immunoglobulin", deadline=exposure.immunoglobulin_deadline),
        explanation=tuple(explanation),
        facts=facts,
        guideline=_unique(
            [
                *r.refs("pep_immunoglobulin_window_days"),
                IMMUNOGLOBULIN_GROUPS_REF,
                *r.refs("immunoglobulin_delay_months"),
            ]
        ),
        decisions=_unique(decisions),
        deadline=exposure.immunoglobulin_deadline,
    )


def immunoglobulin_advice_for(a: MmrAssessment) -> Advice:
    assert a.exposure is not None
    facts = _facts(a, Message.of("mmr.rule.pep.immunoglobulin", days=a.rules.pep_immunoglobulin_window_days))
    return immunoglobulin_advice(a.exposure, facts, _decisions(a), a.rules, a.target.doses)


def age_uncertain_advice(a: MmrAssessment) -> Advice:
    r = a.rules
    return Advice(
        rule="mmr.post-exposure.age-uncertain",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.age-uncertain"),
        explanation=(
            Message.of(
                "mmr.explain.age-uncertain",
                pep_months=r.pep_min_age_months,
                min_months=r.min_age_months,
                hours=r.pep_vaccine_window_hours,
                days=r.pep_immunoglobulin_window_days,
            ),
        ),
        facts=_facts(
            a,
            Message.of(
                "mmr.rule.pep.by-age",
                pep_months=r.pep_min_age_months,
                to_months=r.min_age_months - 1,
                min_months=r.min_age_months,
            ),
        ),
        guideline=r.refs("pep_min_age_months", "pep_vaccine_window_hours", "pep_immunoglobulin_window_days"),
        decisions=_unique(_decisions(a)),
    )


# --- nothing owed ------------------------------------------------------------------------------------------


def up_to_date_advice(a: MmrAssessment, plan: tuple[PlannedDose, ...]) -> Advice:
    r = a.rules
    if plan:
        summary = Message.of("mmr.summary.not-yet-due", due=plan[0].due)
        explanation: tuple[Message, ...] = (_calendar_message(r), *plan_lines(plan, a.today, r))
    elif a.target.doses:
        summary = Message.of("mmr.summary.up-to-date", counted=a.history.counted_number, target=a.target.doses)
        explanation = (Message.of("mmr.explain.up-to-date"),)
    elif a.exposure is not None and a.exposure.measles_immune:
        summary = Message.of("mmr.summary.measles-immune")
        explanation = (Message.of("mmr.explain.measles-immune"),)
    else:
        summary = Message.of("mmr.summary.presumed-immune", cutoff=r.born_since_cutoff)
        explanation = (Message.of("mmr.explain.presumed-immune", cutoff=r.born_since_cutoff),)
    return Advice(
        rule="mmr.up-to-date",
        indicator=Indicator.INFO,
        summary=summary,
        explanation=explanation,
        facts=_facts(a),
        guideline=_target_refs(a),
        decisions=_unique(_decisions(a)),
    )


# --- no birth date ----------------------------------------------------------------------------------------


def undated_facts(record: PatientRecord, u: UndatedAssessment) -> tuple[Message, ...]:
    facts = [
        birth_fact(u.person, u.now.date(), u.rules),
        *recorded_dose_facts(record),
        rule_fact(Message.of("mmr.rule.missing-birth-date", cutoff=u.rules.born_since_cutoff)),
        *person_facts(u.person, None),
        *safety_facts(u.safety),
    ]
    if u.exposure is not None:
        facts.append(exposure_fact(u.exposure.timing))
    return tuple(facts)


def missing_birth_date_advice(record: PatientRecord, u: UndatedAssessment) -> Advice:
    r = u.rules
    explanation = [
        Message.of("mmr.explain.missing-birth-date", cutoff=r.born_since_cutoff, min_months=r.min_age_months)
    ]
    if u.exposure is not None:
        explanation.append(Message.of("mmr.explain.missing-birth-date.exposure", hours=r.pep_vaccine_window_hours))
    return Advice(
        rule="mmr.missing-birth-date",
        indicator=Indicator.WARNING if u.exposure is not None else Indicator.INFO,
        summary=Message.of("mmr.summary.missing-birth-date"),
        explanation=tuple(explanation),
        facts=undated_facts(record, u),
        guideline=r.refs("born_since_cutoff", "min_age_months"),
        decisions=(Message.of("mmr.decision.missing-birth-date"),),
    )


def undated_immunoglobulin_advice(record: PatientRecord, u: UndatedAssessment) -> Advice:
    assert u.exposure is not None
    decisions = _safety_decisions(u.safety)
    return immunoglobulin_advice(
        u.exposure, undated_facts(record, u), decisions, u.rules, u.rules.target_doses_born_since_cutoff
    )


def _unique(items: list[T]) -> tuple[T, ...]:
    found: list[T] = []
    for item in items:
        if item not in found:
            found.append(item)
    return tuple(found)


# --- for the order checks ---------------------------------------------------------------------------------


def facts_for(
    record: PatientRecord, a: MmrAssessment | UndatedAssessment, *rules_applied: Message
) -> tuple[Message, ...]:
    if isinstance(a, MmrAssessment):
        return _facts(a, *rules_applied)
    return (*undated_facts(record, a), *(rule_fact(r) for r in rules_applied))


def decisions_for(a: MmrAssessment | UndatedAssessment) -> tuple[Message, ...]:
    if isinstance(a, MmrAssessment):
        return _unique(_decisions(a))
    return _unique([Message.of("mmr.decision.missing-birth-date"), *_safety_decisions(a.safety)])
