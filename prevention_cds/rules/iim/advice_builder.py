"""Turning the IIM decisions into Advice (one card each). No clinical decision is taken here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from prevention_cds.rules.advice import (
    Advice,
    GuidelineRef,
    Indicator,
    MedicationProposal,
    Medicine,
    Message,
    ProposeImmunization,
    ProposeMedication,
    Suggestion,
)
from prevention_cds.rules.citation import sources
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.contact import ContactAssessment
from prevention_cds.rules.iim.contact_vaccination import VaccinationOutcome, vaccine_label
from prevention_cds.rules.iim.course import CourseKind, CourseOption, CoursePlan, plan_course
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.precautions import Precautions, precautions
from prevention_cds.rules.iim.regimens import Drug, WeightRequired
from prevention_cds.rules.iim.second_line import SecondLineDecision
from prevention_cds.rules.iim.timing import ContactWindow
from prevention_cds.rules.iim.weight import WeightProblem
from prevention_cds.rules.unique import unique


class Purpose(StrEnum):
    CONTACT = "contact"
    INDEX_CASE = "index-case"


# Per purpose: its label, the summary of a rifampicin course, the summary of a second-line course
_PURPOSE_KEYS = {
    Purpose.CONTACT: ("iim.purpose.contact", "iim.summary.contact.rifampicin", "iim.summary.contact.second-line"),
    Purpose.INDEX_CASE: (
        "iim.purpose.index-case",
        "iim.summary.index-case.rifampicin",
        "iim.summary.index-case.second-line",
    ),
}
# A second-line summary when only one of the two drugs is offered: (purpose, drug) -> key
_SECOND_LINE_ALONE = {
    (Purpose.CONTACT, Drug.CIPROFLOXACIN): "iim.summary.contact.second-line.ciprofloxacin",
    (Purpose.CONTACT, Drug.CEFTRIAXONE): "iim.summary.contact.second-line.ceftriaxone",
    (Purpose.INDEX_CASE, Drug.CIPROFLOXACIN): "iim.summary.index-case.second-line.ciprofloxacin",
    (Purpose.INDEX_CASE, Drug.CEFTRIAXONE): "iim.summary.index-case.second-line.ceftriaxone",
}
# Rifampicin's routine lines, left out of a card that does not recommend it (its patient instruction says them)
_ROUTINE = frozenset({
    "iim.precaution.rifampicin.colour",
    "iim.precaution.rifampicin.interactions",
    "iim.precaution.rifampicin.liver",
})
_SUGGESTIONS = {
    Drug.RIFAMPICIN: "iim.suggestion.rifampicin",
    Drug.CIPROFLOXACIN: "iim.suggestion.ciprofloxacin",
    Drug.CEFTRIAXONE: "iim.suggestion.ceftriaxone",
}


@dataclass(frozen=True)
class CardContext:
    """What the cards of one situation share: why, the facts, the guideline sections of the values that
    decided the situation (each card adds those of the values it applies)."""

    purpose: Purpose
    patient: PatientProfile
    explanation: tuple[Message, ...]
    facts: tuple[Message, ...]
    guideline: tuple[GuidelineRef, ...]
    decisions: tuple[Message, ...] = ()
    trailing: tuple[Message, ...] = ()  # said last (the vaccination status when no vaccination card)

    @property
    def purpose_label(self) -> Message:
        return Message.of(_PURPOSE_KEYS[self.purpose][0])

    def advice(
        self,
        rule: str,
        indicator: Indicator,
        summary: Message,
        explanation: tuple[Message, ...] = (),
        decisions: tuple[Message, ...] = (),
        suggestions: tuple[Suggestion, ...] = (),
        guideline: tuple[GuidelineRef, ...] = (),
    ) -> Advice:
        return Advice(
            rule=rule,
            indicator=indicator,
            summary=summary,
            explanation=unique(self.explanation + explanation + self.trailing),
            facts=self.facts,
            guideline=unique(self.guideline + guideline),
            decisions=unique(self.decisions + decisions),
            suggestions=suggestions,
        )


# --- a course of antibiotics (contact prophylaxis or eradication in the index case) --------------------------


def course_advice(
    ctx: CardContext, second_line: SecondLineDecision, reason_reference: str | None
) -> tuple[Advice, ...]:
    patient = ctx.patient
    band = patient.band
    if band is None:
        return (_age_needed(ctx),)
    plan = plan_course(patient, band, second_line, reason_reference)
    if plan.kind is CourseKind.SPECIALIST:
        return (_specialist(ctx, plan),)
    main = plan.main
    # Nothing dosable, or an undosable first line: no alternative stands in for it.
    if (
        main is None
        or not plan.proposals
        or (plan.kind is CourseKind.FIRST_LINE and isinstance(main.outcome, WeightRequired))
    ):
        return (_weight_needed(ctx, plan),)
    return (_course(ctx, plan, main),)


def band_decisions(patient: PatientProfile) -> tuple[Message, ...]:
    """The age-band readings, shown only when they changed the answer for this patient's age."""
    age, rules = patient.age, patient.rules
    if age is None:
        return ()
    decisions = []
    if not age.exact:
        decisions.append(Message.of("iim.decision.partial-birth-date"))
    neonate_days = rules.neonate_below_age_days.value
    # Between the neonate limit and the first monthly birthday the two readings of "< 1 month" disagree.
    in_gap = age.youngest.days >= neonate_days and age.youngest.months < 1
    if patient.band is DosingBand.NEONATE or in_gap:
        rifampicin = rules.rifampicin
        decisions.append(
            Message.of(
                "iim.decision.neonate-days",
                days=neonate_days,
                neonate_mg_per_kg=rifampicin.neonate_mg_per_kg.value,
                child_mg_per_kg=rifampicin.child_mg_per_kg.value,
            )
        )
    adult_years = rules.adult_from_age_years.value
    if age.youngest.years == adult_years:
        decisions.append(Message.of("iim.decision.adult-from-years", years=adult_years))
    return tuple(decisions)


