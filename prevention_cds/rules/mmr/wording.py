"""The Message vocabulary every MMR card shares: facts of the record, rejection reasons, dose timings, cost.

Texts live in prevention_cds/fhir_out/messages/{fr,en}/mmr.json; this module only chooses keys and typed parameters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from prevention_cds.rules.advice import Message, ParamValue, Route
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.mmr.contraindications import Contraindication, Finding, VaccineSafety
from prevention_cds.rules.mmr.cost import CostRule
from prevention_cds.rules.mmr.dose_evaluation import DoseHistory, MmrDose, mmr_doses
from prevention_cds.rules.mmr.doses_owed import DoseTarget, TargetRule
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds, Person
from prevention_cds.rules.mmr.post_exposure import ExposureTiming
from prevention_cds.rules.mmr.schedule import PlannedDose
from prevention_cds.rules.mmr.validity import Obstacle, RejectionReason


def named(display: str | None) -> ParamValue:
    """A recorded display, or 'unnamed' when the record gives none."""
    return display or ""  # an empty label is rendered as the catalog's phrase for it (fhir_out.i18n)


def dose_name(dose: MmrDose) -> ParamValue:
    return vaccine_name(dose.display, dose.with_varicella)


def vaccine_name(display: str, with_varicella: bool) -> ParamValue:
    """The display the record gives; without one, the vaccine's own name (a CVX 03 dose without a display is
    "ROR" in French, "MMR" in English)."""
    if display:
        return display
    return Message.of("mmr.vaccine.mmrv" if with_varicella else "mmr.vaccine.mmr")


# --- the patient ---------------------------------------------------------------------------------------


def age_message(birth: BirthBounds, on: date, rules: MmrParameters) -> Message:
    """The youngest possible age on ``on``: in months for small children, else in years."""
    months = max(0, birth.youngest_age_months(on))
    if months < rules.age_in_months_below_months.value:
        return Message.of("mmr.age.months", months=months)
    return Message.of("mmr.age.years", years=birth.youngest_age_years(on))


def birth_fact(person: Person, today: date, rules: MmrParameters) -> Message:
    birth = person.birth
    if birth is None and person.unreadable_birth_date is not None:
        return Message.decisive_of("mmr.fact.birth-date-unreadable", birth_date=person.unreadable_birth_date)
    if birth is None:
        return Message.decisive_of("mmr.fact.birth-date-missing")
    age = age_message(birth, today, rules)
    if birth.exact:
        return Message.decisive_of("mmr.fact.birth-date", birth_date=birth.earliest, age=age)
    return Message.decisive_of("mmr.fact.birth-date-partial", birth_date=birth.recorded.isoformat(), age=age)


def obstacle_message(obstacle: Obstacle, on: date, birth: BirthBounds | None, rules: MmrParameters) -> Message:
    """Why a dose given (or ordered) on ``on`` does not count."""
    days = (on - obstacle.event_on).days
    match obstacle.reason:
        case RejectionReason.TOO_YOUNG if birth is not None:
            return Message.of(
                "mmr.reject.too-young", age=age_message(birth, on, rules), min_months=rules.min_age_months.value
            )
        case RejectionReason.TOO_YOUNG:
            return Message.of("mmr.reject.too-young-unknown-age", min_months=rules.min_age_months.value)
        case RejectionReason.DUPLICATE:
            return Message.of("mmr.reject.duplicate")
        case RejectionReason.TOO_SOON:
            return Message.of(
                "mmr.reject.too-soon", days=days, previous=obstacle.event_on, min_days=rules.min_interval_days.value
            )
        case RejectionReason.LIVE_VACCINE:
            return Message.of(
                "mmr.reject.live-vaccine",
                days=days,
                vaccine=named(obstacle.other),
                given_on=obstacle.event_on,
                min_days=rules.live_vaccine_interval_days.value,
            )
        case RejectionReason.IMMUNOGLOBULIN:
            return Message.of(
                "mmr.reject.immunoglobulin",
                given_on=obstacle.event_on,
                months=rules.immunoglobulin_delay_months.value,
            )
        case RejectionReason.YELLOW_FEVER_SAME_DAY:
            return Message.of(
                "mmr.reject.yellow-fever-same-day",
                vaccine=named(obstacle.other),
                months=rules.yellow_fever_apart_below_months.value,
                min_days=rules.live_vaccine_interval_days.value,
            )
        case RejectionReason.FUTURE_DATE:
            return Message.of("mmr.reject.future-date")


def too_early_message(
    found: tuple[Obstacle, ...], today: date, birth: BirthBounds | None, earliest: date, rules: MmrParameters
) -> Message:
    """Why a dose given today would not count, and the first day it would."""
    reasons = tuple(obstacle_message(o, today, birth, rules) for o in found)
    return Message.of("mmr.explain.too-early", reasons=reasons, earliest=earliest)


def dose_facts(history: DoseHistory, birth: BirthBounds, rules: MmrParameters) -> tuple[Message, ...]:
    if not history.verdicts:
        return (Message.decisive_of("mmr.fact.no-dose"),)
    facts: list[Message] = []
    number = 0
    for verdict in history.verdicts:
        dose = verdict.dose
        if verdict.counted:
            number += 1
            key = "mmr.fact.dose-counted-mmrv" if dose.with_varicella else "mmr.fact.dose-counted"
            facts.append(Message.decisive_of(key, number=number, vaccine=dose_name(dose), given_on=dose.given_on))
        else:
            reasons = tuple(obstacle_message(o, dose.given_on, birth, rules) for o in verdict.obstacles)
            facts.append(
                Message.decisive_of(
                    "mmr.fact.dose-rejected", vaccine=dose_name(dose), given_on=dose.given_on, reasons=reasons
                )
            )
    return tuple(facts)


def recorded_dose_facts(record: PatientRecord) -> tuple[Message, ...]:
    """Doses listed without judging them (no birth date to judge them by)."""
    doses = mmr_doses(record)
    if not doses:
        return (Message.decisive_of("mmr.fact.no-dose"),)
    return tuple(
        Message.decisive_of("mmr.fact.dose-recorded", vaccine=dose_name(d), given_on=d.given_on) for d in doses
    )


def target_rule_message(target: DoseTarget, rules: MmrParameters) -> Message:
    cutoff = rules.born_since_cutoff.value
    match target.rule:
        case TargetRule.BORN_SINCE_CUTOFF:
            return Message.of(
                "mmr.rule.born-since", cutoff=cutoff, doses=target.doses, min_days=rules.min_interval_days.value
            )
        case TargetRule.PROFESSIONAL_BEFORE_CUTOFF:
            return Message.of("mmr.rule.professional-before", cutoff=cutoff, doses=target.doses)
        case TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF:
            return Message.of("mmr.rule.rubella-woman-before", cutoff=cutoff, doses=target.doses)
        case TargetRule.NONE_BEFORE_CUTOFF:
            return Message.of("mmr.rule.none-before", cutoff=cutoff)


def target_reason_fact(target: DoseTarget, rules: MmrParameters) -> Message | None:
    """Why someone born before the cut-off is owed a dose (their occupation, or the rubella rule): on the card,
    since the birth date alone would say no dose is owed."""
    cutoff = rules.born_since_cutoff.value
    match target.rule:
        case TargetRule.PROFESSIONAL_BEFORE_CUTOFF:
            return Message.decisive_of("mmr.fact.reason.professional-before", cutoff=cutoff, doses=target.doses)
        case TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF:
            return Message.decisive_of("mmr.fact.reason.rubella-woman-before", cutoff=cutoff, doses=target.doses)
        case _:
            return None


def rule_fact(rule: Message) -> Message:
    return Message.of("mmr.fact.rule", rule=rule)


_CONTRAINDICATION_NAMES = {
    Contraindication.SEVERE_IMMUNODEFICIENCY: "mmr.contraindication.severe-immunodeficiency",
    Contraindication.IMMUNOCOMPROMISING_CONDITION: "mmr.contraindication.immunocompromising-condition",
    Contraindication.IMMUNOSUPPRESSIVE_TREATMENT: "mmr.contraindication.immunosuppressive-treatment",
    Contraindication.SYSTEMIC_CORTICOSTEROID: "mmr.contraindication.systemic-corticosteroid",
    Contraindication.HIV_INFECTION: "mmr.contraindication.hiv-infection",
    Contraindication.ANAPHYLAXIS_MMR: "mmr.contraindication.anaphylaxis-mmr",
    Contraindication.ANAPHYLAXIS_NEOMYCIN: "mmr.contraindication.anaphylaxis-neomycin",
    Contraindication.PREGNANCY: "mmr.contraindication.pregnancy",
}
_CONTRAINDICATION_EXPLANATIONS = {
    Contraindication.SEVERE_IMMUNODEFICIENCY: "mmr.explain.contraindication.severe-immunodeficiency",
    Contraindication.IMMUNOCOMPROMISING_CONDITION: "mmr.explain.contraindication.immunocompromising-condition",
    Contraindication.IMMUNOSUPPRESSIVE_TREATMENT: "mmr.explain.contraindication.immunosuppressive-treatment",
    Contraindication.SYSTEMIC_CORTICOSTEROID: "mmr.explain.contraindication.systemic-corticosteroid",
    Contraindication.HIV_INFECTION: "mmr.explain.contraindication.hiv-infection",
    Contraindication.ANAPHYLAXIS_MMR: "mmr.explain.contraindication.anaphylaxis-mmr",
    Contraindication.ANAPHYLAXIS_NEOMYCIN: "mmr.explain.contraindication.anaphylaxis-neomycin",
    Contraindication.PREGNANCY: "mmr.explain.contraindication.pregnancy",
}
# The finding as recorded (a pregnancy has its own facts, with or without a term)
_FINDING_FACTS = {
    Contraindication.SEVERE_IMMUNODEFICIENCY: "mmr.fact.severe-immunodeficiency",
    Contraindication.IMMUNOCOMPROMISING_CONDITION: "mmr.fact.immunocompromising-condition",
    Contraindication.IMMUNOSUPPRESSIVE_TREATMENT: "mmr.fact.immunosuppressive-treatment",
    Contraindication.SYSTEMIC_CORTICOSTEROID: "mmr.fact.systemic-corticosteroid",
    Contraindication.HIV_INFECTION: "mmr.fact.hiv-infection",
    Contraindication.ANAPHYLAXIS_MMR: "mmr.fact.anaphylaxis-mmr",
    Contraindication.ANAPHYLAXIS_NEOMYCIN: "mmr.fact.anaphylaxis-neomycin",
}
_ROUTES = {Route.INTRAMUSCULAR: "mmr.route.intramuscular", Route.SUBCUTANEOUS: "mmr.route.subcutaneous"}


def contraindication_name(contraindication: Contraindication) -> Message:
    return Message.of(_CONTRAINDICATION_NAMES[contraindication])


def contraindication_explanation(finding: Finding, rules: MmrParameters) -> Message:
    if finding.probably_ended:
        return Message.decisive_of("mmr.explain.contraindication.pregnancy-ended")
    return Message.decisive_of(
        _CONTRAINDICATION_EXPLANATIONS[finding.contraindication], **_explanation_numbers(finding, rules)
    )


def _explanation_numbers(finding: Finding, rules: MmrParameters) -> dict[str, ParamValue]:
    """A treatment's explanation says how long after it is stopped a live vaccine waits (and for a corticosteroid,
    which doses count)."""
    months: dict[str, ParamValue] = {"months": finding.delay_months} if finding.delay_months is not None else {}
    if finding.contraindication == Contraindication.SYSTEMIC_CORTICOSTEROID:
        return months | {
            "adult_mg": rules.corticosteroid_adult_threshold_mg_per_day.value,
            "child_mg_per_kg": rules.corticosteroid_child_threshold_mg_per_kg_per_day.value,
            "child_mg": rules.corticosteroid_child_threshold_mg_per_day.value,
            "days": rules.corticosteroid_threshold_days.value,
        }
    return months


def safety_facts(safety: VaccineSafety) -> tuple[Message, ...]:
    facts = [_finding_fact(f) for f in safety.findings]
    facts.extend(
        Message.decisive_of("mmr.fact.gelatin-allergy", allergy=named(a.display)) for a in safety.gelatin_allergies
    )
    facts.extend(Message.of("mmr.fact.allergy-not-severe", allergy=named(a.display)) for a in safety.harmless_allergies)
    facts.extend(
        Message.decisive_of("mmr.fact.allergy-severity-unknown", allergy=named(a.display))
        for a in safety.unassessed_allergies
    )
    return tuple(facts)


def _finding_fact(finding: Finding) -> Message:
    if finding.contraindication == Contraindication.PREGNANCY:
        if finding.probably_ended:
            return _pregnancy_ended_fact(finding)
        if finding.expected_delivery is not None:
            return Message.decisive_of("mmr.fact.pregnancy-due", expected_delivery=finding.expected_delivery)
        return Message.decisive_of("mmr.fact.pregnancy")
    key = _FINDING_FACTS[finding.contraindication]
    if finding.in_remission:
        return Message.decisive_of(f"{key}-remission", recorded=named(finding.display))
    if finding.stopped is not None and finding.wait_until is not None:  # a treatment stopped lately
        return Message.decisive_of(
            f"{key}-stopped", recorded=named(finding.display), stopped=finding.stopped, until=finding.wait_until
        )
    return Message.decisive_of(key, recorded=named(finding.display))


def _pregnancy_ended_fact(finding: Finding) -> Message:
    """A pregnancy on record that has probably ended: past its term, else older than any pregnancy lasts."""
    delivery, stated = finding.expected_delivery, finding.stated_on
    if delivery is not None:
        return Message.decisive_of("mmr.fact.pregnancy-ended-term", expected_delivery=delivery)
    if stated is not None:
        return Message.decisive_of("mmr.fact.pregnancy-ended-old", stated_on=stated)
    return Message.decisive_of("mmr.fact.pregnancy")  # undated evidence never reads as ended


def person_facts(person: Person, history: DoseHistory | None) -> tuple[Message, ...]:
    facts: list[Message] = []
    if person.sex is None or person.sex.value == "unknown":
        facts.append(Message.of("mmr.fact.sex-unknown"))
    if person.professional:
        facts.append(Message.of("mmr.fact.professional"))
    if person.measles_history:
        facts.append(Message.decisive_of("mmr.fact.measles-history"))  # immune to measles, not to the others
    if person.measles_open_since is not None:  # an active record read as a history: to close, or to correct
        facts.append(Message.decisive_of("mmr.fact.measles-not-closed", since=person.measles_open_since))
    if person.state_medical_aid:
        facts.append(Message.of("mmr.fact.state-medical-aid"))
    if history is not None:
        facts.extend(
            Message.of("mmr.fact.other-live-vaccine", vaccine=named(v.display), given_on=v.given_on)
            for v in history.events.other_live_vaccines
        )
        facts.extend(Message.decisive_of("mmr.fact.immunoglobulin", given_on=g) for g in history.events.immunoglobulins)
    return tuple(facts)


def exposure_fact(timing: ExposureTiming) -> Message:
    exposure = timing.exposure
    if exposure.has_time:
        hours = timing.least // timedelta(hours=1)
        fact = Message.decisive_of("mmr.fact.exposure-time", contact=exposure.last_contact, hours=hours)
    else:
        fact = Message.decisive_of("mmr.fact.exposure-date", contact=exposure.last_contact.date())
    if exposure.case_confirmed is False:
        return Message.decisive_of("mmr.fact.exposure-unconfirmed", exposure=fact)
    return fact


# --- doses to give ---------------------------------------------------------------------------------------


def timing_message(dose: PlannedDose, today: date, rules: MmrParameters, deadline: datetime | None = None) -> Message:
    if not dose.counts and deadline is not None:
        return Message.of("mmr.timing.post-exposure", deadline=deadline)
    late_since = dose.overdue if dose.overdue is not None and dose.overdue <= today else None
    if dose.due <= today:
        if late_since is not None:
            return Message.of("mmr.timing.now-overdue", overdue=late_since)
        return Message.of("mmr.timing.now")
    if dose.at_min_age and late_since is None:
        return Message.of("mmr.timing.at-min-age", months=rules.min_age_months.value, due=dose.due)
    if dose.follows_planned and dose.due == dose.earliest:
        return Message.of(
            "mmr.timing.after-previous", previous=dose.number - 1, due=dose.due, days=rules.min_interval_days.value
        )
    if late_since is not None:
        return Message.of("mmr.timing.on-overdue", due=dose.due, overdue=late_since)
    return Message.of("mmr.timing.on", due=dose.due)


def plan_lines(
    plan: tuple[PlannedDose, ...], today: date, rules: MmrParameters, deadline: datetime | None = None
) -> tuple[Message, ...]:
    return tuple(
        Message.of("mmr.plan.dose", dose=d.number, series=d.series, timing=timing_message(d, today, rules, deadline))
        for d in plan
    )


def route_message(route: Route) -> Message:
    return Message.of(_ROUTES[route])


def cost_message(rule: CostRule, rules: MmrParameters, cites: Citations) -> Message:
    """Who pays, citing the section of the rule applied: the free vaccine (minors and AME) or the
    reimbursement (whose section states the age it starts from)."""
    max_age, rate = rules.free_vaccine_max_age_years, rules.reimbursement_rate_percent
    match rule:
        case CostRule.FREE_MINOR:
            return Message.of("mmr.cost.free-minor", max_age=cites.cite(max_age))
        case CostRule.FREE_STATE_MEDICAL_AID:
            cites.add(max_age)
            return Message.of("mmr.cost.free-ame")
        case CostRule.FREE_IF_MINOR:
            return Message.of("mmr.cost.free-if-minor", max_age=cites.cite(max_age), rate=rate.value)
        case CostRule.REIMBURSED:
            return Message.of("mmr.cost.reimbursed", rate=cites.cite(rate), from_age=max_age.value + 1)
        case CostRule.REIMBURSED_UNLESS_STATE_MEDICAL_AID:
            return Message.of("mmr.cost.reimbursed-unless-ame", rate=cites.cite(rate), from_age=max_age.value + 1)


def avoid_pregnancy_message(rules: MmrParameters) -> Message:
    return Message.of("mmr.explain.avoid-pregnancy", months=rules.avoid_pregnancy_months.value)
