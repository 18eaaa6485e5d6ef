"""Advice from the rules → a CDS Hooks card (JSON) with its FHIR resources, in one language."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.card import Action, Card, Coding, Link, Suggestion, fit_summary
from prevention_cds.fhir_out.explanation import Explanation, explanation_of
from prevention_cds.fhir_out.explanation_text import texts
from prevention_cds.fhir_out.fhir_resources import ResourceContext, immunization_recommendation, medication_request
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Action as AdviceAction
from prevention_cds.rules.advice import (
    Advice,
    Message,
    ProposeImmunization,
    ProposeMedication,
    ReplaceDraftOrder,
)
from prevention_cds.rules.advice import Suggestion as AdviceSuggestion
from prevention_cds.rules.ruledata import guideline_sources
from prevention_cds.terminology.index import OVERRIDE_REASON_SYSTEM

logger = logging.getLogger(__name__)

OVERRIDE_REASON_CODES = (
    "patient-contraindication",
    "action-completed",
    "patient-refuses",
    "need-more-info",
    "expert-contradicts",
)


# The address of the explanation page of an explanation, in a language (the app seals it into the link)
ExplanationLink = Callable[[Explanation, str], str]


@dataclass(frozen=True)
class RenderContext:
    resources: ResourceContext
    draft_order_references: frozenset[str] = frozenset()
    explanation_link: ExplanationLink | None = None  # None: cards without a link (the CLI, the scan)

    @property
    def language(self) -> str:
        return self.resources.language


def _t(key: str, language: str, **params: Any) -> str:
    return render(Message.of(key, **params), language)


@cache
def _heading(name: str, language: str) -> str:
    return f"**{_t(f'card.heading.{name}', language)}**"


# The card's detail stays short: a clinician reads it in ten seconds, the explanation page holds the rest.
DETAIL_BUDGET = 700  # characters, in French, for every card of the rule suites (tests/support/card_brevity.py)


@dataclass(frozen=True)
class CardDetail:
    text: str
    left_to_page: int  # decisive lines that did not fit: the card says how many, the page has them all


def card_detail(explanation: Explanation, language: str) -> str:
    return fit_card_detail(explanation, language).text


def fit_card_detail(explanation: Explanation, language: str) -> CardDetail:
    """What to do and the decisive facts (``explanation.py`` says which), then the number of the project's
    choices to confirm, which the page details.

    Within ``DETAIL_BUDGET`` characters. The instructions of the recommended suggestion are always shown; when a
    record brings more decisive lines than fit (a pile of contraindications), the facts are kept first, then the
    steps of the reasoning, each in order while it fits; the card says how many others are on the page.
    """
    instructions = texts(explanation.instructions, language)
    steps = texts(explanation.decisive_reasoning, language)
    facts = texts(explanation.decisive_facts, language)
    decisions = len(explanation.decisions)

    def compose(kept_steps: Sequence[str], kept_facts: Sequence[str]) -> str:
        left = len(steps) + len(facts) - len(kept_steps) - len(kept_facts)
        return _compose([*instructions, *kept_steps], kept_facts, _pointer(left, decisions, language), language)

    detail = compose(steps, facts)
    if len(detail) <= DETAIL_BUDGET:
        return CardDetail(detail, 0)
    kept: dict[int, list[str]] = {0: [], 1: []}  # 0: steps, 1: facts
    detail = compose([], [])
    for group, lines in ((1, facts), (0, steps)):  # the facts are short and say who the patient is
        for line in lines:
            kept[group].append(line)
            tried = compose(_in_order(kept[0], steps), _in_order(kept[1], facts))
            if len(tried) <= DETAIL_BUDGET:
                detail = tried
            else:
                kept[group].pop()
    left = len(steps) + len(facts) - len(kept[0]) - len(kept[1])
    logger.warning("card %s: %d decisive line(s) left to the page", explanation.rule, left)
    return CardDetail(detail, left)


def _in_order(kept: list[str], lines: Sequence[str]) -> list[str]:
    return [line for line in lines if line in kept]


def _pointer(left: int, decisions: int, language: str) -> list[str]:
    """The last line: what the page adds to the card."""
    if left and decisions:
        return [_t("card.more-and-decisions", language, count=left, decisions=decisions)]
    if left:
        return [_t("card.more-on-page", language, count=left)]
    if decisions:
        return [_t("card.decisions-to-confirm", language, count=decisions)]
    return []


def _compose(todo: Sequence[str], facts: Sequence[str], tail: Sequence[str], language: str) -> str:
    blocks = []
    if todo:
        blocks += [_heading("todo", language), "\n".join(f"- {line}" for line in todo)]
    if facts:
        blocks += [_heading("decisive-facts", language), "\n".join(f"- {line}" for line in facts)]
    return "\n\n".join([*blocks, *tail])


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
    explanation = explanation_of(advice, ctx.resources.now)
    links: tuple[Link, ...] = ()
    if ctx.explanation_link is not None:
        links = (Link(_t("card.link.explanation", ctx.language), ctx.explanation_link(explanation, ctx.language)),)
    card = Card(
        summary=fit_summary(render(advice.summary, ctx.language)),
        indicator=advice.indicator.value,
        source_label=first["label"],
        source_url=first.get("url"),
        detail=card_detail(explanation, ctx.language),
        suggestions=suggestions,
        selection_behavior=advice.selection.value if suggestions else None,
        override_reasons=override_reasons(ctx.language),
        links=links,
    )
    return card.to_json()
