"""Record builders and helpers shared by the IIM tests (no mocks: real frozen facts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from advice_messages import all_messages, render_strict
from prevention_cds.rules.advice import (
    Advice,
    MedicationProposal,
    Message,
    ProposeMedication,
    ReplaceDraftOrder,
)
from prevention_cds.rules.calendar_math import add_years
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    DraftOrder,
    Exposure,
    ExposureKind,
    IimSerogroup,
    MedicationFact,
    MedicationStatus,
    OrderContext,
    PatientRecord,
    Pregnancy,
    Sex,
    VaccineDose,
    WeightMeasurement,
)
from prevention_cds.rules.iim import IimRules
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruledata import RuleData
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.settings import PRACTICE_TIMEZONE

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 21)
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=PRACTICE_TIMEZONE)  # the service's clock is aware
RULES = IimRules()
# Every section a card may cite: those of the rule data (a card cites only the values it applies)
CITABLE = RuleData.load("iim").references() | RuleData.load("common").references()


def born_years_ago(years: int, days_more: int = 0) -> date:
    """Birth date for an age of ``years`` on TODAY plus ``days_more`` days."""
    return add_years(TODAY, -years) - timedelta(days=days_more)


def weight(kg: str | int, days_ago: int = 1) -> WeightMeasurement:
    return WeightMeasurement(Decimal(str(kg)), NOW - timedelta(days=days_ago), f"{kg} kg", "Observation/w")


def exposure(
    setting: str | None = "household",
    days_ago: int = 1,
    serogroup: IimSerogroup | None = IimSerogroup.B,
    **extra: object,
) -> Exposure:
    return Exposure(
        kind=ExposureKind.IIM,
        last_contact=NOW - timedelta(days=days_ago),
        has_time=True,
        setting=setting,
        serogroup=serogroup,
        source_id="Observation/exposure",
        **extra,  # type: ignore[arg-type]
    )


def record(
    born: date | PartialDate | None,
    *,
    kg: str | int | None = None,
    weighed_days_ago: int = 1,
    sex: Sex = Sex.MALE,
    exposures: tuple[Exposure, ...] | None = None,
    allergies: tuple[Concept, ...] = (),
    medications: tuple[Concept, ...] = (),
    conditions: tuple[ConditionFact, ...] = (),
    pregnant: bool = False,
    doses: tuple[VaccineDose, ...] = (),
) -> PatientRecord:
    birth = PartialDate.exact(born) if isinstance(born, date) else born
    return PatientRecord(
        patient_id="p",
        birth_date=birth,
        sex=sex,
        weights=(weight(kg, weighed_days_ago),) if kg is not None else (),
        exposures=(exposure(),) if exposures is None else exposures,
        allergies=tuple(
            AllergyFact(frozenset({c}), f"allergy {c}", source_id="AllergyIntolerance/a") for c in allergies
        ),
        medications=tuple(MedicationFact(frozenset({c}), f"medicine {c}", MedicationStatus.ONGOING) for c in medications),
        conditions=conditions,
        pregnancy=Pregnancy(True, TODAY - timedelta(days=100)) if pregnant else None,
        vaccine_doses=doses,
    )


def evaluate(rec: PatientRecord, now: datetime = NOW, shortage: bool = False) -> tuple[Advice, ...]:
    return assert_renders(RULES.evaluate(rec, now, RuleSettings(rifampicin_shortage_mode=shortage)))


def check(rec: PatientRecord, *orders: DraftOrder, now: datetime = NOW) -> tuple[Advice, ...]:
    return assert_renders(RULES.check_orders(rec, OrderContext("order-sign", orders), now, RuleSettings()))


def order(concept: Concept, dose_mg: str | None, **extra: object) -> DraftOrder:
    return DraftOrder(
        resource_type="MedicationRequest",
        resource_id="draft-1",
        concepts=frozenset({concept}),
        display=f"draft {concept}",
        dose_mg=Decimal(dose_mg) if dose_mg is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def rules_of(advice: tuple[Advice, ...]) -> list[str]:
    return [a.rule for a in advice]


def only(advice: tuple[Advice, ...], rule: str) -> Advice:
    found = [a for a in advice if a.rule == rule]
    assert len(found) == 1, rules_of(advice)
    return found[0]


def proposals(advice: Advice) -> list[tuple[bool, MedicationProposal]]:
    """(recommended, proposal) of every medication in the card's suggestions."""
    found = []
    for suggestion in advice.suggestions:
        for action in suggestion.actions:
            if isinstance(action, ProposeMedication | ReplaceDraftOrder):
                found.append((suggestion.recommended, action.proposal))
    return found


def medicines(advice: Advice) -> list[str]:
    return [p.medicine.value for _, p in proposals(advice)]


def recommended(advice: Advice) -> MedicationProposal:
    chosen = [p for r, p in proposals(advice) if r]
    assert len(chosen) == 1
    return chosen[0]


def keys(messages: tuple[Message, ...]) -> list[str]:
    return [m.key for m in messages]


# --- rendering: the cards layer's own catalogs and formats ----------------------------------------------


@dataclass(frozen=True)
class Renderer:
    language: str

    def render(self, message: Message) -> str:
        return render_strict(message, self.language)


SUMMARY_MAX = 140


def assert_renders(advice: tuple[Advice, ...]) -> tuple[Advice, ...]:
    """Every message renders in French and English; summaries stay short; details carry no HTML; an
    at-most-one card recommends at most one suggestion; every card cites sections of the rule data, each once."""
    for language in ("fr", "en"):
        renderer = Renderer(language)
        for card in advice:
            for message in all_messages(card):
                assert message.key.startswith("iim."), message.key
                text = renderer.render(message)
                assert "<" not in text and ">" not in text, (message.key, text)
            summary = renderer.render(card.summary)
            assert len(summary) < SUMMARY_MAX, (language, len(summary), summary)
            assert sum(s.recommended for s in card.suggestions) <= 1, card.rule
            assert card.guideline and set(card.guideline) <= CITABLE, card.rule
            assert len(set(card.guideline)) == len(card.guideline), card.rule
    return advice
