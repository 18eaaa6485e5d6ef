"""The links of an index case's main card: to a new workspace investigation prefilled with that case, and to the
form that captures its contacts (the disease's exposure Questionnaire, ``capture_links``).

Which Condition is the case is the rules' reading (the one their case card is about), never a second one here.
The investigation's URL carries no name and no birth date (URLs end up in histories and proxies' logs): the
disease, the date of the case, whether it is confirmed and the EHR's Condition reference.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from prevention_cds.fhir_out.capture_links import capture_form_link
from prevention_cds.fhir_out.card import Link
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, ExposureKind, PatientRecord
from prevention_cds.rules.iim.index_case import NOTIFICATION_RULE, index_case_of
from prevention_cds.rules.mmr.cards.measles_case import MEASLES_CASE_RULE
from prevention_cds.rules.mmr.measles_case import current_case
from prevention_cds.rules.mmr.parameters import MmrParameters

DISEASE_OF_CONCEPT = {Concept.IIM_DISEASE: "iim", Concept.MEASLES: "measles"}
CASE_DATE_FIELD = {"iim": "diagnosis_date", "measles": "rash_onset"}
CONTACTS_OF_CONCEPT = {Concept.IIM_DISEASE: ExposureKind.IIM, Concept.MEASLES: ExposureKind.MEASLES}
# The card every case gets from the rules (the IIM notification, the measles case card): the links go there only.
CASE_CARD_RULES = frozenset({NOTIFICATION_RULE, MEASLES_CASE_RULE})


def case_condition(record: PatientRecord, concept: Concept, today: date) -> ConditionFact | None:
    """The Condition the rules read as the current case of the disease."""
    if concept is Concept.MEASLES:
        case = current_case(record, today, MmrParameters.on(today))
        return case.condition if case is not None else None
    return index_case_of(record, today)


def investigation_url(base_url: str, disease: str, case: ConditionFact) -> str:
    query: dict[str, str] = {"disease": disease, "confirmed": "true" if case.confirmed else "false"}
    day = case.onset or case.recorded
    if day is not None:
        query[CASE_DATE_FIELD[disease]] = day.isoformat()
    if case.source_id:
        query["case_condition_ref"] = case.source_id
    return f"{base_url.rstrip('/')}/workspace/investigations/new?{urlencode(query)}"


def with_case_links(cards: list[dict[str, Any]], rules: list[str], record: PatientRecord, concept: Concept,
                    today: date, base_url: str, language: str) -> list[dict[str, Any]]:
    """``cards`` (rendered from advice with rule ids ``rules``) with, on the case's card, the link to a new
    investigation and the link to the contacts' capture form."""
    case = case_condition(record, concept, today)
    if case is None:
        return cards
    links = (
        Link(render(Message.of("card.investigation.link"), language),
             investigation_url(base_url, DISEASE_OF_CONCEPT[concept], case)),
        capture_form_link(CONTACTS_OF_CONCEPT[concept], base_url, language),
    )
    for card, rule in zip(cards, rules, strict=True):
        if rule in CASE_CARD_RULES:
            card.setdefault("links", []).extend(link.to_json() for link in links)
    return cards
