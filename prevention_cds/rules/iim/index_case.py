"""The index case itself (clinical.md §A.6): treated without a third-generation cephalosporin, carriage
persists and an eradication course is due before returning to the community."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Message
from prevention_cds.rules.citation import sources
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact
from prevention_cds.rules.iim.advice_builder import CardContext, Purpose, course_advice
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.second_line import second_line_decision
from prevention_cds.rules.ruleset import RuleSettings


def index_case_condition(patient: PatientProfile) -> ConditionFact | None:
    """The active IIM Condition (confirmed or probable: both are treated and notified)."""
    conditions = patient.record.active_conditions(Concept.IIM_DISEASE)
    return max(conditions, key=lambda c: c.onset or c.recorded or patient.today, default=None)


def needs_eradication(patient: PatientProfile) -> bool:
    """No recorded treatment that eradicates carriage (a C3G, or an eradication course already given).

    Nothing recorded reads as 'not treated with a C3G': an unneeded short course is the lesser harm than a
    case returning to the community still carrying the strain; the card says so.
    """
    if index_case_condition(patient) is None:
        return False
    treatments = patient.rules.index_case_eradicating_treatments.value
    return not any(patient.given_medications(t) for t in treatments)


def index_case_advice(patient: PatientProfile, settings: RuleSettings) -> tuple[Advice, ...]:
    condition = index_case_condition(patient)
    if condition is None or not needs_eradication(patient):
        return ()
    facts = [Message.decisive_of("iim.fact.index-case", condition=condition.display)]
    if not condition.confirmed:
        facts.append(Message.decisive_of("iim.fact.index-case-probable"))
    facts.append(Message.decisive_of("iim.fact.no-c3g"))
    ctx = CardContext(
        purpose=Purpose.INDEX_CASE,
        patient=patient,
        explanation=(Message.of("iim.index-case.detail"),),
        facts=tuple(facts) + patient.facts(),
        guideline=sources(patient.rules.index_case_eradicating_treatments),
        decisions=(Message.of("iim.decision.c3g-not-recorded"),),
    )
    return course_advice(ctx, second_line_decision(patient, None, settings), condition.source_id)
