"""Builders for MMR test records: PatientRecord objects made directly, a frozen 'now' passed explicitly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from advice_messages import all_messages
from prevention_cds.rules.advice import Action, Advice, ProposeImmunization, ProposeMedication
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    DraftOrder,
    Exposure,
    ExposureKind,
    OrderContext,
    PatientRecord,
    Pregnancy,
    Sex,
    VaccineDose,
)
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.settings import PRACTICE_TIMEZONE

RULES = MmrRules()


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PRACTICE_TIMEZONE)


def born(year: int, month: int | None = None, day: int | None = None) -> PartialDate:
    return PartialDate(year, month, day)


def mmr(on: date, ident: str = "", display: str = "M-M-RVaxPro") -> VaccineDose:
    return VaccineDose(
        on,
        frozenset({Concept.MMR_VACCINE, Concept.LIVE_VACCINE}),
        display,
        f"Immunization/{ident or 'mmr-' + on.isoformat()}",
    )


def mmrv(on: date, ident: str = "") -> VaccineDose:
    return VaccineDose(
        on,
        frozenset({Concept.MMRV_VACCINE, Concept.LIVE_VACCINE}),
        "ProQuad",
        f"Immunization/{ident or 'mmrv-' + on.isoformat()}",
    )


def varicella(on: date) -> VaccineDose:
    return VaccineDose(on, frozenset({Concept.LIVE_VACCINE}), "Varivax", f"Immunization/var-{on.isoformat()}")


def yellow_fever(on: date) -> VaccineDose:
    return VaccineDose(
        on,
        frozenset({Concept.LIVE_VACCINE, Concept.YELLOW_FEVER_VACCINE}),
        "Stamaril",
        f"Immunization/yf-{on.isoformat()}",
    )


def measles(
    onset: date | None,
    confirmed: bool = True,
    active: bool = True,
    recorded: date | None = None,
    ident: str = "Condition/measles",
) -> ConditionFact:
    """A measles diagnosis (the disease, not a history-of code) as the record builder reads it."""
    return ConditionFact(
        Concept.MEASLES, "Rougeole", onset=onset, recorded=recorded, active=active, confirmed=confirmed, source_id=ident
    )


def measles_contact(
    last: datetime, has_time: bool = True, confirmed: bool | None = True, ident: str = "Observation/contact"
) -> Exposure:
    return Exposure(ExposureKind.MEASLES, last, has_time, case_confirmed=confirmed, source_id=ident)


def pregnant(observed: date, expected_delivery: date | None = None) -> Pregnancy:
    return Pregnancy(True, observed, expected_delivery, "Observation/pregnancy")


def condition(concept: Concept, display: str, confirmed: bool = True, active: bool = True) -> ConditionFact:
    return ConditionFact(concept, display, confirmed=confirmed, active=active, source_id=f"Condition/{concept.value}")


IMMUNODEFICIENCY = condition(Concept.SEVERE_IMMUNODEFICIENCY, "Déficit immunitaire combiné sévère")
MEASLES_HISTORY = condition(Concept.MEASLES_HISTORY, "Rougeole (2015)")


def allergy(*concepts: Concept, display: str = "allergie", high: bool = False, unknown: bool = False) -> AllergyFact:
    return AllergyFact(frozenset(concepts), display, high_criticality=high, severity_unknown=unknown,
                       source_id="AllergyIntolerance/a")


def patient(
    birth: PartialDate | None,
    sex: Sex | None = Sex.MALE,
    doses: Iterable[VaccineDose] = (),
    **details: object,
) -> PatientRecord:
    return PatientRecord("p1", birth, sex, vaccine_doses=tuple(doses), **details)  # type: ignore[arg-type]


def mmr_order(reference_id: str | None = "o1", display: str = "M-M-RVaxPro") -> DraftOrder:
    return DraftOrder("MedicationRequest", reference_id, frozenset({Concept.MMR_VACCINE}), display)


def yellow_fever_order(reference_id: str | None = "yf1") -> DraftOrder:
    return DraftOrder("MedicationRequest", reference_id, frozenset({Concept.YELLOW_FEVER_VACCINE}), "STAMARIL")


def orders(*drafts: DraftOrder, hook: str = "order-sign") -> OrderContext:
    return OrderContext(hook, drafts)


@dataclass(frozen=True)
class Scenario:
    """One call of the MMR rules: patient-view, or the order checks when ``orders`` is given."""

    record: PatientRecord
    now: datetime
    orders: OrderContext | None = None
    settings: RuleSettings = field(default_factory=RuleSettings)

    def run(self) -> tuple[Advice, ...]:
        if self.orders is not None:
            return RULES.check_orders(self.record, self.orders, self.now, self.settings)
        return RULES.evaluate(self.record, self.now, self.settings)


# --- reading the advice -----------------------------------------------------------------------------------


def only(advices: tuple[Advice, ...]) -> Advice:
    assert len(advices) == 1, [a.rule for a in advices]
    return advices[0]


def rules_of(advices: tuple[Advice, ...]) -> list[str]:
    return [a.rule for a in advices]


def actions(advice: Advice) -> list[Action]:
    return [action for s in advice.suggestions for action in s.actions]


def forecast_of(advice: Advice) -> ProposeImmunization:
    found = [a for a in actions(advice) if isinstance(a, ProposeImmunization)]
    assert len(found) == 1
    return found[0]


def medication_of(advice: Advice) -> ProposeMedication:
    found = [a for a in actions(advice) if isinstance(a, ProposeMedication)]
    assert len(found) == 1
    return found[0]


def keys(advice: Advice) -> set[str]:
    return {m.key for m in all_messages(advice)}


def days(n: int) -> timedelta:
    return timedelta(days=n)
