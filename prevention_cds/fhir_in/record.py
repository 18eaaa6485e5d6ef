"""FHIR resources -> one typed ``PatientRecord`` of the facts the rules use.

Each resource of the patient goes to the reader of its type (``READERS``); a resource of another patient (its id,
or its patient reference: ``references.owner``) is never read, and counted for the card. Codes are classified
through the project's ValueSets; once its codes show the rules need a resource, the elements they read as typed
values are validated with their R4B types (``typed_elements.py``), one by one: an element that cannot be read
(a birth date written ``14/05/1996``, a dose dated ``1997-13-01``) is kept as written for the card
(``PatientRecord.unreadable``) and the rest of the resource is read. A resource that is otherwise unusable is
skipped with a logged warning (type and reason only, never values); it never fails the call. What the resources
state is then weighed by the rules (``rules.evidence``): the pregnancy evidence that wins, the occupations held
today.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from prevention_cds.fhir_in.allergy import read_allergy
from prevention_cds.fhir_in.condition import read_condition
from prevention_cds.fhir_in.immunization import read_immunization
from prevention_cds.fhir_in.medication import (
    medications_by_reference,
    read_medication_administration,
    read_medication_request,
    read_medication_statement,
)
from prevention_cds.fhir_in.observation import read_latest_weight, read_observation
from prevention_cds.fhir_in.patient import read_patient
from prevention_cds.fhir_in.reading import Reading, Resource
from prevention_cds.fhir_in.references import Owner, PatientIdentity
from prevention_cds.rules import evidence
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.terminology.index import CodeIndex

logger = logging.getLogger(__name__)

Reader = Callable[[Resource, Reading], None]

READERS: Mapping[str, Reader] = {
    "Patient": read_patient,
    "Immunization": read_immunization,
    "Condition": read_condition,
    "Observation": read_observation,
    "AllergyIntolerance": read_allergy,
    "MedicationRequest": read_medication_request,
    "MedicationStatement": read_medication_statement,
    "MedicationAdministration": read_medication_administration,
}
# What a reader may raise on a resource of unexpected shape: the resource is skipped, the call goes on.
UNREADABLE_RESOURCE = (ValueError, TypeError, KeyError, AttributeError, InvalidOperation, RecursionError)


def build_record(
    patient_id: str, resources: Iterable[dict[str, Any]], index: CodeIndex | None = None, now: datetime | None = None
) -> PatientRecord:
    """The record of ``patient_id`` from its resources; ``now`` is the time of reading (an exposure still going
    on then has its last contact now)."""
    reading = Reading(patient_id, index or CodeIndex.load(), now)
    resources = resources if isinstance(resources, list) else list(resources)
    identity = PatientIdentity(patient_id, resources)
    reading.medication_resources = medications_by_reference(resources)
    for resource in resources:
        kind = resource.get("resourceType")
        read = READERS.get(kind) if isinstance(kind, str) else None
        if read is None:
            continue
        if identity.owner(resource) == Owner.OTHER:
            reading.other_patients[str(kind)] += 1  # never read: counted on the card
            continue
        try:
            read(resource, reading)
        except UNREADABLE_RESOURCE as exc:
            reading.skip(resource, type(exc).__name__)
    read_latest_weight(reading)
    if reading.other_patients:
        logger.warning("ignored resources of another patient: %s", dict(sorted(reading.other_patients.items())))
    return PatientRecord(
        patient_id=patient_id,
        birth_date=reading.birth_date,
        sex=reading.sex,
        vaccine_doses=tuple(sorted(reading.doses, key=lambda d: d.given_on)),
        conditions=tuple(reading.conditions),
        pregnancy=evidence.latest_pregnancy(
            reading.pregnancy_observations, reading.expected_deliveries, reading.conditions
        ),
        weights=tuple(sorted(reading.weights, key=lambda w: w.measured_at)),
        occupations=evidence.current_occupations(reading.occupations),
        allergies=tuple(reading.allergies),
        medications=tuple(reading.medications),
        exposures=tuple(sorted(reading.exposures, key=lambda e: e.last_contact)),
        immunoglobulin_dates=tuple(sorted(set(reading.immunoglobulins))),
        skipped_resources=reading.skipped,
        deceased=reading.deceased,
        unreadable=tuple(reading.unreadable),
        other_patients=tuple(sorted(reading.other_patients.items())),
        not_given_doses=tuple(reading.not_given),
    )
