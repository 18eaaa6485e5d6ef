"""Reading MedicationRequests, MedicationStatements and MedicationAdministrations: the medicine (coded on the
resource or on a contained Medication), where it stands, and when it was started."""

from __future__ import annotations

from typing import Any

from prevention_cds.fhir_in.codes import concepts_of, display_of
from prevention_cds.fhir_in.dates import as_date
from prevention_cds.fhir_in.reading import Reading, Resource, source_id
from prevention_cds.rules.concepts import INTERACTING_MEDICINES, Concept
from prevention_cds.rules.facts import MedicationFact, MedicationStatus

MEDICINE_CONCEPTS = frozenset({
    Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE, Concept.THIRD_GEN_CEPHALOSPORIN,
    Concept.IMMUNOGLOBULIN, Concept.MMR_VACCINE, Concept.RIFAMPICIN_CAPSULE_300MG, Concept.RIFAMPICIN_CAPSULE_150MG,
    Concept.YELLOW_FEVER_VACCINE,  # a draft order with MMR: not the same day under 2 years
}) | INTERACTING_MEDICINES
# Records of a medicine never given (a MedicationAdministration "not-done" included), or that say nothing of it:
# not read.
IGNORED_STATUSES = {"entered-in-error", "cancelled", "draft", "not-taken", "not-done", "unknown"}
STATUSES = {  # the status codes of the three resources (FHIR R4), by where the medicine stands
    "active": MedicationStatus.ONGOING, "on-hold": MedicationStatus.ONGOING, "intended": MedicationStatus.ONGOING,
    "in-progress": MedicationStatus.ONGOING,
    "completed": MedicationStatus.FINISHED, "stopped": MedicationStatus.FINISHED,
}


def read_medication_request(resource: Resource, reading: Reading) -> None:
    _read_medication(resource, reading, "authoredOn")


def read_medication_statement(resource: Resource, reading: Reading) -> None:
    _read_medication(resource, reading, "effectiveDateTime")


def read_medication_administration(resource: Resource, reading: Reading) -> None:
    _read_medication(resource, reading, "effectiveDateTime")


def _read_medication(resource: Resource, reading: Reading, started_element: str) -> None:
    status = resource.get("status")
    if status in IGNORED_STATUSES:
        return
    concept = _medication_concept(resource)
    concepts = concepts_of(concept, reading.index, MEDICINE_CONCEPTS)
    if not concepts:
        return
    typed = reading.typed(resource)
    if typed is None:
        return
    started_value = getattr(typed, started_element, None)
    if started_value is None and getattr(typed, "effectivePeriod", None) is not None:
        started_value = typed.effectivePeriod.start
    started = as_date(started_value)
    if Concept.IMMUNOGLOBULIN in concepts and started is not None:
        reading.immunoglobulins.append(started)
    stands = STATUSES.get(status, MedicationStatus.UNSTATED) if isinstance(status, str) else MedicationStatus.UNSTATED
    reading.medications.append(
        MedicationFact(frozenset(concepts), display_of(concept), stands, started, source_id(resource))
    )


def _medication_concept(resource: Resource) -> Any:
    """medicationCodeableConcept, or the code of the contained Medication that medicationReference points to."""
    concept = resource.get("medicationCodeableConcept")
    reference = (resource.get("medicationReference") or {}).get("reference")
    if concept is None and isinstance(reference, str) and reference.startswith("#"):
        for contained in resource.get("contained") or ():
            if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                return contained.get("code")
    return concept
