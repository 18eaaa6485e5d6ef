"""Checks of draft rifampicin, ciprofloxacin and ceftriaxone orders (order-select, order-sign).

A contraindication is checked on every order, whatever it is for. The dose, frequency, duration and route are
checked only when the record shows an IIM course is due (a contact within the window and not covered, or
an index case needing eradication): a rifampicin order for tuberculosis follows another regimen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from prevention_cds.rules.advice import (
    Advice,
    GuidelineRef,
    Indicator,
    MedicationProposal,
    Message,
    RemoveDraftOrder,
    ReplaceDraftOrder,
    Route,
    Suggestion,
)
from prevention_cds.rules.citation import Citations, sources
from prevention_cds.rules.facts import DraftOrder, MedicationFact, MedicationStatus, OrderContext
from prevention_cds.rules.iim.advice_builder import CardContext, Purpose, band_decisions, band_limits
from prevention_cds.rules.iim.contact import ContactStatus, assess_contacts, most_relevant
from prevention_cds.rules.iim.contraindications import Contraindication, contraindications
from prevention_cds.rules.iim.course import plan_course
from prevention_cds.rules.iim.index_case import index_case_condition, needs_eradication
from prevention_cds.rules.iim.interactions import found_in, interactions, lines
from prevention_cds.rules.iim.parameters import CeftriaxoneValues, IimParameters, InteractionAction, InteractionLevel
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import REGIMENS, Drug, WeightRequired, values_of
from prevention_cds.rules.iim.second_line import SecondLineDecision, second_line_decision
from prevention_cds.rules.iim.timing import covered_by_prior_course, prophylaxis_window
from prevention_cds.rules.ruleset import RuleSettings

# The routes a drug may be given by, in words: the sets of the rule data (``<drug>_routes``), and each route alone
# (the route an order gives)
_ROUTE_LABELS: dict[frozenset[Route], str] = {
    frozenset({Route.INTRAMUSCULAR, Route.INTRAVENOUS}): "iim.route.intramuscular-or-intravenous",
    frozenset({Route.ORAL}): "iim.route.oral",
    frozenset({Route.INTRAMUSCULAR}): "iim.route.intramuscular",
    frozenset({Route.INTRAVENOUS}): "iim.route.intravenous",
    frozenset({Route.SUBCUTANEOUS}): "iim.route.subcutaneous",
}
_PERCENT = Decimal(100)
DOSE_RULE = "iim.order.dose"
EXPECTED_KEY, OTHER_INDICATION_KEY = "iim.order.expected", "iim.order.other-indication"
ABOVE_MAXIMUM_KEY = "iim.order.mismatch.above-maximum"


def route_label(routes: frozenset[Route]) -> Message:
    return Message.of(_ROUTE_LABELS[routes])


def _cap_mg(drug: Drug, rules: IimParameters) -> Decimal | None:
    values = values_of(drug, rules)
    return None if isinstance(values, CeftriaxoneValues) else values.max_dose_mg.value


@dataclass(frozen=True)
class IimNeed:
    """An IIM course is due for this patient: the orders are checked against it."""

    purpose: Purpose
    second_line: SecondLineDecision
    reason_reference: str | None


def iim_need(patient: PatientProfile, settings: RuleSettings) -> IimNeed | None:
    today, rules = patient.today, patient.rules
    contact = most_relevant(assess_contacts(patient.record, rules), patient.now)
    if contact is not None and contact.status is ContactStatus.CONTACT:
        exposure = contact.exposure
        window = prophylaxis_window(contact.last_contact, patient.now, rules)
        if window.is_open and not covered_by_prior_course(exposure, today, rules):
            return IimNeed(Purpose.CONTACT, second_line_decision(patient, exposure, settings), exposure.source_id)
    condition = index_case_condition(patient)
    if condition is not None and needs_eradication(patient):
        return IimNeed(Purpose.INDEX_CASE, second_line_decision(patient, None, settings), condition.source_id)
    return None


_IIM_DRUGS = frozenset(d.concept for d in Drug)
_NO_ORDER_WARNING = frozenset({InteractionAction.EXCLUDE, InteractionAction.INFORM})


def with_draft_orders(patient: PatientProfile, orders: OrderContext) -> PatientProfile:
    """The patient with the other draft orders as current medicines: an interaction is the same whether the
    interacting medicine is taken or about to be ordered. IIM antibiotics are left out (a draft rifampicin order
    is not a course given)."""
    drafted = tuple(
        MedicationFact(o.concepts, o.display, MedicationStatus.ONGOING, source_id=o.reference)
        for o in orders.orders
        if o.concepts and not o.concepts & _IIM_DRUGS
    )
    if not drafted:
        return patient
    return replace(patient, record=replace(patient.record, medications=patient.record.medications + drafted))


def check_orders(patient: PatientProfile, orders: OrderContext, settings: RuleSettings) -> tuple[Advice, ...]:
    patient = with_draft_orders(patient, orders)
    need = iim_need(patient, settings)
    facts = patient.facts()
    advice: list[Advice] = []
    for drug in Drug:
        for order in orders.orders_of(drug.concept):
            card = _check(patient, facts, order, drug, need)
            form = _capsule_too_young(patient, facts, order, drug, need)
            if form is not None and card is not None and card.rule == DOSE_RULE:
                # one card for one order: the capsule card proposes the corrected order, and says what else differs
                skipped = {EXPECTED_KEY, OTHER_INDICATION_KEY}
                mismatches = tuple(m for m in card.explanation if m.key not in skipped)
                form, card = replace(form, explanation=form.explanation + mismatches), None
            if card is not None:
                advice.append(card)
            caution = _interaction_card(patient, facts, order, drug, need)
            if caution is not None:
                advice.append(caution)
            if form is not None:
                advice.append(form)
    advice += _orders_against_current_antibiotic(patient, facts, orders)
    return tuple(advice)


def order_fact(order: DraftOrder) -> Message:
    """The order a card is about: on the card, the clinician is signing it."""
    return Message.decisive_of("iim.fact.order", order=order.display)


def _capsule_strength(order: DraftOrder, rules: IimParameters) -> Decimal | None:
    """The mg per capsule when the order names a rifampicin capsule product."""
    products = rules.rifampicin.capsule_products.value
    return next((mg for concept, mg in products.items() if concept in order.concepts), None)


def _capsule_too_young(
    patient: PatientProfile, facts: tuple[Message, ...], order: DraftOrder, drug: Drug, need: IimNeed | None
) -> Advice | None:
    """Rifampicin capsules are contraindicated under the capsule age (choking), whatever the order is for."""
    rifampicin = patient.rules.rifampicin
    from_years = rifampicin.capsule_from_age_years
    if drug is not Drug.RIFAMPICIN or _capsule_strength(order, patient.rules) is None or patient.age is None:
        return None
    if patient.age.youngest.years >= from_years.value:
        return None
    ctx = CardContext(Purpose.CONTACT, patient, (), (order_fact(order), *facts), ())
    suggestions: tuple[Suggestion, ...] = ()
    cites = Citations(from_years)
    band = patient.band
    if need is not None and band is not None and order.reference is not None:
        expected = REGIMENS[drug].propose(patient, band, need.reason_reference, cites)
        if isinstance(expected, MedicationProposal):
            label = Message.of("iim.suggestion.correct-order", drug=drug.label, dose_mg=expected.dose_mg or 0)
            suggestions = (Suggestion(label, (ReplaceDraftOrder(order.reference, expected),), recommended=True),)
    if order.reference is not None:
        remove = Suggestion(
            Message.of("iim.suggestion.remove-order", drug=drug.label),
            (RemoveDraftOrder(order.reference, order.display),),
            recommended=not suggestions,
        )
        suggestions += (remove,)
    return ctx.advice(
        "iim.order.capsule-form",
        Indicator.CRITICAL,
        Message.of("iim.summary.order.capsule-too-young", years=from_years.value),
        (Message.decisive_of("iim.order.capsule-too-young", years=from_years.value),),
        suggestions=suggestions,
        guideline=cites.refs,
    )


def _interaction_card(
    patient: PatientProfile, facts: tuple[Message, ...], order: DraftOrder, drug: Drug, need: IimNeed | None
) -> Advice | None:
    """An ordered antibiotic with an interaction that is not a contraindication: named, with what to do."""
    # A contraindication has its own card; an interaction only to be told makes no warning of an order
    found = [i for i in interactions(drug, patient) if i.action not in _NO_ORDER_WARNING]
    if not found or any(ci.absolute for ci in contraindications(drug, patient)):
        return None  # a contraindicated order gets its own critical card
    ctx = CardContext(Purpose.CONTACT, patient, (), (order_fact(order), *facts), ())
    suggestions: tuple[Suggestion, ...] = ()
    bases: tuple[GuidelineRef, ...] = ()
    if any(i.action is InteractionAction.SECOND_LINE_FIRST for i in found):
        suggestions, bases = _replacements(patient, order, drug, need)
    return ctx.advice(
        "iim.order.interaction",
        Indicator.WARNING,
        Message.of("iim.summary.order.interaction", drug=drug.label, medicine=found[0].medicine),
        lines(found),
        suggestions=suggestions,
        guideline=sources(*(i.basis for i in found)) + bases,
    )


def _orders_against_current_antibiotic(
    patient: PatientProfile, facts: tuple[Message, ...], orders: OrderContext
) -> tuple[Advice, ...]:
    """A draft order of an interacting medicine while the patient takes rifampicin or ciprofloxacin."""
    cards: list[Advice] = []
    for cited in patient.rules.interactions:
        rule = cited.value
        taking = patient.current_medications(rule.drug)
        if not taking or rule.action is InteractionAction.INFORM:
            continue
        for order in orders.orders_of(rule.medicines):
            ctx = CardContext(Purpose.CONTACT, patient, (), (order_fact(order), *facts), ())
            found = found_in(cited, order.display, order.reference, patient)
            critical = rule.level is InteractionLevel.CONTRAINDICATED
            cards.append(
                ctx.advice(
                    "iim.order.interaction",
                    Indicator.CRITICAL if critical else Indicator.WARNING,
                    Message.of(
                        "iim.summary.order.interaction-current", medicine=order.display, taking=taking[0].display
                    ),
                    (found.message(),),
                    guideline=(cited.ref,),
                )
            )
    return tuple(cards)


def _check(
    patient: PatientProfile, facts: tuple[Message, ...], order: DraftOrder, drug: Drug, need: IimNeed | None
) -> Advice | None:
    ctx = CardContext(
        purpose=need.purpose if need else Purpose.CONTACT,
        patient=patient,
        explanation=(),
        facts=(order_fact(order), *facts),
        guideline=(),  # each card cites the values it applies
    )
    # Absolute contraindications whatever the order is for; a neonatal restriction only for IIM prophylaxis
    # (a neonatal unit's ceftriaxone order for sepsis is not this service's to question).
    found = tuple(ci for ci in contraindications(drug, patient) if ci.absolute or need is not None)
    if found:
        return _contraindicated(ctx, order, drug, found, need)
    if need is None:
        return None
    if drug is Drug.RIFAMPICIN and need.second_line.clinical:
        replacements, bases = _replacements(patient, order, drug, need)
        return ctx.advice(
            "iim.order.second-line",
            Indicator.WARNING,
            Message.of("iim.summary.order.second-line"),
            need.second_line.reasons,
            suggestions=replacements,
            guideline=sources(patient.rules.second_line_indications) + bases,
        )
    band = patient.band
    if band is None:
        return ctx.advice(
            "iim.order.age-needed",
            Indicator.WARNING,
            Message.of("iim.summary.order.age-needed", drug=drug.label),
            guideline=band_limits(patient),
        )
    cites = Citations()
    expected = REGIMENS[drug].propose(patient, band, need.reason_reference, cites)
    if isinstance(expected, WeightRequired):
        return ctx.advice(
            "iim.order.weight-needed",
            Indicator.WARNING,
            Message.of("iim.summary.order.weight-needed", drug=drug.label),
            (Message.decisive_of("iim.weight-needed.detail", problem=expected.unavailable.message()), expected.regimen),
            band_decisions(patient),
            guideline=cites.refs,
        )
    mismatches = _mismatches(patient, order, drug, expected, cites)
    if not mismatches:
        return None
    overdose = any(m.key == ABOVE_MAXIMUM_KEY for m in mismatches)
    decisions = band_decisions(patient)
    if expected.mg_per_kg is not None:
        percent = patient.rules.order_dose_tolerance_percent.value
        decisions += (Message.of("iim.decision.order-tolerance", percent=percent),)
    suggestions: tuple[Suggestion, ...] = ()
    if order.reference is not None:
        label = Message.of("iim.suggestion.correct-order", drug=drug.label, dose_mg=expected.dose_mg or 0)
        # Not marked recommended: the order may treat another indication (the card says so).
        suggestions = (Suggestion(label, (ReplaceDraftOrder(order.reference, expected),)),)
    return ctx.advice(
        DOSE_RULE,
        Indicator.WARNING,
        Message.of("iim.summary.order.overdose" if overdose else "iim.summary.order.dose", drug=drug.label),
        (
            *mismatches,
            Message.of(EXPECTED_KEY, instruction=expected.instruction),
            Message.decisive_of(OTHER_INDICATION_KEY),
        ),
        decisions,
        suggestions,
        cites.refs,
    )


def _contraindicated(
    ctx: CardContext, order: DraftOrder, drug: Drug, found: tuple[Contraindication, ...], need: IimNeed | None
) -> Advice:
    absolute = any(ci.absolute for ci in found)
    suggestions, bases = _replacements(ctx.patient, order, drug, need) if absolute else ((), ())
    if order.reference is not None:
        label = Message.of("iim.suggestion.remove-order", drug=drug.label)
        remove = RemoveDraftOrder(order.reference, order.display)
        suggestions += (Suggestion(label, (remove,), recommended=not suggestions),)
    return ctx.advice(
        "iim.order.contraindicated",
        Indicator.CRITICAL if absolute else Indicator.WARNING,
        Message.of(
            "iim.summary.order.contraindicated" if absolute else "iim.summary.order.specialist", drug=drug.label
        ),
        tuple(ci.reason.as_decisive() for ci in found),
        suggestions=suggestions,
        guideline=sources(*(ci.basis for ci in found)) + bases,
    )


def _replacements(
    patient: PatientProfile, order: DraftOrder, drug: Drug, need: IimNeed | None
) -> tuple[tuple[Suggestion, ...], tuple[GuidelineRef, ...]]:
    """The course's other usable, dosable antibiotics, each replacing the draft order, and the sources of
    their doses."""
    band = patient.band
    if need is None or band is None or order.reference is None:
        return (), ()
    plan = plan_course(patient, band, need.second_line, need.reason_reference)
    options = [(option, proposal) for option, proposal in plan.proposals if option.drug is not drug]
    suggestions = tuple(
        Suggestion(
            Message.of("iim.suggestion.replace-with", drug=option.drug.label, dose_mg=proposal.dose_mg or 0),
            (ReplaceDraftOrder(order.reference, proposal),),
            recommended=option.recommended,
        )
        for option, proposal in options
    )
    return suggestions, tuple(ref for option, _ in options for ref in option.basis)


def _mismatches(
    patient: PatientProfile, order: DraftOrder, drug: Drug, expected: MedicationProposal, cites: Citations
) -> tuple[Message, ...]:
    found: list[Message] = []
    expected_mg = expected.dose_mg or Decimal(0)
    if order.dose_mg is None:
        found.append(
            Message.decisive_of("iim.order.mismatch.dose-unit", unit=order.dose_unit)
            if order.dose_unit
            else Message.decisive_of("iim.order.mismatch.dose-missing")
        )
    elif _dose_differs(patient, order.dose_mg, drug, expected, expected_mg):
        found.append(Message.decisive_of("iim.order.mismatch.dose", ordered_mg=order.dose_mg, expected_mg=expected_mg))
        overdose = _overdose(patient, order.dose_mg, drug, expected, cites)
        if overdose is not None:
            found.append(overdose)
    strength = _capsule_strength(order, patient.rules)
    if strength is not None and order.dose_mg is not None and order.dose_mg % strength:
        found.append(Message.decisive_of("iim.order.mismatch.dose-form", ordered_mg=order.dose_mg, capsule_mg=strength))
    schedule = expected.schedule
    per_day = schedule.frequency or schedule.count or 1
    if order.frequency_per_day is not None and order.frequency_per_day != per_day:
        found.append(
            Message.decisive_of("iim.order.mismatch.frequency", ordered=order.frequency_per_day, expected=per_day)
        )
    days = schedule.duration_days or 1
    if order.duration_days is not None and order.duration_days != days:
        found.append(Message.decisive_of("iim.order.mismatch.duration", ordered=order.duration_days, expected=days))
    allowed = frozenset(values_of(drug, patient.rules).routes.value)
    if order.route is not None and order.route not in allowed:
        expected_route = route_label(allowed)
        ordered = route_label(frozenset({order.route}))
        found.append(Message.decisive_of("iim.order.mismatch.route", ordered=ordered, expected=expected_route))
    return tuple(found)


def _overdose(
    patient: PatientProfile, ordered: Decimal, drug: Drug, expected: MedicationProposal, cites: Citations
) -> Message | None:
    """An ordered dose above the most the sources allow at once for this patient: the cap of a weight-based dose,
    and rifampicin's for everyone (the sources cap it per dose, adults included). Ciprofloxacin's cap is written for
    children and ceftriaxone has none: an adult's larger dose may treat another infection, a mismatch only."""
    values = values_of(drug, patient.rules)
    if isinstance(values, CeftriaxoneValues) or ordered <= values.max_dose_mg.value:
        return None
    if expected.mg_per_kg is None and drug is not Drug.RIFAMPICIN:
        return None
    return Message.decisive_of(ABOVE_MAXIMUM_KEY, max_mg=cites.cite(values.max_dose_mg))


def _dose_differs(
    patient: PatientProfile, ordered: Decimal, drug: Drug, expected: MedicationProposal, expected_mg: Decimal
) -> bool:
    """A fixed dose must match; a mg/kg dose may differ by the tolerance, never above the cap."""
    if expected.mg_per_kg is None:
        return ordered != expected_mg
    rules = patient.rules
    cap = _cap_mg(drug, rules)
    if cap is not None and ordered > cap:
        return True
    tolerance = expected_mg * rules.order_dose_tolerance_percent.value / _PERCENT
    return abs(ordered - expected_mg) > tolerance
