"""Every Message an Advice carries, and strict rendering through the cards layer's own catalogs and formats
(a missing key or placeholder fails the test instead of being logged)."""

from __future__ import annotations

from collections.abc import Iterator

from prevention_cds.fhir_out.i18n import catalog, format_template, format_value, placeholders
from prevention_cds.rules.advice import (
    Advice,
    ImmunizationForecast,
    Message,
    ProposeImmunization,
    ProposeMedication,
    ReplaceDraftOrder,
    VaccinationForecast,
)


def all_messages(advice: Advice) -> Iterator[Message]:
    """Every Message of the advice, nested ones included."""
    roots: list[Message] = [
        advice.summary, *advice.explanation, *advice.record_notes, *advice.facts, *advice.decisions
    ]
    for suggestion in advice.suggestions:
        roots.append(suggestion.label)
        for action in suggestion.actions:
            if isinstance(action, ProposeImmunization):
                roots += _forecast_roots(action.forecast)
            elif isinstance(action, ProposeMedication | ReplaceDraftOrder):
                proposal = action.proposal
                roots += [proposal.instruction, *proposal.notes]
                if proposal.patient_instruction is not None:
                    roots.append(proposal.patient_instruction)
    return _nested(roots)


def forecast_messages(forecast: VaccinationForecast) -> Iterator[Message]:
    """Every Message of a vaccination forecast (``$immds-forecast``), nested ones included."""
    roots = [forecast.series, *forecast.notices, *forecast.record_notes]
    if forecast.not_computed is not None:
        roots.append(forecast.not_computed)
    if forecast.recommendation is not None:
        roots += _forecast_roots(forecast.recommendation)
    for evaluation in forecast.evaluations:
        roots += [evaluation.dose, *(reason.text for reason in evaluation.reasons)]
    return _nested(roots)


def _forecast_roots(forecast: ImmunizationForecast) -> list[Message]:
    return [forecast.description, *(d.reason for d in forecast.doses if d.reason is not None)]


def _nested(roots: list[Message]) -> Iterator[Message]:
    stack = list(roots)
    while stack:
        message = stack.pop()
        yield message
        for value in message.params.values():
            if isinstance(value, Message):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(v for v in value if isinstance(v, Message))


def render_strict(message: Message, language: str) -> str:
    template = catalog(language).get(message.key)
    assert template is not None, f"{message.key} missing from the {language} catalog"
    missing = placeholders(template) - set(message.params)
    assert not missing, f"{message.key} ({language}): missing {missing}"
    values = {
        name: _strict_value(value, language) if isinstance(value, Message | tuple) else value
        for name, value in message.params.items()
    }
    return format_template(template, values, language)


def _strict_value(value: object, language: str) -> str:
    if isinstance(value, Message):
        return render_strict(value, language)
    if isinstance(value, tuple):
        return "; ".join(_strict_value(item, language) for item in value)
    return format_value(value, language)  # type: ignore[arg-type]
