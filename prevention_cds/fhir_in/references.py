"""Whose resource is it: the patient a resource belongs to, from its own id (Patient) or its patient reference
(``patient_id_of``, for routing a bulk export), and whether it is the patient of a call
(``PatientIdentity.owner``)."""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import Enum
from typing import Any

PATIENT_REFERENCE_FIELDS = ("subject", "patient")
# A FHIR id (R4 datatypes, "id"): 1 to 64 letters, digits, '-' or '.'
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# Patient/<id>, with an optional base URL before and version after; or a bundle-local urn:uuid:<id>
PATIENT_REFERENCE = re.compile(r"(?:.*/)?Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?")
URN_UUID = re.compile(r"urn:uuid:([0-9a-fA-F\-]{36})")
# Any literal reference, <Type>/<id> (a base URL before, a version after): a subject that is not a Patient
RESOURCE_REFERENCE = re.compile(r"(?:.*/)?[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?")


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


class Owner(Enum):
    """Whose a resource is, as far as its own elements say."""

    PATIENT = "patient"  # the patient of the call
    OTHER = "other"  # another patient, or a subject that is not a patient (a Group)
    UNSTATED = "unstated"  # no readable reference: the search by patient that returned it is all there is


class PatientIdentity:
    """Whose each resource of a call is, for the call's patient (``owner``). The usual references are answered
    first, by equality; the ids of the other Patients given are gathered only when a ``urn:uuid`` needs them."""

    def __init__(self, patient_id: str, resources: Collection[dict[str, Any]] = ()) -> None:
        self.patient_id = patient_id
        self._own = frozenset({f"Patient/{patient_id}", f"urn:uuid:{patient_id}"})
        self._resources = resources
        self._other_ids: frozenset[str] | None = None

    @property
    def other_patient_ids(self) -> frozenset[str]:
        if self._other_ids is None:
            self._other_ids = frozenset(
                r["id"] for r in self._resources
                if r.get("resourceType") == "Patient" and isinstance(r.get("id"), str) and r["id"] != self.patient_id
            )
        return self._other_ids

    def owner(self, resource: dict[str, Any]) -> Owner:
        """Whose ``resource`` is: a Patient by its id; another resource by its ``subject`` or ``patient``
        reference, relative (``Patient/x``), absolute (``https://ehr/fhir/Patient/x``, a version after it or not)
        or a Bundle's ``urn:uuid:x``. A ``urn:uuid`` is the patient's when it is its id, another patient's when it
        is the id of another Patient given; otherwise it cannot be resolved here and is read as unstated. A
        missing, malformed, contained (``#p``) or conditional reference is unstated too: such a resource came from
        a search by the patient and is read (a malformed subject must not hide a pregnancy)."""
        if resource.get("resourceType") == "Patient":
            return Owner.PATIENT if resource.get("id") == self.patient_id else Owner.OTHER
        for name in PATIENT_REFERENCE_FIELDS:
            element = resource.get(name)
            reference = element.get("reference") if isinstance(element, dict) else None
            if not isinstance(reference, str):
                continue
            if reference in self._own:  # the usual forms, first
                return Owner.PATIENT
            found = URN_UUID.fullmatch(reference)
            if found is not None:
                return Owner.OTHER if found.group(1) in self.other_patient_ids else Owner.UNSTATED
            named = patient_id_in(reference)
            if named is not None:
                return Owner.PATIENT if named == self.patient_id else Owner.OTHER
            return Owner.OTHER if RESOURCE_REFERENCE.fullmatch(reference) else Owner.UNSTATED
        return Owner.UNSTATED

