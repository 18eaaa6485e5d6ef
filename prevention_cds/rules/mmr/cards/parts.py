"""What the MMR cards share: the facts of the record, the project's decisions, the forecast, cost and pregnancy
reminders."""

from __future__ import annotations

from prevention_cds.rules.advice import ForecastDose, ImmunizationForecast, Message, TargetDisease
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.facts import PatientRecord, Sex
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment
from prevention_cds.rules.mmr.contraindications import VaccineSafety
from prevention_cds.rules.mmr.cost import CostRule
from prevention_cds.rules.mmr.doses_owed import TargetRule
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds
from prevention_cds.rules.mmr.validity import RejectionReason
from prevention_cds.rules.mmr.wording import (
    avoid_pregnancy_message,
    birth_fact,
    cost_message,
    dose_facts,
    exposure_fact,
    person_facts,
    recorded_dose_facts,
    rule_fact,
    safety_facts,
    target_reason_fact,
    target_rule_message,
)
from prevention_cds.rules.unique import unique

MMR_DISEASES = (TargetDisease.MEASLES, TargetDisease.MUMPS, TargetDisease.RUBELLA)
MMR_REASON = "mmr-immunization"  # prevention_cds/fhir_out/data/products.json "reasons"


def facts(a: MmrAssessment, *rules_applied: Message) -> tuple[Message, ...]:
    found = [birth_fact(a.person, a.today, a.rules)]
    reason = target_reason_fact(a.target, a.rules)
    found.extend((reason,) if reason is not None else ())
    found.extend(dose_facts(a.history, a.birth, a.rules))
    found.extend(rule_fact(r) for r in (target_rule_message(a.target, a.rules), *rules_applied))
    found.extend(person_facts(a.person, a.history))
    found.extend(safety_facts(a.safety))
    if a.exposure is not None:
        found.append(exposure_fact(a.exposure.timing))
    return tuple(found)


def undated_facts(record: PatientRecord, u: UndatedAssessment) -> tuple[Message, ...]:
    cutoff = u.rules.born_since_cutoff.value
    found = [
        birth_fact(u.person, u.now.date(), u.rules),
        *recorded_dose_facts(record),
        rule_fact(Message.of("mmr.rule.missing-birth-date", cutoff=cutoff)),
        *person_facts(u.person, None),
        *safety_facts(u.safety),
    ]
    if u.exposure is not None:
        found.append(exposure_fact(u.exposure.timing))
    return tuple(found)


def decisions(a: MmrAssessment) -> list[Message]:
    r, birth = a.rules, a.birth
    cutoff, mandatory_from, min_age = r.born_since_cutoff.value, r.mandatory_cohort_from.value, r.min_age_months.value
    found = birth_decisions(birth)
    if a.target.rule == TargetRule.BORN_SINCE_CUTOFF and birth.earliest.year <= cutoff.year:
        found.append(Message.of("mmr.decision.born-since-inclusive", cutoff=cutoff))
    if birth.earliest == mandatory_from:
        found.append(Message.of("mmr.decision.mandatory-inclusive", cutoff=mandatory_from))
    reasons = {o.reason for v in a.history.rejected for o in v.obstacles}
    if RejectionReason.TOO_YOUNG in reasons:
        found.append(
            Message.of("mmr.decision.dose-before-min-age", months=min_age, smpc_months=r.smpc_min_age_months.value)
        )
    if reasons & {RejectionReason.TOO_SOON, RejectionReason.DUPLICATE, RejectionReason.LIVE_VACCINE}:
        found.append(Message.of("mmr.decision.interval", days=r.min_interval_days.value))
    if RejectionReason.IMMUNOGLOBULIN in reasons or a.history.events.immunoglobulins:
        found.append(immunoglobulin_delay_decision(r))
    if RejectionReason.YELLOW_FEVER_SAME_DAY in reasons:
        found.append(yellow_fever_decision(r))
    min_age_day = birth.surely_reached(min_age)
    if any(v.dose.given_on == min_age_day for v in a.history.counted):
        found.append(Message.of("mmr.decision.dose-on-min-age-day", months=min_age))
    if a.target.rule == TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF:
        if a.person.sex != Sex.FEMALE:
            found.append(Message.of("mmr.decision.sex-unknown-rubella", cutoff=cutoff))
        if a.person.rubella_history:
            found.append(Message.of("mmr.decision.rubella-history"))
    if a.person.measles_open_since is not None:
        found.append(measles_not_closed_decision(r))
    found.extend(safety_decisions(a.safety))
    return found


