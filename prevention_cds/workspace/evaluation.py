"""Every contact through the use case the CDS Hooks services run (``evaluate.evaluate_patient``), and its
decision at a glance: what to give (drug, dose in mg and mL, how many times, how long, what to dispense), which
vaccine by when, or why nothing, or what is missing. The decision only reads the rules' advice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from prevention_cds.adapters.workspace_db import Contact, ContactGroup, Investigation
from prevention_cds.evaluate import RuleSet, default_rule_sets, evaluate_patient
from prevention_cds.fhir_out import products
from prevention_cds.rules.advice import (
    Advice,
    ImmunizationForecast,
    MedicationProposal,
    Message,
    ProposeImmunization,
    ProposeMedication,
)
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.terminology.index import CodeIndex
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.contacts import IMMUNODEFICIENCY
from prevention_cds.workspace.fhir_record import contact_resources, entered_on, patient_id
from prevention_cds.workspace.i18n import LANGUAGES, both

RULE_SET_OF = {"iim": "iim", "measles": "mmr"}

# Decision kinds, most pressing first: the first that any card of the contact gives is its decision.
KIND_OF_RULE = {
    "iim.specialist-advice": "specialist",
    "iim.weight-needed": "weight-needed",
    "iim.age-needed": "information-needed",
    "iim.setting-unknown": "information-needed",
    "mmr.missing-birth-date": "information-needed",
    "mmr.post-exposure.age-uncertain": "information-needed",
    "mmr.post-exposure.immunoglobulin": "immunoglobulin",
    "iim.prophylaxis.rifampicin": "prophylaxis",
    "iim.prophylaxis.second-line": "prophylaxis",
    "iim.index-case.eradication": "prophylaxis",
    "iim.vaccination": "vaccination",
    "mmr.post-exposure.dose": "vaccination",
    "mmr.catch-up": "vaccination",
    "mmr.infant-schedule": "vaccination",
    "mmr.contraindicated.pregnancy": "deferred",
    "mmr.contraindicated.immunodeficiency": "deferred",
    "mmr.contraindicated.anaphylaxis": "deferred",
    "iim.window-closed": "past-window",
    "iim.already-covered": "covered",
    "iim.not-a-contact": "not-at-risk",
    "mmr.up-to-date": "nothing-to-do",
}
KINDS = ("specialist", "weight-needed", "information-needed", "immunoglobulin", "prophylaxis", "vaccination",
         "deferred", "past-window", "covered", "not-at-risk", "nothing-to-do", "no-exposure")
BLOCKED_KINDS = frozenset({"specialist", "weight-needed", "information-needed", "no-exposure"})
ACTION_KINDS = frozenset({"immunoglobulin", "prophylaxis", "vaccination"})
# Follow-up states, in the order a contact goes through them.
STATES = ("to-reach", "reached", "prescribed", "dispensed", "taken", "declined", "unreachable")
CLOSED_STATES = frozenset({"taken", "declined"})


@dataclass(frozen=True)
class ContactEvaluation:
    contact: Contact
    advice: tuple[Advice, ...]
    decision: dict[str, Any]


@cache
def _index() -> CodeIndex:
    return CodeIndex.load()


def workspace_rule_settings(settings: RuleSettings) -> RuleSettings:
    # an MMR answer for everyone, "nothing owed" included: the list says why nothing is to be done
    return RuleSettings(rifampicin_shortage_mode=settings.rifampicin_shortage_mode, info_card_when_up_to_date=True)


def evaluate_contact(contact: Contact, group: ContactGroup | None, investigation: Investigation, now: datetime,
                     settings: RuleSettings, rule_sets: dict[str, RuleSet] | None = None) -> ContactEvaluation:
    name = RULE_SET_OF[investigation.disease]
    rules = {name: (rule_sets or _rule_sets())[name]}
    evaluation = evaluate_patient(patient_id(contact), contact_resources(contact, group, investigation), rules, now,
                                  workspace_rule_settings(settings), _index())
    return ContactEvaluation(contact, evaluation.advice, decision_of(evaluation.advice, contact, now))


@cache
def _rule_sets() -> dict[str, RuleSet]:
    return default_rule_sets()


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def main_proposal(advice: Advice) -> MedicationProposal | None:
    """The recommended medicine of a card (else its first)."""
    ordered = sorted(advice.suggestions, key=lambda s: not s.recommended)
    for suggestion in ordered:
        for action in suggestion.actions:
            if isinstance(action, ProposeMedication):
                return action.proposal
    return None


def forecast_of(advice: Advice) -> ImmunizationForecast | None:
    for suggestion in advice.suggestions:
        for action in suggestion.actions:
            if isinstance(action, ProposeImmunization):
                return action.forecast
    return None


def _medication(proposal: MedicationProposal) -> dict[str, Any]:
    schedule = proposal.schedule
    return {
        "medicine": proposal.medicine.value,
        "text": {lang: products.medicine_text(proposal.medicine.value, lang) for lang in LANGUAGES},
        "dose_mg": _number(proposal.dose_mg),
        "volume_ml": _number(proposal.volume_ml),
        "weight_kg": _number(proposal.weight_kg_used),
        "per_day": schedule.frequency,
        "days": schedule.duration_days,
        "times": schedule.administrations,
        "dispense": ({"amount": proposal.dispense.quantity, "form": proposal.dispense.unit.value}
                     if proposal.dispense else None),
        "instruction": both(proposal.instruction),
        "free_vaccine": proposal.free_vaccine,
    }


def _first(advice: Advice) -> dict[str, str] | None:
    return both(advice.explanation[0]) if advice.explanation else None


def decision_of(advice: tuple[Advice, ...], contact: Contact, now: datetime) -> dict[str, Any]:
    kinds = [(KIND_OF_RULE.get(a.rule, "information-needed"), a) for a in advice]
    kinds.sort(key=lambda pair: KINDS.index(pair[0]))
    notes = [both(n) for n in contact_notes(contact) + checks_before_acting(advice, contact)]
    if not kinds:
        return {"kind": "no-exposure", "summary": both(Message.of("ws.decision.no-exposure")), "reason": None,
                "medication": None, "vaccine": None, "deadline": None, "rules": [], "notes": notes,
                "evaluated_at": now.isoformat(timespec="seconds")}
    kind, primary = kinds[0]
    medication = next((main_proposal(a) for k, a in kinds if k == "prophylaxis" and main_proposal(a)), None)
    vaccine_card = next((a for k, a in kinds if k == "vaccination"), None)
    vaccine = None
    if vaccine_card is not None and (proposal := main_proposal(vaccine_card)) is not None:
        vaccine = _medication(proposal) | {"by": _iso(vaccine_card.deadline), "summary": both(vaccine_card.summary)}
    return {
        "kind": kind,
        "summary": both(primary.summary),
        "reason": _first(primary),
        "medication": _medication(medication) if medication else None,
        "vaccine": vaccine,
        "deadline": _iso(primary.deadline),
        "rules": [a.rule for a in advice],
        "notes": notes,
        "measures": measures_owed(kind, medication is not None, vaccine),
        "evaluated_at": now.isoformat(timespec="seconds"),
    }


def measures_owed(kind: str, antibiotic: bool, vaccine: dict[str, Any] | None) -> list[str]:
    """The measures a decision asks for, each followed up on its own: the antibiotic, each vaccine, the
    immunoglobulins."""
    measures = ["antibiotic"] if antibiotic else []
    if vaccine is not None:
        measures.append(f"vaccine:{vaccine['medicine']}")
    if kind == "immunoglobulin":
        measures.append("immunoglobulin")
    return measures


def contact_notes(contact: Contact) -> list[Message]:
    """What was entered that the rules cannot use, said on the contact's line rather than dropped."""
    notes: list[Message] = []
    for written in json.loads(contact.allergies):
        if not vocabulary.allergy_term(written).recognised:
            notes.append(Message.of("ws.note.allergy-unknown", allergy=written))
    for written in json.loads(contact.treatments):
        if not vocabulary.treatment_term(written).recognised:
            notes.append(Message.of("ws.note.treatment-unknown", treatment=written))
    doses = json.loads(contact.mmr_doses)
    if doses.get("count"):
        notes.append(Message.of("ws.note.mmr-undated", count=doses["count"]))
    if contact.weight_kg and not contact.weighed_on:
        notes.append(Message.of("ws.note.weight-undated", entered_on=entered_on(contact)))
    return notes


