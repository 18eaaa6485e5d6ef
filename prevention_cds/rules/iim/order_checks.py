"""Checks of draft rifampicin, ciprofloxacin and ceftriaxone orders (order-select, order-sign).

A contraindication is checked on every order, whatever it is for. The dose, frequency, duration and route are
checked only when the record shows an IIM course is due (a contact within the window and not covered, or
an index case needing eradication): a rifampicin order for tuberculosis follows another regimen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from prevention_cds.rules.advice import (
    Advice,
    Indicator,
    MedicationProposal,
    Message,
    RemoveDraftOrder,
    ReplaceDraftOrder,
    Route,
    Suggestion,
)
from prevention_cds.rules.facts import DraftOrder, OrderContext
from prevention_cds.rules.iim.advice_builder import CardContext, Purpose, band_decisions
from prevention_cds.rules.iim.contact import ContactStatus, assess_contacts, most_relevant
from prevention_cds.rules.iim.contraindications import Contraindication, contraindications
from prevention_cds.rules.iim.course import plan_course
from prevention_cds.rules.iim.data import iim_data, refs
from prevention_cds.rules.iim.index_case import index_case_condition, needs_eradication
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import REGIMEN_VALUES, REGIMENS, Drug, WeightRequired
from prevention_cds.rules.iim.second_line import SecondLineDecision, second_line_decision
from prevention_cds.rules.iim.timing import covered_by_prior_course, prophylaxis_window
from prevention_cds.rules.ruleset import RuleSettings

_ROUTES = {
    Drug.RIFAMPICIN: frozenset({Route.ORAL}),
    Drug.CIPROFLOXACIN: frozenset({Route.ORAL}),
    Drug.CEFTRIAXONE: frozenset({Route.INTRAMUSCULAR, Route.INTRAVENOUS}),
}
_CAPS = {Drug.RIFAMPICIN: "rifampicin_max_dose_mg", Drug.CIPROFLOXACIN: "ciprofloxacin_max_dose_mg"}
_PERCENT = Decimal(100)


@dataclass(frozen=True)
class IimNeed:
    """An IIM course is due for this patient: the orders are checked against it."""

    purpose: Purpose
    second_line: SecondLineDecision
    reason_reference: str | None


def iim_need(patient: PatientProfile, settings: RuleSettings) -> IimNeed | None:
    today = patient.today
    contact = most_relevant(assess_contacts(patient.record, today), patient.now)
    if contact is not None and contact.status is ContactStatus.CONTACT:
        exposure = contact.exposure
        window = prophylaxis_window(contact.last_contact, patient.now)
        if window.is_open and not covered_by_prior_course(exposure, today):
            return IimNeed(Purpose.CONTACT, second_line_decision(patient, exposure, settings), exposure.source_id)
    condition = index_case_condition(patient)
    if condition is not None and needs_eradication(patient):
        return IimNeed(Purpose.INDEX_CASE, second_line_decision(patient, None, settings), condition.source_id)
    return None


def check_orders(patient: PatientProfile, orders: OrderContext, settings: RuleSettings) -> tuple[Advice, ...]:
    need = iim_need(patient, settings)
    facts = patient.facts()
    advice: list[Advice] = []
    for drug in Drug:
        for order in orders.orders_of(drug.concept):
            card = _check(patient, facts, order, drug, need)
            if card is not None:
                advice.append(card)
    return tuple(advice)


def _check(
    patient: PatientProfile, facts: tuple[Message, ...], order: DraftOrder, drug: Drug, need: IimNeed | None
) -> Advice | None:
    ctx = CardContext(
        purpose=need.purpose if need else Purpose.CONTACT,
        patient=patient,
        explanation=(),
        facts=(Message.of("iim.fact.order", order=order.display), *facts),
        guideline=refs(patient.today, *REGIMEN_VALUES[drug]),
    )
    # Absolute contraindications whatever the order is for; a neonatal restriction only for IIM prophylaxis
    # (a neonatal unit's ceftriaxone order for sepsis is not this service's to question).
    found = tuple(ci for ci in contraindications(drug, patient) if ci.absolute or need is not None)
    if found:
        return _contraindicated(ctx, order, drug, found, need)
    if need is None:
        return None
    if drug is Drug.RIFAMPICIN and need.second_line.clinical:
        return ctx.advice(
            "iim.order.second-line",
            Indicator.WARNING,
            Message.of("iim.summary.order.second-line"),
            need.second_line.reasons,
            suggestions=_replacements(patient, order, drug, need),
        )
    band = patient.band
    if band is None:
        return ctx.advice(
            "iim.order.age-needed", Indicator.WARNING, Message.of("iim.summary.order.age-needed", drug=drug.label)
        )
    expected = REGIMENS[drug].propose(patient, band, need.reason_reference)
    if isinstance(expected, WeightRequired):
        return ctx.advice(
            "iim.order.weight-needed",
            Indicator.WARNING,
            Message.of("iim.summary.order.weight-needed", drug=drug.label),
            (Message.of("iim.weight-needed.detail", problem=expected.unavailable.message()), expected.regimen),
            band_decisions(patient),
        )
    mismatches = _mismatches(patient, order, drug, expected)
    if not mismatches:
        return None
    decisions = band_decisions(patient)
    if expected.mg_per_kg is not None:
        percent = iim_data().int("order_dose_tolerance_percent", patient.today)
        decisions += (Message.of("iim.decision.order-tolerance", percent=percent),)
    suggestions: tuple[Suggestion, ...] = ()
    if order.reference is not None:
        label = Message.of("iim.suggestion.correct-order", drug=drug.label, dose_mg=expected.dose_mg or 0)
        # Not marked recommended: the order may treat another indication (the card says so).
        suggestions = (Suggestion(label, (ReplaceDraftOrder(order.reference, expected),)),)
    return ctx.advice(
        "iim.order.dose",
        Indicator.WARNING,
        Message.of("iim.summary.order.dose", drug=drug.label),
        (
            *mismatches,
            Message.of("iim.order.expected", instruction=expected.instruction),
            Message.of("iim.order.other-indication"),
        ),
        decisions,
        suggestions,
    )


def _contraindicated(
    ctx: CardContext, order: DraftOrder, drug: Drug, found: tuple[Contraindication, ...], need: IimNeed | None
) -> Advice:
    absolute = any(ci.absolute for ci in found)
    suggestions = _replacements(ctx.patient, order, drug, need) if absolute else ()
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
        tuple(ci.reason for ci in found),
        suggestions=suggestions,
    )


def _replacements(
    patient: PatientProfile, order: DraftOrder, drug: Drug, need: IimNeed | None
) -> tuple[Suggestion, ...]:
    """The course's other usable, dosable antibiotics, each replacing the draft order."""
    band = patient.band
    if need is None or band is None or order.reference is None:
        return ()
    plan = plan_course(patient, band, need.second_line, need.reason_reference)
    return tuple(
        Suggestion(
            Message.of("iim.suggestion.replace-with", drug=option.drug.label, dose_mg=proposal.dose_mg or 0),
            (ReplaceDraftOrder(order.reference, proposal),),
            recommended=option.recommended,
        )
        for option, proposal in plan.proposals
        if option.drug is not drug
    )


