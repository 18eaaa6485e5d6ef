"""The link from an index case's patient-view card to a new workspace investigation, prefilled with that case.

The URL carries no name and no birth date (URLs end up in histories and proxies' logs): the disease, the date of
the case, whether it is confirmed and the EHR's Condition reference. The index case's own card carries the link;
when the rules have no card about the case, an information card carries it alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from prevention_cds.fhir_out.card import Card, Link
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.ruledata import guideline_sources

DISEASE_OF_CONCEPT = {Concept.IIM_DISEASE: "iim", Concept.MEASLES_HISTORY: "measles"}
CASE_DATE_FIELD = {"iim": "diagnosis_date", "measles": "rash_onset"}
INDEX_CASE_RULES = frozenset({"iim.index-case.eradication"})


def index_case(record: PatientRecord, concept: Concept, today: date) -> ConditionFact | None:
    """The patient's active case of the disease. Measles: dated within the days its contacts may still be acted
    upon (the MMR rule data's ``post_exposure_current_days``), so that a lasting "history of measles" is no case."""
    cases = record.active_conditions(concept)
    if concept is Concept.MEASLES_HISTORY:
        current = timedelta(days=MmrParameters.on(today).post_exposure_current_days.value)
        cases = tuple(c for c in cases if (day := c.onset or c.recorded) is not None and today - day <= current)
    return max(cases, key=lambda c: str(c.onset or c.recorded or ""), default=None)


def investigation_url(base_url: str, disease: str, case: ConditionFact) -> str:
    query: dict[str, str] = {"disease": disease, "confirmed": "true" if case.confirmed else "false"}
    day = case.onset or case.recorded
    if day is not None:
        query[CASE_DATE_FIELD[disease]] = day.isoformat()
    if case.source_id:
        query["case_condition_ref"] = case.source_id
    return f"{base_url.rstrip('/')}/workspace/investigations/new?{urlencode(query)}"


def with_investigation_link(cards: list[dict[str, Any]], rules: list[str], record: PatientRecord,
                            concept: Concept, base_url: str, language: str, today: date) -> list[dict[str, Any]]:
    """``cards`` (rendered from advice with rule ids ``rules``) with the link on the index case's card."""
    case = index_case(record, concept, today)
    if case is None:
        return cards
    disease = DISEASE_OF_CONCEPT[concept]
    link = Link(render(Message.of("card.investigation.link"), language), investigation_url(base_url, disease, case))
    for card, rule in zip(cards, rules, strict=True):
        if rule in INDEX_CASE_RULES:
            card.setdefault("links", []).append(link.to_json())
            return cards
    project = guideline_sources()["project-decision"]
    extra = Card(summary=render(Message.of(f"card.investigation.summary.{disease}"), language), indicator="info",
                 source_label=project["label"], source_url=project.get("url"), links=(link,))
    return [*cards, extra.to_json()]