# facts of the cards that ask the team to check something before acting: said on the list and the prescription too
CHECK_FACTS = frozenset({"mmr.fact.allergy-severity-unknown"})


def checks_before_acting(advice: tuple[Advice, ...], contact: Contact) -> list[Message]:
    """What must be checked before the vaccine or the antibiotic is given, from the cards and from what was
    entered (a treatment that may cause an immunodeficiency the team has not confirmed, for a live vaccine)."""
    checks: list[Message] = []
    for message in (m for a in advice for m in a.facts if m.key in CHECK_FACTS):
        if message not in checks:  # the same fact on two cards
            checks.append(message)
    measles = any(a.rule.startswith("mmr.") for a in advice)
    known = json.loads(contact.conditions or "{}").get(IMMUNODEFICIENCY) == "yes"
    if measles and not known:
        checks.extend(Message.of("ws.note.immunosuppressive-treatment", treatment=written)
                      for written in json.loads(contact.treatments)
                      if vocabulary.may_be_immunosuppressive(vocabulary.treatment_term(written)))
    return checks


def status_of(decision: dict[str, Any], contact: Contact) -> str:
    """to-do, done or blocked, for the list's filter. A follow-up closed ("taken", "declined") closes the measures
    owed when it was closed; a measure owed since (a vaccine once the serogroup is known) is still to do."""
    if decision.get("kind") in BLOCKED_KINDS:
        return "blocked"
    if decision.get("kind") not in ACTION_KINDS:
        return "done"
    if contact.state in CLOSED_STATES and set(decision.get("measures", ())) <= set(closed_measures(contact)):
        return "done"
    return "todo"


def closed_measures(contact: Contact) -> list[str]:
    measures: list[str] = json.loads(contact.closed_measures or "[]")
    return measures


def measures_closed_by(state: str, decision: dict[str, Any]) -> list[str]:
    """The measures a new follow-up state closes: those owed now when it closes the follow-up, else none."""
    return list(decision.get("measures", ())) if state in CLOSED_STATES else []