def _suggestion(option: CourseOption, proposal: MedicationProposal) -> Suggestion:
    schedule = proposal.schedule
    if option.drug is Drug.RIFAMPICIN:
        label = Message.of(
            "iim.suggestion.rifampicin",
            dose_mg=proposal.dose_mg or 0,
            per_day=schedule.frequency or 0,
            days=schedule.duration_days or 0,
        )
    else:
        label = Message.of(_SUGGESTIONS[option.drug], dose_mg=proposal.dose_mg or 0)
    return Suggestion(label, (ProposeMedication(proposal),), recommended=option.recommended)


def _excluded_alternatives(plan: CoursePlan) -> tuple[Message, ...]:
    """Why a second-line drug is not offered (a rifampicin contraindication is a second-line reason): a
    contraindicating finding, on the card."""
    return tuple(
        Message.decisive_of("iim.excluded", drug=ci.drug.label, reason=ci.reason)
        for ci in plan.excluded
        if ci.drug is not Drug.RIFAMPICIN
    )


def _course(ctx: CardContext, plan: CoursePlan, main: CourseOption) -> Advice:
    patient, proposals = ctx.patient, plan.proposals
    first_line = plan.kind is CourseKind.FIRST_LINE
    # First line: the rifampicin precautions; the alternatives carry their notes on their own proposals. A
    # second-line card keeps, of rifampicin's, only what a prescriber who still chooses it must not miss.
    cautions = Precautions()
    for drug in [main.drug] if first_line else [o.drug for o, _ in proposals]:
        found = precautions(drug, patient)
        if not first_line and drug is Drug.RIFAMPICIN:
            found = Precautions(tuple(m for m in found.messages if m.key not in _ROUTINE), found.decisions)
        cautions += found
    if first_line:
        explanation = (
            ((Message.of("iim.no-antibiogram-wait"),) if ctx.purpose is Purpose.CONTACT else ())
            + plan.second_line.notes
            + cautions.messages
            # Shortage mode yet first line: no usable alternative for this patient.
            + ((Message.of("iim.shortage.rifampicin-kept"),) if plan.second_line.shortage else ())
            + (Message.of("iim.second-line.exists"),)
        )
    else:
        explanation = (
            plan.second_line.reasons
            + _excluded_alternatives(plan)  # a contraindicating finding first: the card keeps it when space is short
            + plan.second_line.preferred
            + plan.second_line.notes
            + cautions.messages
            + tuple(
                Message.of("iim.alternative.weight-needed", drug=w.drug.label, problem=w.unavailable.message())
                for w in plan.weight_required
            )
            + ((Message.of("iim.shortage.supply-channel"),) if plan.second_line.shortage else ())
        )
    decisions = band_decisions(patient) + plan.decisions + cautions.decisions
    if any(p.volume_ml is not None for _, p in proposals):
        step = patient.rules.oral_suspension_volume_step_ml.value
        decisions += (Message.of("iim.decision.suspension-rounding", step_ml=step),)
    if any(p.medicine is Medicine.RIFAMPICIN_CAPSULE and p.mg_per_kg is not None for _, p in proposals):
        rifampicin = patient.rules.rifampicin
        decisions += (
            Message.of(
                "iim.decision.capsule-child",
                from_years=rifampicin.capsule_from_age_years.value,
                percent=rifampicin.capsule_child_tolerance_percent.value,
            ),
        )
    _, rifampicin_summary, second_line_summary = _PURPOSE_KEYS[ctx.purpose]
    if first_line and isinstance(main.outcome, MedicationProposal):
        summary = Message.of(
            rifampicin_summary,
            dose_mg=main.outcome.dose_mg or 0,
            per_day=main.outcome.schedule.frequency or 0,
            days=main.outcome.schedule.duration_days or 0,
        )
        rule = "iim.prophylaxis.rifampicin"
    else:
        # The summary names only the drugs offered (one excluded for this patient is not in it).
        offered = {o.drug for o, _ in proposals}
        alone = _SECOND_LINE_ALONE.get((ctx.purpose, offered.pop())) if len(offered) == 1 else None
        summary = Message.of(alone or second_line_summary)
        rule = "iim.prophylaxis.second-line"
    return ctx.advice(
        "iim.index-case.eradication" if ctx.purpose is Purpose.INDEX_CASE else rule,
        Indicator.WARNING,
        summary,
        explanation,
        decisions,
        tuple(_suggestion(o, p) for o, p in proposals),
        tuple(ref for option, _ in proposals for ref in option.basis),  # the doses offered, in order
    )