def _mismatches(
    patient: PatientProfile, order: DraftOrder, drug: Drug, expected: MedicationProposal
) -> tuple[Message, ...]:
    found: list[Message] = []
    expected_mg = expected.dose_mg or Decimal(0)
    if order.dose_mg is None:
        found.append(
            Message.of("iim.order.mismatch.dose-unit", unit=order.dose_unit)
            if order.dose_unit
            else Message.of("iim.order.mismatch.dose-missing")
        )
    elif _dose_differs(patient, order.dose_mg, drug, expected, expected_mg):
        found.append(Message.of("iim.order.mismatch.dose", ordered_mg=order.dose_mg, expected_mg=expected_mg))
    schedule = expected.schedule
    per_day = schedule.frequency or schedule.count or 1
    if order.frequency_per_day is not None and order.frequency_per_day != per_day:
        found.append(Message.of("iim.order.mismatch.frequency", ordered=order.frequency_per_day, expected=per_day))
    days = schedule.duration_days or 1
    if order.duration_days is not None and order.duration_days != days:
        found.append(Message.of("iim.order.mismatch.duration", ordered=order.duration_days, expected=days))
    allowed = _ROUTES[drug]
    if order.route is not None and order.route not in allowed:
        expected_route = Message.of(f"iim.route.{'-or-'.join(sorted(r.value for r in allowed))}")
        found.append(Message.of("iim.order.mismatch.route", ordered=order.route, expected=expected_route))
    return tuple(found)


def _dose_differs(
    patient: PatientProfile, ordered: Decimal, drug: Drug, expected: MedicationProposal, expected_mg: Decimal
) -> bool:
    """A fixed dose must match; a mg/kg dose may differ by the tolerance, never above the cap."""
    if expected.mg_per_kg is None:
        return ordered != expected_mg
    data, on = iim_data(), patient.today
    if drug in _CAPS and ordered > data.decimal(_CAPS[drug], on):
        return True
    tolerance = expected_mg * data.decimal("order_dose_tolerance_percent", on) / _PERCENT
    return abs(ordered - expected_mg) > tolerance
