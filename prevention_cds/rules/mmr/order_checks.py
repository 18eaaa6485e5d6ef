"""MMR checks of ``prevention-order-sign`` and ``prevention-order-select``.

A draft MMR order for a patient with a contraindication → critical card that removes it; a dose that would
not count (too young outside post-exposure, too soon after an MMR or live vaccine, after immunoglobulins) →
warning with the first valid date; M-M-RVaxPro for a gelatin allergy → warning proposing Priorix.
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
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, OrderContext, PatientRecord
from prevention_cds.rules.mmr import advice_builder as build
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment, assess
from prevention_cds.rules.mmr.contraindications import gelatin_free
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import Response
from prevention_cds.rules.mmr.validity import Obstacle, RejectionReason, SpacingEvents, earliest_valid, obstacles
from prevention_cds.rules.mmr.wording import contraindication_name, named, obstacle_message, route_message
from prevention_cds.rules.ruleset import RuleSettings

Assessment = MmrAssessment | UndatedAssessment


def mmr_orders(orders: OrderContext) -> tuple[DraftOrder, ...]:
    found: list[DraftOrder] = []
    for order in (*orders.orders_of(Concept.MMR_VACCINE), *orders.orders_of(Concept.MMRV_VACCINE)):
        if order not in found:
            found.append(order)
    return tuple(found)


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
        cards.append(build.missing_birth_date_advice(record, a))
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
    return a.birth.surely_reached(a.rules.min_age_months) if isinstance(a, MmrAssessment) else None


def _obstacles_today(a: Assessment) -> tuple[Obstacle, ...]:
    found = obstacles(a.now.date(), _events(a), _min_age_date(a), a.rules)
    infant_post_exposure = a.exposure is not None and a.exposure.response == Response.INFANT_DOSE
    if infant_post_exposure:
        # the 6–11-month dose within 72 h of a contact is meant to be given (and not to count)
        return tuple(o for o in found if o.reason != RejectionReason.TOO_YOUNG)
    return found


def _facts(record: PatientRecord, a: Assessment, order: DraftOrder, rule: Message) -> tuple[Message, ...]:
    order_fact = Message.of("mmr.fact.order", order=named(order.display))
    return (order_fact, *build.facts_for(record, a, rule))


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
        explanation=tuple(Message.of(f"mmr.explain.contraindication.{f.contraindication.value}") for f in findings),
        facts=_facts(record, a, order, Message.of("mmr.rule.contraindication")),
        guideline=tuple(dict.fromkeys(build.CONTRAINDICATION_REFS[f.contraindication] for f in findings)),
        decisions=build.decisions_for(a),
        suggestions=suggestions,
    )


def _too_early(order: DraftOrder, record: PatientRecord, a: Assessment, found: tuple[Obstacle, ...]) -> Advice:
    r, today = a.rules, a.now.date()
    birth = a.birth if isinstance(a, MmrAssessment) else None
    earliest = earliest_valid(_events(a), max(today, _min_age_date(a) or today), r)
    reasons = tuple(obstacle_message(o, today, birth, r) for o in found)
    explanation = [Message.of("mmr.explain.order.too-early", reasons=reasons, earliest=earliest)]
    if a.exposure is not None and a.exposure.response == Response.IMMUNOGLOBULIN:
        explanation.append(Message.of("mmr.explain.order.immunoglobulin"))
    rule = Message.of(
        "mmr.rule.order-validity",
        min_months=r.min_age_months,
        min_days=r.min_interval_days,
        live_days=r.live_vaccine_interval_days,
        ig_months=r.immunoglobulin_delay_months,
    )
    return Advice(
        rule="mmr.order.too-early",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.too-early", earliest=earliest),
        explanation=tuple(explanation),
        facts=_facts(record, a, order, rule),
        guideline=r.refs(*_obstacle_values(found)),
        decisions=build.decisions_for(a),
    )


def _obstacle_values(found: tuple[Obstacle, ...]) -> tuple[str, ...]:
    by_reason = {
        RejectionReason.TOO_YOUNG: "min_age_months",
        RejectionReason.DUPLICATE: "min_interval_days",
        RejectionReason.TOO_SOON: "min_interval_days",
        RejectionReason.LIVE_VACCINE: "live_vaccine_interval_days",
        RejectionReason.IMMUNOGLOBULIN: "immunoglobulin_delay_months",
        RejectionReason.FUTURE_DATE: "min_interval_days",
    }
    return tuple(by_reason[o.reason] for o in found)


def _gelatin(order: DraftOrder, record: PatientRecord, a: Assessment) -> Advice:
    r = a.rules
    proposal = MedicationProposal(
        medicine=r.gelatin_free_product,
        route=r.route,
        schedule=DoseSchedule.single_dose(),
        instruction=Message.of("mmr.instruction.single", route=route_message(r.route)),
        reason=build.MMR_REASON,
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
        explanation=(Message.of("mmr.explain.gelatin"),),
        facts=_facts(record, a, order, Message.of("mmr.rule.gelatin")),
        guideline=r.refs("gelatin_free_product"),
        decisions=build.decisions_for(a),
        suggestions=suggestions,
    )
