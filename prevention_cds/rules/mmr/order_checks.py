"""MMR checks of ``prevention-order-sign`` and ``prevention-order-select``.

A draft MMR order for a patient with a contraindication → critical card that removes it; a dose that would
not count (too young outside post-exposure, too soon after an MMR or live vaccine, after immunoglobulins) →
warning with the first valid date; a product with gelatin for a gelatin allergy → warning proposing the
gelatin-free one.
"""

from __future__ import annotations

from datetime import date, datetime

from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    Indicator,
    MedicationProposal,
    Message,
    RemoveDraftOrder,
    ReplaceDraftOrder,
    Suggestion,
)
from prevention_cds.rules.citation import Citations, Cited, sources
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, OrderContext, PatientRecord
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment, assess
from prevention_cds.rules.mmr.cards.missing_birth_date import missing_birth_date_advice
from prevention_cds.rules.mmr.cards.parts import MMR_REASON, decisions_for, facts_for
from prevention_cds.rules.mmr.contraindications import gelatin_free
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import Response
from prevention_cds.rules.mmr.validity import Obstacle, RejectionReason, SpacingEvents, earliest_valid, obstacles
from prevention_cds.rules.mmr.wording import (
    contraindication_explanation,
    contraindication_name,
    named,
    obstacle_message,
    route_message,
)
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.rules.unique import unique

Assessment = MmrAssessment | UndatedAssessment


def mmr_orders(orders: OrderContext) -> tuple[DraftOrder, ...]:
    return unique((*orders.orders_of(Concept.MMR_VACCINE), *orders.orders_of(Concept.MMRV_VACCINE)))


def check_orders(
    record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
) -> tuple[Advice, ...]:
    drafts = mmr_orders(orders)
    if not drafts:
        return ()
    rules = MmrParameters.on(now.date())
    a = assess(record, now, rules)
    cards: list[Advice] = []
    if isinstance(a, UndatedAssessment) and not a.safety.contraindicated:
        cards.append(missing_birth_date_advice(record, a))
    for order in drafts:
        cards.extend(_check(order, record, a, rules))
    return tuple(cards)


def _check(order: DraftOrder, record: PatientRecord, a: Assessment, rules: MmrParameters) -> tuple[Advice, ...]:
    if a.safety.contraindicated:
        return (_remove(order, record, a),)  # nothing else matters: the order must go
    cards: list[Advice] = []
    found = _obstacles_today(a)
    if found:
        cards.append(_too_early(order, record, a, found))
    if a.safety.gelatin_allergies and not gelatin_free(order.display, rules):
        cards.append(_gelatin(order, record, a))
    return tuple(cards)


def _events(a: Assessment) -> SpacingEvents:
    return a.history.events if isinstance(a, MmrAssessment) else a.events


def _min_age_date(a: Assessment) -> date | None:
    return a.birth.surely_reached(a.rules.min_age_months.value) if isinstance(a, MmrAssessment) else None


def _obstacles_today(a: Assessment) -> tuple[Obstacle, ...]:
    found = obstacles(a.now.date(), _events(a), _min_age_date(a), a.rules)
    infant_post_exposure = a.exposure is not None and a.exposure.response == Response.INFANT_DOSE
    if infant_post_exposure:
        # an infant's dose within the window after a contact is meant to be given (and not to count)
        return tuple(o for o in found if o.reason != RejectionReason.TOO_YOUNG)
    return found


def _facts(record: PatientRecord, a: Assessment, order: DraftOrder, rule: Message) -> tuple[Message, ...]:
    order_fact = Message.decisive_of("mmr.fact.order", order=named(order.display))
    return (order_fact, *facts_for(record, a, rule))


def _remove(order: DraftOrder, record: PatientRecord, a: Assessment) -> Advice:
    findings = a.safety.findings
    suggestions = (
        (
            Suggestion(
                label=Message.of("mmr.suggestion.remove-order"),
                actions=(RemoveDraftOrder(order.reference, order.display or order.reference),),
                recommended=True,
            ),
        )
        if order.reference
        else ()
    )
    return Advice(
        rule="mmr.order.remove",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.order.remove", reason=contraindication_name(findings[0].contraindication)),
        explanation=tuple(contraindication_explanation(f.contraindication) for f in findings),
        facts=_facts(record, a, order, Message.of("mmr.rule.contraindication")),
        guideline=sources(*(f.basis for f in findings)),
        decisions=decisions_for(a),
        suggestions=suggestions,
    )


def _too_early(order: DraftOrder, record: PatientRecord, a: Assessment, found: tuple[Obstacle, ...]) -> Advice:
    r, today = a.rules, a.now.date()
    birth = a.birth if isinstance(a, MmrAssessment) else None
    earliest = earliest_valid(_events(a), max(today, _min_age_date(a) or today), r)
    reasons = tuple(obstacle_message(o, today, birth, r) for o in found)
    explanation = [Message.decisive_of("mmr.explain.order.too-early", reasons=reasons, earliest=earliest)]
    if a.exposure is not None and a.exposure.response == Response.IMMUNOGLOBULIN:
        explanation.append(Message.decisive_of("mmr.explain.order.immunoglobulin"))
    rule = Message.of(
        "mmr.rule.order-validity",
        min_months=r.min_age_months.value,
        min_days=r.min_interval_days.value,
        live_days=r.live_vaccine_interval_days.value,
        ig_months=r.immunoglobulin_delay_months.value,
    )
    return Advice(
        rule="mmr.order.too-early",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.too-early", earliest=earliest),
        explanation=tuple(explanation),
        facts=_facts(record, a, order, rule),
        guideline=sources(*(_obstacle_value(o, r) for o in found)),
        decisions=decisions_for(a),
    )


def _obstacle_value(obstacle: Obstacle, r: MmrParameters) -> Cited[int]:
    """The rule value that stops the dose from counting."""
    match obstacle.reason:
        case RejectionReason.TOO_YOUNG:
            return r.min_age_months
        case RejectionReason.LIVE_VACCINE:
            return r.live_vaccine_interval_days
        case RejectionReason.IMMUNOGLOBULIN:
            return r.immunoglobulin_delay_months
        case RejectionReason.DUPLICATE | RejectionReason.TOO_SOON | RejectionReason.FUTURE_DATE:
            return r.min_interval_days


def _gelatin(order: DraftOrder, record: PatientRecord, a: Assessment) -> Advice:
    r, cites = a.rules, Citations()
    proposal = MedicationProposal(
        medicine=cites.cite(r.gelatin_free_product),
        route=r.route.value,
        schedule=DoseSchedule.single_dose(),
        instruction=Message.of("mmr.instruction.single", route=route_message(r.route.value)),
        reason=MMR_REASON,
    )
    suggestions = (
        (
            Suggestion(
                label=Message.of("mmr.suggestion.use-gelatin-free"),
                actions=(ReplaceDraftOrder(order.reference, proposal),),
                recommended=True,
            ),
        )
        # replacing MMRV with an MMR product would drop varicella: the clinician chooses
        if order.reference and Concept.MMRV_VACCINE not in order.concepts
        else ()
    )
    return Advice(
        rule="mmr.order.gelatin",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.gelatin"),
        explanation=(Message.decisive_of("mmr.explain.gelatin"),),
        facts=_facts(record, a, order, Message.of("mmr.rule.gelatin")),
        guideline=cites.refs,
        decisions=decisions_for(a),
        suggestions=suggestions,
    )
