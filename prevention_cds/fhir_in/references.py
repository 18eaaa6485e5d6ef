"""Whose resource is it: the patient a resource belongs to, from its own id (Patient) or its patient reference."""

from __future__ import annotations

import re
from typing import Any

PATIENT_REFERENCE_FIELDS = ("subject", "patient")
# A FHIR id (R4 datatypes, "id"): 1 to 64 letters, digits, '-' or '.'
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# Patient/<id>, with an optional base URL before and version after; or a bundle-local urn:uuid:<id>
PATIENT_REFERENCE = re.compile(r"(?:.*/)?Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?")
URN_UUID = re.compile(r"urn:uuid:([0-9a-fA-F\-]{36})")


def patient_id_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient the resource belongs to; None when it has no readable patient reference (absent,
    conditional, contained, or a reference to another resource type)."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and FHIR_ID.fullmatch(rid) else None
    for name in PATIENT_REFERENCE_FIELDS:
        element = resource.get(name)
        reference = element.get("reference") if isinstance(element, dict) else None
        if isinstance(reference, str):
            return patient_id_in(reference)
    return None


def patient_id_in(reference: str) -> str | None:
    """The patient id of a reference string; None when it is not a readable reference to a Patient."""
    if reference.startswith("Patient/") and FHIR_ID.fullmatch(reference, 8):  # the usual form, first
        return reference[8:]
    found = PATIENT_REFERENCE.fullmatch(reference) or URN_UUID.fullmatch(reference)
    return found.group(1) if found else None
