"""Reading codes: the codings of a CodeableConcept, the project ValueSets and rule concepts they belong to, the
text to show for it. Every helper takes the raw JSON and reads a malformed member as absent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import UNREADABLE, Unreadable
from prevention_cds.terminology.index import SYSTEM_NAMES, CodeIndex, canonical_system

NO_VALUESETS: frozenset[str] = frozenset()
NO_CONCEPTS: frozenset[Concept] = frozenset()
CONCEPT_OF_VALUESET = {concept.value: concept for concept in Concept}

Meaning = TypeVar("Meaning")


def codings(concept: Any) -> Iterator[tuple[str | None, str | None]]:
    """(system, code) pairs of a raw CodeableConcept."""
    codings_list = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings_list if isinstance(codings_list, list) else ():
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            yield (system if isinstance(system, str) else None), (code if isinstance(code, str) else None)


def codes_of(concept: Any) -> set[str | None]:
    """The codes of a raw CodeableConcept, whatever their system (None for a coding without a code)."""
    return {code for _, code in codings(concept)}


def valuesets_of(concept: Any, index: CodeIndex) -> frozenset[str]:
    """Ids of the ValueSets any coding of a raw CodeableConcept belongs to (hot path: every resource's code)."""
    codings_list = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings_list, list):
        return NO_VALUESETS
    found = NO_VALUESETS
    for coding in codings_list:
        if isinstance(coding, dict) and isinstance(code := coding.get("code"), str):
            system = coding.get("system")
            matched = index.valuesets_for(system if isinstance(system, str) else None, code)
            if matched:
                found = found | matched if found else matched
    return found


def concepts_of(concept: Any, index: CodeIndex, allowed: frozenset[Concept]) -> frozenset[Concept]:
    """The rule concepts of ``allowed`` a raw CodeableConcept belongs to."""
    found = valuesets_of(concept, index)
    return _concepts_in(found, allowed) if found else NO_CONCEPTS


@lru_cache(maxsize=4096)  # few distinct sets: a record's codes repeat, and the index hands out the same sets
def _concepts_in(valuesets: frozenset[str], allowed: frozenset[Concept]) -> frozenset[Concept]:
    return frozenset(c for vs in valuesets if (c := CONCEPT_OF_VALUESET.get(vs)) is not None and c in allowed)


def display_of(concept: Any) -> str:
    """The text of a raw CodeableConcept, else the display of its first coding that has one."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"])
    return ""


def name_of(concept: Any, index: CodeIndex) -> str:
    """``display_of``, else the display a project ValueSet gives one of its codes: a product coded by its CIS alone
    is named as the BDPM names it rather than shown as unnamed. Medicines and conditions only: a vaccine's card
    words an unnamed dose by its kind, in the card's language."""
    return display_of(concept) or index.label_of(codings(concept))


def label_of(concept: Any, index: CodeIndex) -> str:
    """``name_of``, else its first code with its system's short name ("code CIM-10 (ICD-10) A39.0"; an unknown
    system as sent, "code http://example.org|X"): a coded condition is
    never shown as unnamed. "" for a concept without a code."""
    name = name_of(concept, index)
    if name:
        return name
    coded = next(((system, code) for system, code in codings(concept) if code), None)
    if coded is None:
        return ""
    system, code = coded
    if not system:
        return f"code {code}"
    named = SYSTEM_NAMES.get(canonical_system(system) or "")
    return f"code {named} {code}" if named else f"code {system}|{code}"


def stated_codes(codes: set[str | None], meaning: Mapping[str, Meaning]) -> frozenset[Meaning | Unreadable]:
    """What a status element states: the meaning of each of its codes, UNREADABLE for a code without one."""
    return frozenset(meaning.get(code, UNREADABLE) if code is not None else UNREADABLE for code in codes)
