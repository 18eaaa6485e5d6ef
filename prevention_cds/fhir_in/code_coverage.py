"""Which codes of a resource the rules recognise: the codings of the elements the readers match against the
project's ValueSets (``record.READERS``), each classified through the ``CodeIndex``, by system."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prevention_cds.fhir_in.codes import codings
from prevention_cds.terminology.index import CodeIndex, canonical_system

MEDICATION = ("medicationCodeableConcept", "contained.code")  # contained: the Medication a reference points to
# resource type -> the paths of the CodeableConcepts its reader classifies
CODED_ELEMENTS: Mapping[str, tuple[str, ...]] = {
    "Immunization": ("vaccineCode",),
    "Condition": ("code",),
    "Observation": ("code", "valueCodeableConcept"),
    "AllergyIntolerance": ("code", "reaction.substance", "reaction.manifestation"),
    "MedicationRequest": MEDICATION,
    "MedicationStatement": MEDICATION,
    "MedicationAdministration": MEDICATION,
}


def _concepts(value: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield from (value if isinstance(value, list) else [value])
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            yield from _concepts(item.get(path[0]), path[1:])


def clinical_codings(resource: Mapping[str, Any]) -> Iterator[tuple[str | None, str | None]]:
    """(system, code) of every coding the reader of the resource's type classifies."""
    for element in CODED_ELEMENTS.get(str(resource.get("resourceType")), ()):
        for concept in _concepts(resource, element.split(".")):
            yield from codings(concept)


@dataclass
class CodeCoverage:
    """Codes met, by (canonical) system: recognised when a ValueSet of the project holds them."""

    recognised: dict[str, set[str]] = field(default_factory=dict)
    unrecognised: dict[str, set[str]] = field(default_factory=dict)

    def add(self, resources: Iterable[Mapping[str, Any]], index: CodeIndex) -> None:
        for resource in resources:
            for system, code in clinical_codings(resource):
                if code is None:
                    continue
                shown = canonical_system(system) or "(no system)"
                found = self.recognised if index.valuesets_for(system, code) else self.unrecognised
                found.setdefault(shown, set()).add(code)
