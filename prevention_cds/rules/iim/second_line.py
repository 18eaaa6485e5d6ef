"""When ciprofloxacin or ceftriaxone replaces rifampicin (clinical.md §A.4, §A.7; [U1]).

Clinical reasons: rifampicin contraindicated, a documented rifampicin-resistant strain, a repeated case in
the same community after a previous course (within ``repeat_case_period_months`` of the first case). The ANSM
shortage setting also puts the second line first, but rifampicin then stays possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prevention_cds.rules.advice import Message
from prevention_cds.rules.calendar_math import add_months, local_date
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import Exposure
from prevention_cds.rules.iim.contraindications import contraindications
from prevention_cds.rules.iim.interactions import interactions_doing, lines
from prevention_cds.rules.iim.parameters import IimParameters, InteractionAction
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug
from prevention_cds.rules.iim.timing import covered_by_prior_course
from prevention_cds.rules.ruleset import RuleSettings


@dataclass(frozen=True)
class SecondLineDecision:
    reasons: tuple[Message, ...]  # why rifampicin must not be used (empty: it may)
    shortage: bool
    notes: tuple[Message, ...] = ()  # context that is not a reason (a repeated case beyond the period)
    decisions: tuple[Message, ...] = ()
    preferred: tuple[Message, ...] = ()  # why the second line comes first, rifampicin staying possible (no reasons)

    @property
    def clinical(self) -> bool:
        return bool(self.reasons)


def second_line_decision(
    patient: PatientProfile, exposure: Exposure | None, settings: RuleSettings
) -> SecondLineDecision:
    reasons = [
        Message.decisive_of("iim.second-line.contraindicated", reason=ci.reason)
        for ci in contraindications(Drug.RIFAMPICIN, patient)
    ]
    notes: tuple[Message, ...] = ()
    decisions: tuple[Message, ...] = ()
    if exposure is not None:
        if exposure.rifampicin_resistant:
            reasons.append(Message.decisive_of("iim.second-line.resistant"))
        repeat, notes, decisions = _repeated_case(exposure, patient.now, patient.rules)
        if repeat is not None:
            reasons.append(repeat)
    if settings.rifampicin_shortage_mode:
        decisions += (Message.of("iim.decision.shortage-mode"),)
    # Why the second line comes first says nothing once rifampicin is excluded for a clinical reason.
    preferred = () if reasons else second_line_first_reasons(patient)
    if preferred:
        decisions += (Message.of("iim.decision.second-line-first"),)
    return SecondLineDecision(tuple(reasons), settings.rifampicin_shortage_mode, notes, decisions, preferred)


def second_line_first_reasons(patient: PatientProfile) -> tuple[Message, ...]:
    """Why the second line comes first, rifampicin staying possible: an interaction that makes even a 2-day course
    unsafe, a recorded severe liver disease. The first-line card names them too when no alternative is usable."""
    return lines(interactions_doing(Drug.RIFAMPICIN, patient, InteractionAction.SECOND_LINE_FIRST)) + tuple(
        Message.decisive_of("iim.second-line.hepatic", condition=c.display)
        for c in patient.record.active_conditions(Concept.SEVERE_HEPATIC_DISEASE)
    )


def _repeated_case(
    exposure: Exposure, now: datetime, rules: IimParameters
) -> tuple[Message | None, tuple[Message, ...], tuple[Message, ...]]:
    """(reason, notes, decisions) for a new case in a community where this contact already had a course."""
    if not exposure.repeated_case_in_community:
        return None, (), ()
    ended = exposure.prior_prophylaxis_ended_on
    if ended is None:
        return None, (), (Message.of("iim.decision.repeat-no-prior-course"),)
    today = now.date()
    if covered_by_prior_course(exposure, today, rules):
        return None, (), ()  # still covered: no new course at all (the caller says so)
    first_case = exposure.community_first_case_on
    if first_case is None:
        # Unknown start of the period: read it as still running (a different antibiotic).
        reason = Message.decisive_of("iim.second-line.repeated-case", ended_on=ended)
        months = rules.repeat_case_period_months.value
        return reason, (), (Message.of("iim.decision.repeat-first-case-unknown", months=months),)
    months = rules.repeat_case_period_months.value
    # The new case is dated by this contact's last exposure to it.
    if local_date(exposure.last_contact, now) > add_months(first_case, months):
        return None, (Message.of("iim.repeat-beyond-period", first_case_on=first_case, months=months),), ()
    reason = Message.decisive_of(
        "iim.second-line.repeated-case-since", ended_on=ended, first_case_on=first_case, months=months
    )
    return reason, (), ()