def _weight_needed(ctx: CardContext, plan: CoursePlan) -> Advice:
    patient = ctx.patient
    unavailable = plan.weight_required[0].unavailable
    decisions = band_decisions(patient) + plan.decisions
    if unavailable.problem is WeightProblem.STALE and unavailable.max_age_days is not None:
        decisions += (Message.of("iim.decision.weight-staleness", max_days=unavailable.max_age_days),)
    if unavailable.problem is WeightProblem.IMPLAUSIBLE:
        decisions += (Message.of("iim.decision.weight-plausibility"),)
    explanation = (
        *plan.second_line.reasons,
        Message.decisive_of("iim.weight-needed.detail", problem=unavailable.message()),
        *(w.regimen for w in plan.weight_required),
    )
    return ctx.advice(
        "iim.weight-needed",
        Indicator.WARNING,
        Message.of("iim.summary.weight-needed", purpose=ctx.purpose_label),
        explanation,
        decisions,
        guideline=sources(patient.rules.weight_max_age_by_age, patient.rules.weight_plausible_by_age),
    )


def _age_needed(ctx: CardContext) -> Advice:
    birth, unreadable = ctx.patient.record.birth_date, ctx.patient.record.unreadable_birth_date
    if birth is not None and ctx.patient.age is not None:
        detail = Message.decisive_of("iim.age-needed.partial", birth_date=birth.isoformat())
    elif unreadable is not None:
        detail = Message.decisive_of("iim.age-needed.unreadable", birth_date=unreadable)
    else:
        detail = Message.decisive_of("iim.age-needed.missing")
    return ctx.advice(
        "iim.age-needed",
        Indicator.WARNING,
        Message.of("iim.summary.age-needed", purpose=ctx.purpose_label),
        (detail,),
        (Message.of("iim.decision.partial-birth-date"),) if ctx.patient.age is not None else (),
        guideline=band_limits(ctx.patient),
    )


