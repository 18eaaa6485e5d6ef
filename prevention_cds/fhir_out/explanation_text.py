"""An explanation in one language: the texts of its page, and the references each document once.

The card's detail (``render.card_detail``) and the explanation page (``app/explanation_page.py``) both come from
here, so they say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prevention_cds.fhir_out.explanation import Explanation
from prevention_cds.fhir_out.i18n import format_value, render
from prevention_cds.rules.advice import GuidelineRef, Message
from prevention_cds.rules.ruledata import guideline_sources


@dataclass(frozen=True)
class CitedSection:
    """A section of a document, named as the document names it, and the rows of it applied."""

    name: str
    rows: tuple[str, ...]


@dataclass(frozen=True)
class CitedDocument:
    """One document the advice applies, once, with every section of it used."""

    label: str
    url: str | None
    reference: str | None
    sections: tuple[CitedSection, ...]


def cited_documents(refs: Iterable[GuidelineRef]) -> tuple[CitedDocument, ...]:
    """Each document once, in the order first cited; its sections in the order first cited; under each section
    the rows applied, each once."""
    sections: dict[str, dict[str, list[str]]] = {}
    for ref in refs:
        rows = sections.setdefault(ref.document, {}).setdefault(ref.section, [])
        if ref.row and ref.row not in rows:
            rows.append(ref.row)
    known = guideline_sources()
    documents = []
    for document, named in sections.items():
        source = known.get(document, {})
        documents.append(
            CitedDocument(
                label=source.get("label", document),
                url=source.get("url"),
                reference=source.get("reference"),
                sections=tuple(CitedSection(name, tuple(rows)) for name, rows in named.items()),
            )
        )
    return tuple(documents)


@dataclass(frozen=True)
class SuggestionText:
    label: str
    recommended: bool
    instructions: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FactText:
    text: str
    decisive: bool


@dataclass(frozen=True)
class ExplanationText:
    language: str
    rule: str
    indicator: str
    summary: str
    evaluated_at: str
    todo: tuple[str, ...]
    suggestions: tuple[SuggestionText, ...]
    reasoning: tuple[str, ...]
    facts: tuple[FactText, ...]
    decisions: tuple[str, ...]
    documents: tuple[CitedDocument, ...]


def texts(messages: Iterable[Message], language: str) -> tuple[str, ...]:
    return tuple(render(m, language) for m in messages)


def explanation_text(e: Explanation, language: str) -> ExplanationText:
    return ExplanationText(
        language=language,
        rule=e.rule,
        indicator=e.indicator.value,
        summary=render(e.summary, language),
        evaluated_at=format_value(e.evaluated_at, language),
        todo=texts(e.todo, language),
        suggestions=tuple(
            SuggestionText(render(s.label, language), s.recommended, texts(s.instructions, language),
                           texts(s.notes, language))
            for s in e.suggestions
        ),
        reasoning=texts(e.reasoning, language),
        facts=tuple(FactText(render(f, language), f.decisive) for f in e.facts),
        decisions=texts(e.decisions, language),
        documents=cited_documents(e.guideline),
    )
