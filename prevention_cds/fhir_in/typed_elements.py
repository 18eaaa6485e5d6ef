"""Validating the elements the rules read as typed values (dates, periods, quantities) with the types
``fhir.resources.R4B`` gives them.

Codes, statuses and components are read from the JSON itself with type checks (a malformed one reads as absent),
and the elements the rules never read are not looked at: a bad narrative, address or subject does not hide an
allergy or a pregnancy from the rules. A resource where one of its typed elements is malformed is skipped.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ConfigDict, create_model

TYPED_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Patient": ("birthDate", "gender"),
    "Immunization": ("occurrenceDateTime",),
    "Condition": ("onsetDateTime", "onsetPeriod", "recordedDate", "abatementDateTime"),
    "Observation": ("effectiveDateTime", "effectivePeriod", "valueQuantity", "valueDateTime"),
    "AllergyIntolerance": (),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod"),
}


@cache
def typed_elements_model(kind: str) -> type[BaseModel]:
    """The elements of ``kind`` in TYPED_ELEMENTS, each with the type the R4B model gives it."""
    resource_model = get_fhir_model_class(kind)
    fields: dict[str, Any] = {name: (resource_model.model_fields[name].annotation, None)
                              for name in TYPED_ELEMENTS[kind]}
    return create_model(f"{kind}TypedElements", __config__=ConfigDict(extra="ignore"), **fields)
