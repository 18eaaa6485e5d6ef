"""An ``Explanation`` as plain JSON and back: what a card's link carries to its explanation page.

Messages travel as catalog keys and typed parameters, not as text, so the page renders them in the language asked.
The reader is strict: anything that is not exactly what ``explanation_to_json`` writes is refused
(``ExplanationFormatError``), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from prevention_cds.fhir_out.explanation import Explanation, SuggestionPoints
from prevention_cds.rules.advice import GuidelineRef, Indicator, Message, ParamValue

FORMAT = 1  # written in every document; a document of another format is refused


class ExplanationFormatError(ValueError):
    """A document that is not an explanation this version writes."""


# --- writing ---------------------------------------------------------------------------------------------


def explanation_to_json(e: Explanation) -> dict[str, Any]:
    return {
        "v": FORMAT,
        "rule": e.rule,
        "indicator": e.indicator.value,
        "at": e.evaluated_at.isoformat(),
        "summary": _message(e.summary),
        "suggestions": [
            {
                "label": _message(s.label),
                "recommended": s.recommended,
                "instructions": [_message(m) for m in s.instructions],
                "notes": [_message(m) for m in s.notes],
            }
            for s in e.suggestions
        ],
        "reasoning": [_message(m) for m in e.reasoning],
        "facts": [_message(m) for m in e.facts],
        "decisions": [_message(m) for m in e.decisions],
        "guideline": [[r.document, r.section, r.row] for r in e.guideline],
    }


def _message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"k": m.key}
    if m.params:
        out["p"] = {name: _value(value) for name, value in m.params.items()}
    if m.decisive:
        out["d"] = 1
    return out


_ITSELF = (str, int)  # a tuple, not ``str | int``: that would build a union at every call


def _value(value: ParamValue) -> Any:
    # a str or an int is itself; every other type is a one-member object naming it
    if isinstance(value, _ITSELF):
        return value
    if isinstance(value, Message):
        return {"m": _message(value)}
    if isinstance(value, tuple):
        return {"l": [_message(v) for v in value]}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"t": value.isoformat()}
    return {"n": str(value)}  # Decimal


# --- reading ---------------------------------------------------------------------------------------------


def explanation_from_json(document: Any) -> Explanation:
    d = _object(document, {"v", "rule", "indicator", "at", "summary", "suggestions", "reasoning", "facts",
                           "decisions", "guideline"})
    if d["v"] != FORMAT:
        raise ExplanationFormatError(f"format {d['v']!r}")
    try:
        indicator = Indicator(d["indicator"])
        evaluated_at = datetime.fromisoformat(_text(d["at"]))
    except ValueError as exc:
        raise ExplanationFormatError(str(exc)) from exc
    return Explanation(
        rule=_text(d["rule"]),
        indicator=indicator,
        summary=_read_message(d["summary"]),
        evaluated_at=evaluated_at,
        suggestions=tuple(_suggestion(s) for s in _list(d["suggestions"])),
        reasoning=_messages(d["reasoning"]),
        facts=_messages(d["facts"]),
        decisions=_messages(d["decisions"]),
        guideline=tuple(_ref(r) for r in _list(d["guideline"])),
    )


def _suggestion(document: Any) -> SuggestionPoints:
    s = _object(document, {"label", "recommended", "instructions", "notes"})
    if not isinstance(s["recommended"], bool):
        raise ExplanationFormatError("recommended is not a boolean")
    return SuggestionPoints(
        _read_message(s["label"]), s["recommended"], _messages(s["instructions"]), _messages(s["notes"])
    )


def _ref(document: Any) -> GuidelineRef:
    parts = _list(document)
    if len(parts) != 3:
        raise ExplanationFormatError("a reference is [document, section, row]")
    return GuidelineRef(_text(parts[0]), _text(parts[1]), _text(parts[2]))


def _messages(document: Any) -> tuple[Message, ...]:
    return tuple(_read_message(m) for m in _list(document))


def _read_message(document: Any) -> Message:
    if not isinstance(document, dict) or "k" not in document or not set(document) <= {"k", "p", "d"}:
        raise ExplanationFormatError("not a message")
    params = document.get("p", {})
    if not isinstance(params, dict):
        raise ExplanationFormatError("message parameters are not an object")
    values = {_text(name): _read_value(value) for name, value in params.items()}
    if document.get("d", 0) not in (0, 1):
        raise ExplanationFormatError("decisive is 0 or 1")
    key = _text(document["k"])
    return Message.decisive_of(key, **values) if document.get("d") == 1 else Message.of(key, **values)


def _read_value(document: Any) -> ParamValue:
    if isinstance(document, str):
        return document
    if isinstance(document, int) and not isinstance(document, bool):
        return document
    if not isinstance(document, dict) or len(document) != 1:
        raise ExplanationFormatError("not a parameter value")
    ((kind, raw),) = document.items()
    try:
        match kind:
            case "m":
                return _read_message(raw)
            case "l":
                return tuple(_read_message(m) for m in _list(raw))
            case "dt":
                return datetime.fromisoformat(_text(raw))
            case "t":
                return date.fromisoformat(_text(raw))
            case "n":
                return Decimal(_text(raw))
    except (ValueError, InvalidOperation) as exc:
        raise ExplanationFormatError(f"{kind}: {exc}") from exc
    raise ExplanationFormatError(f"unknown value kind {kind!r}")


def _object(document: Any, members: set[str]) -> Mapping[str, Any]:
    if not isinstance(document, dict) or set(document) != members:
        raise ExplanationFormatError(f"expected the members {sorted(members)}")
    return document


def _list(document: Any) -> list[Any]:
    if not isinstance(document, list):
        raise ExplanationFormatError("expected a list")
    return document


def _text(document: Any) -> str:
    if not isinstance(document, str):
        raise ExplanationFormatError("expected a text")
    return document
