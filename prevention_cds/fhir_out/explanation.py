"""What the card shows and what its explanation page shows: one advice, split by kind of message.

The rule (never a list of messages):
- the card: the summary, what to do — the instructions of the recommended suggestions, then the steps of the
  reasoning marked decisive — and the facts marked decisive (``Message.decisive_of``);
- the explanation page, one link away: all of it — what to do, every suggestion with its instructions and notes,
  the whole reasoning, every fact, the project's decisions, and the references, each document once with the
  sections and rows applied.

A message a rule adds lands on the page; it reaches the card only when it is marked decisive. The split is made
here on messages, before any language, so that the card and the page say the same thing in French and in English,
and so that the page can be rendered later from what the card's link carries (``explanation_codec``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prevention_cds.rules.advice import (
    Action,
    Advice,
    GuidelineRef,
    Indicator,
    Message,
    ProposeImmunization,
    ProposeMedication,
    ReplaceDraftOrder,
)


@dataclass(frozen=True)
class SuggestionPoints:
    """A suggestion in words: its label, what its actions do, and the notes that go with them."""

    label: Message
    recommended: bool
    instructions: tuple[Message, ...]
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Explanation:
    rule: str
    indicator: Indicator
    summary: Message
    evaluated_at: datetime
    suggestions: tuple[SuggestionPoints, ...]
    reasoning: tuple[Message, ...]
    facts: tuple[Message, ...]
    decisions: tuple[Message, ...]
    guideline: tuple[GuidelineRef, ...]

    @property
    def instructions(self) -> tuple[Message, ...]:
        """The instructions of the recommended suggestions: what the clinician is asked to prescribe."""
        return tuple(m for s in self.suggestions if s.recommended for m in s.instructions)

    @property
    def decisive_reasoning(self) -> tuple[Message, ...]:
        """The steps and reasons of the reasoning the clinician cannot act without."""
        instructions = self.instructions
        return tuple(m for m in self.reasoning if m.decisive and m not in instructions)

    @property
    def todo(self) -> tuple[Message, ...]:
        """What to do: the instructions of the recommended suggestions, then the decisive steps of the reasoning."""
        return (*self.instructions, *self.decisive_reasoning)

    @property
    def decisive_facts(self) -> tuple[Message, ...]:
        return tuple(f for f in self.facts if f.decisive)


def explanation_of(advice: Advice, evaluated_at: datetime) -> Explanation:
    return Explanation(
        rule=advice.rule,
        indicator=advice.indicator,
        summary=advice.summary,
        evaluated_at=evaluated_at,
        suggestions=tuple(
            SuggestionPoints(
                s.label,
                s.recommended,
                tuple(m for a in s.actions if (m := _instruction(a)) is not None),
                tuple(n for a in s.actions for n in _notes(a)),
            )
            for s in advice.suggestions
        ),
        reasoning=advice.explanation,
        # what the clinician can correct in the record (a value that cannot be read...): always on the card
        facts=(*(note.as_decisive() for note in advice.record_notes), *advice.facts),
        decisions=advice.decisions,
        guideline=advice.guideline,
    )


# the actions that carry a MedicationProposal (a tuple, not a union built at every call)
_PRESCRIBING = (ProposeMedication, ReplaceDraftOrder)


def _instruction(action: Action) -> Message | None:
    """What the action does, in words: a medicine's whole instruction. A vaccination plan is said by its
    description (a note), a removed order by the suggestion's label."""
    if isinstance(action, _PRESCRIBING):
        return action.proposal.instruction
    return None


def _notes(action: Action) -> tuple[Message, ...]:
    if isinstance(action, _PRESCRIBING):
        proposal = action.proposal
        extra = (proposal.patient_instruction,) if proposal.patient_instruction is not None else ()
        return (*proposal.notes, *extra)
    if isinstance(action, ProposeImmunization):
        return (action.forecast.description,)
    return ()
