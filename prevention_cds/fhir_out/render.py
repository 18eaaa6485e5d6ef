"""Advice from the rules → a CDS Hooks card (JSON) with its FHIR resources, in one language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.card import Action, Card, Coding, Suggestion, fit_summary
from prevention_cds.fhir_out.fhir_resources import ResourceContext, immunization_recommendation, medication_request
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Action as AdviceAction
from prevention_cds.rules.advice import (
    Advice,
    GuidelineRef,
    Message,
    ProposeImmunization,
    ProposeMedication,
    ReplaceDraftOrder,
)
from prevention_cds.rules.advice import Suggestion as AdviceSuggestion
from prevention_cds.rules.ruledata import guideline_sources
from prevention_cds.terminology.index import OVERRIDE_REASON_SYSTEM

OVERRIDE_REASON_CODES = (
    "patient-contraindication",
    "action-completed",
    "patient-refuses",
    "need-more-info",
    "expert-contradicts",
)


@dataclass(frozen=True)
class RenderContext:
    resources: ResourceContext
    draft_order_references: frozenset[str] = frozenset()

    @property
    def language(self) -> str:
        return self.resources.language


def _t(key: str, language: str, **params: Any) -> str:
    return render(Message.of(key, **params), language)


@cache
def _heading(name: str, language: str) -> str:
    return f"**{_t(f'card.heading.{name}', language)}**"


@cache
def _source_line(ref: GuidelineRef, language: str) -> str:
    # rule data only (a document and a section): the same few lines on every card
    label = guideline_sources()[ref.document]["label"]
    return "- " + _t("card.source.line", language, label=label, section=ref.section)


def _detail(advice: Advice, language: str) -> str:
    blocks = [_heading("why", language), *(render(m, language) for m in advice.explanation)]
    if advice.record_notes:  # what the clinician can correct in the record: always on the card
        blocks.append(_heading("record", language))
        blocks.append("\n".join(f"- {render(note, language)}" for note in advice.record_notes))
    if advice.facts:
        blocks.append(_heading("facts", language))
        blocks.append("\n".join(f"- {render(fact, language)}" for fact in advice.facts))
    if advice.decisions:
        blocks.append(_heading("decisions", language))
        blocks.append("\n".join(f"- {render(d, language)}" for d in advice.decisions))
    if advice.guideline:
        blocks.append(_heading("source", language))
        blocks.append("\n".join(_source_line(ref, language) for ref in advice.guideline))
    return "\n\n".join(blocks)


def _action(action: AdviceAction, ctx: RenderContext) -> Action:
    language, res = ctx.language, ctx.resources
    if isinstance(action, ProposeMedication):
        resource = medication_request(action.proposal, res)
        text = resource["medicationCodeableConcept"]["text"]
        return Action("create", _t("card.action.create-medication", language, text=text), resource=resource)
    if isinstance(action, ProposeImmunization):
        resource = immunization_recommendation(action.forecast, res)
        text = products.medicine_text(action.forecast.vaccine.value, language)
        return Action("create", _t("card.action.create-recommendation", language, text=text), resource=resource)
    if isinstance(action, ReplaceDraftOrder):
        _require_draft(action.order_reference, ctx)
        resource = medication_request(action.proposal, res, resource_id=action.order_reference.split("/", 1)[1])
        text = resource["dosageInstruction"][0]["text"]
        return Action("update", _t("card.action.update-order", language, text=text), resource=resource)
    _require_draft(action.order_reference, ctx)
    return Action(
        "delete",
        _t("card.action.delete-order", language, text=action.display),
        resource_id=action.order_reference,
    )


def _require_draft(reference: str, ctx: RenderContext) -> None:
    # update and delete may only target an order of context.draftOrders (cds-hooks.md §3.4 R11)
    if reference not in ctx.draft_order_references:
        raise ValueError(f"{reference} is not a draft order of this request")


def _suggestion(suggestion: AdviceSuggestion, ctx: RenderContext) -> Suggestion:
    return Suggestion(
        label=render(suggestion.label, ctx.language),
        actions=tuple(_action(a, ctx) for a in suggestion.actions),
        is_recommended=suggestion.recommended,
    )


@cache
def override_reasons(language: str) -> tuple[Coding, ...]:
    return tuple(
        Coding(OVERRIDE_REASON_SYSTEM, code, _t(f"override.{code}", language)) for code in OVERRIDE_REASON_CODES
    )


def advice_to_card(advice: Advice, ctx: RenderContext) -> dict[str, Any]:
    sources = guideline_sources()
    first = sources[advice.guideline[0].document] if advice.guideline else sources["project-decision"]
    suggestions = tuple(_suggestion(s, ctx) for s in advice.suggestions)
    card = Card(
        summary=fit_summary(render(advice.summary, ctx.language)),
        indicator=advice.indicator.value,
        source_label=first["label"],
        source_url=first.get("url"),
        detail=_detail(advice, ctx.language),
        suggestions=suggestions,
        selection_behavior=advice.selection.value if suggestions else None,
        override_reasons=override_reasons(ctx.language),
    )
    return card.to_json()
