"""The index case itself (clinical reference A.1, A.6): the mandatory notification to the ARS, without delay; when
treated without a third-generation cephalosporin, an eradication course before returning to the community (a C3G
given is read from a request, a statement or an administration); and what follows recovery."""

from __future__ import annotations

from datetime import date

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.citation import sources
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord
from prevention_cds.rules.iim.advice_builder import CardContext, Purpose, course_advice
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.second_line import second_line_decision
from prevention_cds.rules.ruleset import RuleSettings

NOTIFICATION_RULE = "iim.index-case.notification"  # the card every index case gets


def index_case_of(record: PatientRecord, today: date) -> ConditionFact | None:
    """The active IIM Condition (confirmed or probable: both are treated and notified); of several, the latest
    (an undated one is today's)."""
    conditions = record.active_conditions(Concept.IIM_DISEASE)
    return max(conditions, key=lambda c: c.onset or c.recorded or today, default=None)


def index_case_condition(patient: PatientProfile) -> ConditionFact | None:
    return index_case_of(patient.record, patient.today)


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
    if condition is None:
        return ()
    facts = [Message.decisive_of("iim.fact.index-case", condition=condition.display)]
    if not condition.confirmed:
        facts.append(Message.decisive_of("iim.fact.index-case-probable"))
    earlier = _earlier_episodes(patient, condition)
    facts += [Message.decisive_of("iim.fact.index-case-earlier", condition=c.display) for c in earlier]
    rules = patient.rules
    notify = CardContext(
        purpose=Purpose.INDEX_CASE,
        patient=patient,
        explanation=(),
        facts=tuple(facts),
        guideline=sources(rules.index_case_notification),
    )
    cards = [
        notify.advice(
            NOTIFICATION_RULE,
            Indicator.CRITICAL,
            Message.of("iim.summary.index-case.notify"),
            # on the card: report now, then the form; what the ARS needs is on the page
            (Message.decisive_of("iim.index-case.notify.detail"), Message.of("iim.index-case.notify.content")),
        )
    ]
    if needs_eradication(patient):
        ctx = CardContext(
            purpose=Purpose.INDEX_CASE,
            patient=patient,
            explanation=(Message.of("iim.index-case.detail"),),
            facts=(*facts, Message.decisive_of("iim.fact.no-c3g"), *patient.facts()),  # to check: why the course
            guideline=sources(rules.index_case_eradicating_treatments),
            decisions=(Message.of("iim.decision.c3g-not-recorded"),),
        )
        cards += course_advice(ctx, second_line_decision(patient, None, settings), condition.source_id)
    recovery = [
        Message.decisive_of("iim.index-case.after-recovery.detail"),
        Message.decisive_of("iim.index-case.complement"),  # who the search is for: said on the card
    ]
    cards.append(
        notify.advice(
            "iim.index-case.after-recovery",
            Indicator.INFO,
            Message.of(
                "iim.summary.index-case.recurrence" if earlier else "iim.summary.index-case.after-recovery"
            ),
            tuple(recovery),
            decisions=(Message.of("iim.decision.complement-screening"),),
            guideline=sources(rules.index_case_vaccination, rules.index_case_complement_screening),
        )
    )
    return tuple(cards)


def _earlier_episodes(patient: PatientProfile, current: ConditionFact) -> tuple[ConditionFact, ...]:
    """Other IIM records, resolved or dated before the current one: a recurrence."""
    start = current.onset or current.recorded
    return tuple(
        c
        for c in patient.record.conditions
        if c.concept is Concept.IIM_DISEASE
        and c is not current
        and (not c.active or (start is not None and (c.onset or c.recorded or start) < start))
    )
