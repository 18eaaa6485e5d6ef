"""The link from an index case's patient-view card to a new workspace investigation, prefilled with that case.

The URL carries no name and no birth date (URLs end up in histories and proxies' logs): the disease, the date of
the case, whether it is confirmed and the EHR's Condition reference. The index case's own card carries the link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from prevention_cds.fhir_out.card import Link
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord
from prevention_cds.rules.mmr.cards.measles_case import MEASLES_CASE_RULE

DISEASE_OF_CONCEPT = {Concept.IIM_DISEASE: "iim", Concept.MEASLES: "measles"}
CASE_DATE_FIELD = {"iim": "diagnosis_date", "measles": "rash_onset"}
# The cards the rules give a patient who is the case: the link goes there, and only there.
INDEX_CASE_RULES = frozenset({"iim.index-case.eradication", MEASLES_CASE_RULE})


def index_case(record: PatientRecord, concept: Concept) -> ConditionFact | None:
    """The latest active record of the disease (the rules, which gave a case card, decided it is a case)."""
    return max(record.active_conditions(concept), key=lambda c: str(c.onset or c.recorded or ""), default=None)


def investigation_url(base_url: str, disease: str, case: ConditionFact) -> str:
    query: dict[str, str] = {"disease": disease, "confirmed": "true" if case.confirmed else "false"}
    day = case.onset or case.recorded
    if day is not None:
        query[CASE_DATE_FIELD[disease]] = day.isoformat()
    if case.source_id:
        query["case_condition_ref"] = case.source_id
    return f"{base_url.rstrip('/')}/workspace/investigations/new?{urlencode(query)}"


def with_investigation_link(cards: list[dict[str, Any]], rules: list[str], record: PatientRecord,
                            concept: Concept, base_url: str, language: str) -> list[dict[str, Any]]:
    """``cards`` (rendered from advice with rule ids ``rules``) with the link on the index case's card."""
    case = index_case(record, concept)
    if case is None:
        return cards
    link = Link(render(Message.of("card.investigation.link"), language),
                investigation_url(base_url, DISEASE_OF_CONCEPT[concept], case))
    for card, rule in zip(cards, rules, strict=True):
        if rule in INDEX_CASE_RULES:
            card.setdefault("links", []).append(link.to_json())
    return cards
