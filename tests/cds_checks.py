"""Checks every CDS Hooks response of the test suite against the specification (cds-hooks.md §3.4 R items)
and every emitted FHIR resource against fhir.resources R4B and the project's profiles."""

from __future__ import annotations

from typing import Any

from prevention_cds.hooks.request import schema_validator
from support.emitted import resource_problems


def no_null_or_empty(value: Any, path: str = "$") -> list[str]:
    """CDS Hooks 2.0: no member is null, "", [] or {} (``cards: []`` is the documented exception)."""
    problems: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if item is None or item == "" or (item in ([], {}) and where != "$.cards"):
                problems.append(where)
            else:
                problems.extend(no_null_or_empty(item, where))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems.extend(no_null_or_empty(item, f"{path}[{i}]"))
    return problems


def assert_valid_response(body: Any, draft_orders: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Raise AssertionError naming every violation; returns the emitted resources."""
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in schema_validator("response").iter_errors(body)]
    errors += [f"null or empty member {p}" for p in no_null_or_empty(body)]
    resources: list[dict[str, Any]] = []
    uuids: list[str] = []
    for card in body.get("cards", []) if isinstance(body, dict) else []:
        uuids.append(card.get("uuid", ""))
        if not card.get("uuid"):
            errors.append("card without uuid (R14)")
        suggestions = card.get("suggestions", [])
        if card.get("selectionBehavior") == "at-most-one" and sum(bool(s.get("isRecommended")) for s in suggestions) > 1:
            errors.append("at-most-one with several recommended suggestions (R06)")
        for suggestion in suggestions:
            if not suggestion.get("uuid"):
                errors.append("suggestion without uuid (R07)")
            uuids.append(suggestion.get("uuid", ""))
            for action in suggestion.get("actions", []):
                if action["type"] in ("update", "delete"):
                    target = action.get("resourceId") or (
                        f"{action['resource']['resourceType']}/{action['resource'].get('id')}")
                    if target not in draft_orders:
                        errors.append(f"{action['type']} of {target}, not a draft order (R11)")
                if "resource" in action:
                    resources.append(action["resource"])
                    errors.extend(resource_problems(action["resource"]))
                    medication = action["resource"].get("medicationCodeableConcept")
                    if medication is not None and not medication.get("text"):
                        errors.append("medicationCodeableConcept without text (R17)")
        detail = card.get("detail", "")
        if "<" in detail and any(tag in detail for tag in ("<div", "<br", "<p>", "<span", "<table", "<script")):
            errors.append("raw HTML in detail (R04)")
    if len(uuids) != len(set(uuids)):
        errors.append("uuids are not unique (R14)")
    assert not errors, "\n".join(errors)
    return resources
