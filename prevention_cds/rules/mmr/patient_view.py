"""The ``ror-vaccination`` patient-view service: which MMR cards to show, in order of urgency. A patient who has
measles now gets the case card alone: no MMR dose while ill, and a contact's advice no longer applies."""

from __future__ import annotations

from datetime import datetime

from prevention_cds.rules.advice import Advice
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.mmr.assessment import MmrAssessment, UndatedAssessment, assess
from prevention_cds.rules.mmr.cards.age_uncertain import age_uncertain_advice
from prevention_cds.rules.mmr.cards.contraindicated import contraindication_advice
from prevention_cds.rules.mmr.cards.dose import DoseCard, dose_advice
from prevention_cds.rules.mmr.cards.immunoglobulin import immunoglobulin_advice_for, undated_immunoglobulin_advice
from prevention_cds.rules.mmr.cards.measles_case import measles_case_advice
from prevention_cds.rules.mmr.cards.missing_birth_date import missing_birth_date_advice
from prevention_cds.rules.mmr.cards.up_to_date import up_to_date_advice
from prevention_cds.rules.mmr.measles_case import current_case
from prevention_cds.rules.mmr.owed import OwedKind, owed_doses
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.post_exposure import Response
from prevention_cds.rules.mmr.schedule import next_dose_expected
from prevention_cds.rules.ruleset import RuleSettings


def evaluate(record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
    rules = MmrParameters.on(now.date())
    case = current_case(record, now.date(), rules)
    if case is not None:
        return (measles_case_advice(case),)
    assessment = assess(record, now, rules)
    if isinstance(assessment, UndatedAssessment):
        return _undated(record, assessment)
    return _dated(assessment, settings)


def _undated(record: PatientRecord, u: UndatedAssessment) -> tuple[Advice, ...]:
    # never guess an age: ask for the birth date; immunoglobulins for the groups that do not depend on it
    cards = [missing_birth_date_advice(record, u)]
    if u.exposure is not None and u.exposure.response == Response.IMMUNOGLOBULIN:
        cards.insert(0, undated_immunoglobulin_advice(record, u))
    return tuple(cards)


def _dated(a: MmrAssessment, settings: RuleSettings) -> tuple[Advice, ...]:
    response = a.exposure.response if a.exposure is not None else None
    if response == Response.AGE_UNCERTAIN:
        return (age_uncertain_advice(a),)
    cards: list[Advice] = []
    if response == Response.IMMUNOGLOBULIN:
        cards.append(immunoglobulin_advice_for(a))
    owed = owed_doses(a)
    if owed is None:
        if settings.info_card_when_up_to_date and not cards:
            cards.append(up_to_date_advice(a, ()))
        return tuple(cards)
    if owed.kind == OwedKind.CONTRAINDICATED:
        cards.append(contraindication_advice(a, owed))
    elif owed.kind == OwedKind.POST_EXPOSURE:
        cards.append(dose_advice(a, owed, DoseCard.POST_EXPOSURE))
    elif next_dose_expected(owed.plan, a.today):
        card = DoseCard.INFANT_SCHEDULE if owed.plan[0].on_calendar else DoseCard.CATCH_UP
        cards.append(dose_advice(a, owed, card))
    elif settings.info_card_when_up_to_date and not cards:
        cards.append(up_to_date_advice(a, owed.plan))
    return tuple(cards)