def measles_not_closed_decision(r: MmrParameters) -> Message:
    return Message.of("mmr.decision.measles-not-closed", days=r.measles_case_current_days.value)


def immunoglobulin_delay_decision(r: MmrParameters) -> Message:
    return Message.of("mmr.decision.immunoglobulin-delay", months=r.immunoglobulin_delay_months.value)


def yellow_fever_decision(r: MmrParameters) -> Message:
    return Message.of(
        "mmr.decision.yellow-fever-same-day",
        months=r.yellow_fever_apart_below_months.value,
        days=r.live_vaccine_interval_days.value,
    )


def birth_decisions(birth: BirthBounds) -> list[Message]:
    if birth.exact:
        return []
    return [Message.of("mmr.decision.partial-birth-date", birth_date=birth.recorded.isoformat())]


def safety_decisions(safety: VaccineSafety) -> list[Message]:
    assumed = any(f.severity_assumed for f in safety.findings)
    found = [Message.of("mmr.decision.allergy-severity")] if assumed else []
    if safety.gelatin_allergies:
        found.append(Message.of("mmr.decision.gelatin-product"))
    return found


def cost_parts(a: MmrAssessment, cites: Citations) -> tuple[Message, list[Message]]:
    """The cost line (its rule cited) and the decision that comes with it."""
    unknown_aid = a.cost == CostRule.REIMBURSED_UNLESS_STATE_MEDICAL_AID
    return cost_message(a.cost, a.rules, cites), [Message.of("mmr.decision.ame-unknown")] if unknown_aid else []


def pregnancy_parts(a: MmrAssessment) -> tuple[list[Message], Message | None, list[Message]]:
    """The reminder to avoid pregnancy after the dose, for anyone who may be a woman of child-bearing age."""
    if not a.possibly_childbearing:
        return [], None, []
    months = a.rules.avoid_pregnancy_months.value
    return (
        [avoid_pregnancy_message(a.rules)],
        Message.of("mmr.patient-instruction.avoid-pregnancy", months=months),
        [Message.of("mmr.decision.pregnancy-interval", months=months)],
    )


def forecast(a: MmrAssessment, doses: tuple[ForecastDose, ...], uncounted: int = 0) -> ImmunizationForecast:
    """The forecast of ``doses``, ``uncounted`` of them doses that will not count (an infant's post-exposure
    dose)."""
    return ImmunizationForecast(
        vaccine=a.product,
        target_diseases=MMR_DISEASES,
        doses=doses,
        description=_description(a, doses, uncounted),
        supporting_immunizations=a.history.supporting_immunizations,
    )


def _description(a: MmrAssessment, doses: tuple[ForecastDose, ...], uncounted: int) -> Message:
    """Where the series stands: the valid doses of the series the forecast carries (a professional's dose after a
    contact lengthens it); an infant's post-exposure dose is named apart, as it will not count."""
    counted = a.history.counted_number
    series = max((d.series_doses or 0 for d in doses), default=0) or a.target.doses
    target = series - uncounted
    if uncounted:
        return Message.of(
            "mmr.forecast.description.uncounted",
            counted=counted,
            target=target,
            uncounted=uncounted,
            min_months=a.rules.min_age_months.value,
        )
    return Message.of("mmr.forecast.description", counted=counted, target=target)


def calendar_message(r: MmrParameters) -> Message:
    dose1, dose2 = r.dose_due_age_months
    return Message.of(
        "mmr.explain.infant-calendar",
        dose1_months=dose1.value,
        dose2_from=dose2.value,
        dose2_to=r.dose_overdue_age_months[1].value - 1,
    )


# --- for the order checks ---------------------------------------------------------------------------------


def facts_for(
    record: PatientRecord, a: MmrAssessment | UndatedAssessment, *rules_applied: Message
) -> tuple[Message, ...]:
    if isinstance(a, MmrAssessment):
        return facts(a, *rules_applied)
    return (*undated_facts(record, a), *(rule_fact(r) for r in rules_applied))


def decisions_for(a: MmrAssessment | UndatedAssessment) -> tuple[Message, ...]:
    if isinstance(a, MmrAssessment):
        return unique(decisions(a))
    found = [Message.of("mmr.decision.missing-birth-date"), *safety_decisions(a.safety)]
    if a.person.measles_open_since is not None:
        found.append(measles_not_closed_decision(a.rules))
    return unique(found)
