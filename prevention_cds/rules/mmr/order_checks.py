"""MMR checks of ``prevention-order-sign`` and ``prevention-order-select``.

A draft MMR order for a patient with a contraindication → critical card that removes it; for a patient who has
measles now → warning that removes it (no dose while ill); a dose that would not count (too young outside
post-exposure, too soon after an MMR or live vaccine, a young child's yellow fever vaccine the same day, after
immunoglobulins) → warning with the first valid date and the order dated from then; a product with gelatin for a
gelatin allergy → warning proposing the gelatin-free one. A yellow fever vaccine ordered with MMR for a young
child, or too soon after an MMR dose → warning with the date it may be given.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    Indicator,
    MedicationProposal,
    Medicine,
    Message,
    RemoveDraftOrder,
    ReplaceDraftOrder,
    Suggestion,
)
from prevention_cds.rules.citation import Citations, Cited, sources
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, OrderContext, PatientRecord
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment, assess
from prevention_cds.rules.mmr.cards.measles_case import case_facts, case_name, suspected_decisions
from prevention_cds.rules.mmr.cards.missing_birth_date import missing_birth_date_advice
from prevention_cds.rules.mmr.cards.parts import MMR_REASON, decisions_for, facts_for, yellow_fever_decision
from prevention_cds.rules.mmr.contraindications import gelatin_free
from prevention_cds.rules.mmr.measles_case import MeaslesCase, current_case
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import Response
from prevention_cds.rules.mmr.validity import Obstacle, RejectionReason, SpacingEvents, earliest_valid, obstacles
from prevention_cds.rules.mmr.wording import (
    contraindication_explanation,
    contraindication_name,
    named,
    route_message,
    rule_fact,
    too_early_message,
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
    yellow_fever = orders.orders_of(Concept.YELLOW_FEVER_VACCINE)
    # an MMR order is weighed against every yellow fever order of the call, selected or not: both will be signed
    with_yellow_fever = tuple(o for o in orders.orders if Concept.YELLOW_FEVER_VACCINE in o.concepts)
    if not drafts and not yellow_fever:
        return ()
    rules = MmrParameters.on(now.date())
    a = assess(record, now, rules)
    case = current_case(record, now.date(), rules)
    cards: list[Advice] = []
    if drafts and isinstance(a, UndatedAssessment) and not a.safety.contraindicated and case is None:
        cards.append(missing_birth_date_advice(record, a))
    for order in drafts:
        cards.extend(_check(order, record, a, case, with_yellow_fever))
    for order in yellow_fever:
        cards.extend(_check_yellow_fever(order, record, a))
    return tuple(cards)


def _check(
    order: DraftOrder,
    record: PatientRecord,
    a: Assessment,
    case: MeaslesCase | None,
    yellow_fever: tuple[DraftOrder, ...],
) -> tuple[Advice, ...]:
    if a.safety.contraindicated:
        return (_remove(order, record, a),)  # nothing else matters: the order must go
    if case is not None:
        return (_measles_case(order, record, a, case),)  # no dose while ill
    cards: list[Advice] = []
    found = _obstacles_today(a)
    not_before = _earliest(a) if found else None
    if not_before is not None:
        cards.append(_too_early(order, record, a, found, not_before))
    elif yellow_fever and _young_for_yellow_fever(a):
        cards.append(_with_yellow_fever(order, record, a, yellow_fever[0]))
    if a.safety.gelatin_allergies and not gelatin_free(order.display, a.rules):
        cards.append(_gelatin(order, record, a, not_before))
    return tuple(cards)


def _events(a: Assessment) -> SpacingEvents:
    return a.history.events if isinstance(a, MmrAssessment) else a.events


def _obstacles_today(a: Assessment) -> tuple[Obstacle, ...]:
    found = obstacles(a.now.date(), _events(a), a.limits, a.rules)
    infant_post_exposure = a.exposure is not None and a.exposure.response == Response.INFANT_DOSE
    if infant_post_exposure:
        # an infant's dose within the window after a contact is meant to be given (and not to count)
        return tuple(o for o in found if o.reason != RejectionReason.TOO_YOUNG)
    return found


def _earliest(a: Assessment) -> date:
    today = a.now.date()
    return earliest_valid(_events(a), max(today, a.limits.min_age_on or today), a.rules)


def _young_for_yellow_fever(a: Assessment) -> bool:
    """May be young enough today that yellow fever and MMR are not given the same day."""
    return a.now.date() < a.limits.yellow_fever_apart_until


def order_fact(order: DraftOrder) -> Message:
    """The order a card is about: on the card, the clinician is signing it."""
    return Message.decisive_of("mmr.fact.order", order=named(order.display))


def _yellow_fever_fact(order: DraftOrder) -> Message:
    return Message.decisive_of("mmr.fact.yellow-fever-order", order=named(order.display))


def _facts(record: PatientRecord, a: Assessment, order: DraftOrder, rule: Message) -> tuple[Message, ...]:
    return (order_fact(order), *facts_for(record, a, rule))


def _remove_suggestion(order: DraftOrder) -> tuple[Suggestion, ...]:
    if not order.reference:
        return ()
    return (
        Suggestion(
            label=Message.of("mmr.suggestion.remove-order"),
            actions=(RemoveDraftOrder(order.reference, order.display or order.reference),),
            recommended=True,
        ),
    )


def _remove(order: DraftOrder, record: PatientRecord, a: Assessment) -> Advice:
    findings = a.safety.findings
    return Advice(
        rule="mmr.order.remove",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.order.remove", reason=contraindication_name(findings[0].contraindication)),
        explanation=tuple(contraindication_explanation(f) for f in findings),
        facts=_facts(record, a, order, Message.of("mmr.rule.contraindication")),
        guideline=sources(*(f.basis for f in findings)),
        decisions=decisions_for(a),
        suggestions=_remove_suggestion(order),
    )


def _measles_case(order: DraftOrder, record: PatientRecord, a: Assessment, case: MeaslesCase) -> Advice:
    r = a.rules
    return Advice(
        rule="mmr.order.measles-case",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.measles-case", case=case_name(case)),
        explanation=(
            Message.decisive_of("mmr.explain.order.measles-case"),
            Message.decisive_of("mmr.explain.measles-case.report"),  # the case card may not have been seen
        ),
        facts=(order_fact(order), *case_facts(case), rule_fact(Message.of("mmr.rule.measles-case-no-dose"))),
        guideline=sources(r.measles_case_no_dose, r.measles_case_report),
        decisions=suspected_decisions(case),
        suggestions=_remove_suggestion(order),
    )


def _product(order: DraftOrder, a: Assessment) -> Cited[Medicine]:
    """The product of a corrected order: gelatin-free for a gelatin allergy, or when the clinician chose it."""
    r = a.rules
    return r.gelatin_free_product if a.safety.gelatin_allergies or gelatin_free(order.display, r) else r.default_product


def _replacement(
    order: DraftOrder, a: Assessment, medicine: Medicine, not_before: date | None, label: Message, recommended: bool
) -> tuple[Suggestion, ...]:
    """The order rewritten by the service: a single dose of ``medicine``, not before ``not_before``. None for an
    MMRV order: an MMR product in its place would drop varicella, the clinician chooses."""
    if not order.reference or Concept.MMRV_VACCINE in order.concepts:
        return ()
    r = a.rules
    route = route_message(r.route.value)
    instruction = (
        Message.of("mmr.instruction.single-from", route=route, not_before=not_before)
        if not_before is not None
        else Message.of("mmr.instruction.single", route=route)
    )
    proposal = MedicationProposal(
        medicine=medicine,
        route=r.route.value,
        schedule=DoseSchedule.single_dose(),
        instruction=instruction,
        reason=MMR_REASON,
        not_before=not_before,
    )
    return (Suggestion(label=label, actions=(ReplaceDraftOrder(order.reference, proposal),), recommended=recommended),)


def _too_early(
    order: DraftOrder, record: PatientRecord, a: Assessment, found: tuple[Obstacle, ...], earliest: date
) -> Advice:
    r, today = a.rules, a.now.date()
    birth = a.birth if isinstance(a, MmrAssessment) else None
    explanation = [too_early_message(found, today, birth, earliest, r).as_decisive()]  # why the order is dated
    if a.exposure is not None and a.exposure.response == Response.IMMUNOGLOBULIN:
        explanation.append(Message.decisive_of("mmr.explain.order.immunoglobulin"))
    rule = Message.of(
        "mmr.rule.order-validity",
        min_months=r.min_age_months.value,
        min_days=r.min_interval_days.value,
        live_days=r.live_vaccine_interval_days.value,
        ig_months=r.immunoglobulin_delay_months.value,
    )
    cites = Citations(*(_obstacle_value(o, r) for o in found))
    product = _product(order, a)
    label = Message.of("mmr.suggestion.date-order", not_before=earliest)
    decisions = list(decisions_for(a))
    if any(o.reason == RejectionReason.YELLOW_FEVER_SAME_DAY for o in found):
        decisions.append(yellow_fever_decision(r))
    return Advice(
        rule="mmr.order.too-early",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.too-early", earliest=earliest),
        explanation=tuple(explanation),
        facts=_facts(record, a, order, rule),
        guideline=cites.refs,
        decisions=unique(decisions),
        suggestions=_replacement(order, a, product.value, earliest, label, recommended=True),
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
        case RejectionReason.YELLOW_FEVER_SAME_DAY:
            return r.yellow_fever_apart_below_months
        case RejectionReason.DUPLICATE | RejectionReason.TOO_SOON | RejectionReason.FUTURE_DATE:
            return r.min_interval_days


def _gelatin(order: DraftOrder, record: PatientRecord, a: Assessment, not_before: date | None) -> Advice:
    r, cites = a.rules, Citations()
    product = cites.cite(r.gelatin_free_product)
    return Advice(
        rule="mmr.order.gelatin",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.gelatin"),
        explanation=(Message.decisive_of("mmr.explain.gelatin"),),
        facts=_facts(record, a, order, Message.of("mmr.rule.gelatin")),
        guideline=cites.refs,
        decisions=decisions_for(a),
        suggestions=_replacement(
            order, a, product, not_before, Message.of("mmr.suggestion.use-gelatin-free"), recommended=True
        ),
    )


# --- yellow fever and MMR ----------------------------------------------------------------------------------


def _yellow_fever_rule(r: MmrParameters, cites: Citations) -> Message:
    return Message.of(
        "mmr.rule.yellow-fever",
        days=cites.cite(r.live_vaccine_interval_days),
        months=cites.cite(r.yellow_fever_apart_below_months),
    )


def _with_yellow_fever(order: DraftOrder, record: PatientRecord, a: Assessment, yellow_fever: DraftOrder) -> Advice:
    """MMR and yellow fever ordered together for a child young enough that they are not given the same day."""
    r, cites = a.rules, Citations()
    rule = _yellow_fever_rule(r, cites)
    days, months = r.live_vaccine_interval_days.value, r.yellow_fever_apart_below_months.value
    later = a.now.date() + timedelta(days=days)
    label = Message.of("mmr.suggestion.postpone-for-yellow-fever", not_before=later)
    return Advice(
        rule="mmr.order.yellow-fever-together",
        indicator=Indicator.WARNING,
        summary=Message.of("mmr.summary.order.yellow-fever-together", months=months, days=days),
        explanation=(
            Message.decisive_of("mmr.explain.order.yellow-fever-together", months=months, days=days, later=later),
        ),
        facts=(
            _yellow_fever_fact(yellow_fever),
            *_facts(record, a, order, rule),
        ),
        guideline=cites.refs,
        decisions=unique((*decisions_for(a), yellow_fever_decision(r))),
        suggestions=_replacement(order, a, _product(order, a).value, later, label, recommended=False),
    )


def _check_yellow_fever(order: DraftOrder, record: PatientRecord, a: Assessment) -> tuple[Advice, ...]:
    """A yellow fever vaccine ordered too soon after a recorded MMR dose: the same day or at least the live-vaccine
    interval after it, and for a young child never the same day."""
    r, today = a.rules, a.now.date()
    recent = [
        d
        for d in _events(a).mmr_doses
        if d.given_on <= today < d.given_on + timedelta(days=r.live_vaccine_interval_days.value)
    ]
    if not recent:
        return ()
    last = max(recent, key=lambda d: d.given_on)
    if last.given_on == today and not _young_for_yellow_fever(a):
        return ()  # the same day is allowed from that age
    cites = Citations()
    rule = _yellow_fever_rule(r, cites)
    earliest = last.given_on + timedelta(days=r.live_vaccine_interval_days.value)
    days_since = (today - last.given_on).days
    reason = (
        Message.decisive_of("mmr.explain.order.yellow-fever-same-day", months=r.yellow_fever_apart_below_months.value)
        if days_since == 0
        else Message.decisive_of(
            "mmr.explain.order.yellow-fever-too-soon", min_days=r.live_vaccine_interval_days.value
        )
    )
    return (
        Advice(
            rule="mmr.order.yellow-fever-after-mmr",
            indicator=Indicator.WARNING,
            summary=Message.of("mmr.summary.order.yellow-fever-after-mmr", given_on=last.given_on, earliest=earliest),
            explanation=(reason, Message.decisive_of("mmr.explain.order.yellow-fever-from", earliest=earliest)),
            facts=(
                _yellow_fever_fact(order),
                *facts_for(record, a, rule),
            ),
            guideline=cites.refs,
            decisions=unique((*decisions_for(a), *((yellow_fever_decision(r),) if days_since == 0 else ()))),
        ),
    )