def band_limits(patient: PatientProfile) -> tuple[GuidelineRef, ...]:
    """The age limits of the dosing bands: why an age is needed."""
    return sources(patient.rules.neonate_below_age_days, patient.rules.adult_from_age_years)


def _specialist(ctx: CardContext, plan: CoursePlan) -> Advice:
    explanation = plan.second_line.reasons + _excluded_alternatives(plan)
    decisions = band_decisions(ctx.patient) + plan.decisions
    if plan.band is DosingBand.NEONATE:
        decisions += (Message.of("iim.decision.neonate-second-line"),)
    return ctx.advice(
        "iim.specialist-advice",
        Indicator.WARNING,
        Message.of("iim.summary.specialist", purpose=ctx.purpose_label),
        (*explanation, Message.decisive_of("iim.specialist.detail")),
        decisions,
    )


# --- the contact's situation -------------------------------------------------------------------------------


def not_a_contact(ctx: CardContext, contact: ContactAssessment) -> Advice:
    return ctx.advice(
        "iim.not-a-contact",
        Indicator.INFO,
        Message.of("iim.summary.not-a-contact"),
        (contact.reason, Message.of("iim.not-a-contact.criteria"), Message.decisive_of("iim.not-a-contact.watch")),
        contact.decisions,
    )


def setting_unknown(ctx: CardContext, contact: ContactAssessment) -> Advice:
    return ctx.advice(
        "iim.setting-unknown",
        Indicator.WARNING,
        Message.of("iim.summary.setting-unknown"),
        (contact.reason.as_decisive(), Message.of("iim.not-a-contact.criteria")),
    )


def window_closed(ctx: CardContext, window: ContactWindow, vaccination: VaccinationOutcome) -> Advice:
    return ctx.advice(
        "iim.window-closed",
        Indicator.INFO,
        Message.of("iim.summary.window-closed", days=window.days_since),
        (
            Message.of("iim.window-closed.detail", window_days=window.length_days, last_day=window.last_day),
            Message.decisive_of("iim.not-a-contact.watch"),
            vaccination.message,
        ),
    )


def already_covered(ctx: CardContext, ended_on: date) -> Advice:
    cover_days = ctx.patient.rules.prior_course_cover_days
    return ctx.advice(
        "iim.already-covered",
        Indicator.INFO,
        Message.of("iim.summary.already-covered", ended_on=ended_on),
        (Message.decisive_of("iim.already-covered.detail", ended_on=ended_on, cover_days=cover_days.value),),
        guideline=sources(cover_days),
    )


def vaccination_advice(ctx: CardContext, outcome: VaccinationOutcome) -> Advice:
    # Called only for an outcome that proposes a vaccine.
    assert outcome.forecast is not None and outcome.proposal is not None and outcome.last_day is not None
    vaccine = vaccine_label(outcome.forecast.vaccine)
    suggestion = Suggestion(
        Message.of("iim.suggestion.vaccination", vaccine=vaccine),
        (ProposeImmunization(outcome.forecast), ProposeMedication(outcome.proposal)),
        recommended=True,
    )
    own_ctx = replace(ctx, explanation=(), trailing=(), facts=ctx.facts + outcome.facts)
    advice = own_ctx.advice(
        "iim.vaccination",
        Indicator.WARNING,
        Message.of("iim.summary.vaccination", serogroup=outcome.serogroup, vaccine=vaccine, last_day=outcome.last_day),
        (outcome.message, outcome.schedule),
        outcome.decisions,
        (suggestion,),
        outcome.basis,
    )
    return replace(advice, deadline=outcome.last_day)
