"""Polyvalent immunoglobulins after a measles contact, for those who must not (or cannot yet) be vaccinated."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment
from prevention_cds.rules.mmr.cards.parts import (
    decisions,
    facts,
    immunoglobulin_delay_decision,
    safety_decisions,
    undated_facts,
)
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import ExposureAssessment, ImmunoglobulinReason
from prevention_cds.rules.unique import unique

_GROUPS = {
    ImmunoglobulinReason.IMMUNODEFICIENCY: "mmr.explain.ig.immunodeficiency",
    ImmunoglobulinReason.PREGNANCY: "mmr.explain.ig.pregnancy",
    ImmunoglobulinReason.INFANT_UNDER_MIN_AGE: "mmr.explain.ig.infant-under-min-age",
    ImmunoglobulinReason.INFANT_BEYOND_WINDOW: "mmr.explain.ig.infant-beyond-window",
    ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN: "mmr.explain.ig.infant-window-uncertain",
    ImmunoglobulinReason.INFANT_CANNOT_BE_VACCINATED: "mmr.explain.ig.infant-cannot-be-vaccinated",
}
_INFANTS = frozenset(
    {
        ImmunoglobulinReason.INFANT_UNDER_MIN_AGE,
        ImmunoglobulinReason.INFANT_BEYOND_WINDOW,
        ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN,
        ImmunoglobulinReason.INFANT_CANNOT_BE_VACCINATED,
    }
)


def immunoglobulin_advice(
    exposure: ExposureAssessment,
    card_facts: tuple[Message, ...],
    card_decisions: list[Message],
    r: MmrParameters,
    target_doses: int,
) -> Advice:
    reason = exposure.immunoglobulin_reason or ImmunoglobulinReason.IMMUNODEFICIENCY
    cites = Citations()
    days = cites.cite(r.pep_immunoglobulin_window_days)
    cites.add(r.immunoglobulin_groups)
    hours, pep_months, min_months = r.pep_vaccine_window_hours.value, r.pep_min_age_months.value, r.min_age_months.value
    delay = cites.cite(r.immunoglobulin_delay_months)
    group = Message.decisive_of(  # who gets them, and what to check (the mother's status, the contact's hour)
        _GROUPS[reason], months=pep_months, from_months=pep_months, to_months=min_months - 1, hours=hours
    )
    explanation = [
        group,
        Message.decisive_of("mmr.explain.ig.how", deadline=exposure.immunoglobulin_deadline, days=days),
        Message.decisive_of("mmr.explain.ig.no-vaccine"),
    ]
    if reason in _INFANTS:
        explanation.append(
            Message.of("mmr.explain.ig.infant-later", doses=target_doses, min_months=min_months, months=delay)
        )
    else:
        explanation.append(Message.of("mmr.explain.ig.then-vaccinate", months=delay))
    if exposure.exposure.case_confirmed is not True:
        explanation.append(Message.decisive_of("mmr.explain.ig.case-unconfirmed"))
    found_decisions = list(card_decisions)
    if reason == ImmunoglobulinReason.INFANT_BEYOND_WINDOW:
        found_decisions.append(
            Message.of(
                "mmr.decision.infant-beyond-window", hours=hours, from_months=pep_months, to_months=min_months - 1
            )
        )
    if reason == ImmunoglobulinReason.INFANT_WINDOW_UNCERTAIN:
        found_decisions.append(Message.of("mmr.decision.exposure-time-unknown", hours=hours))
    if reason == ImmunoglobulinReason.INFANT_UNDER_MIN_AGE:
        found_decisions.append(Message.of("mmr.decision.infant-mother-status", months=pep_months))
    found_decisions.append(immunoglobulin_delay_decision(r))
    return Advice(
        rule="mmr.post-exposure.immunoglobulin",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.immunoglobulin", deadline=exposure.immunoglobulin_deadline),
        explanation=tuple(explanation),
        facts=card_facts,
        guideline=cites.refs,
        decisions=unique(found_decisions),
        deadline=exposure.immunoglobulin_deadline,
    )


def immunoglobulin_advice_for(a: MmrAssessment) -> Advice:
    assert a.exposure is not None
    days = a.rules.pep_immunoglobulin_window_days.value
    card_facts = facts(a, Message.of("mmr.rule.pep.immunoglobulin", days=days))
    return immunoglobulin_advice(a.exposure, card_facts, decisions(a), a.rules, a.target.doses)


def undated_immunoglobulin_advice(record: PatientRecord, u: UndatedAssessment) -> Advice:
    assert u.exposure is not None
    r = u.rules
    return immunoglobulin_advice(
        u.exposure, undated_facts(record, u), safety_decisions(u.safety), r, r.target_doses_born_since_cutoff.value
    )
