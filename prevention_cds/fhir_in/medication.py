"""Reading MedicationRequests, MedicationStatements and MedicationAdministrations: the medicine (coded on the
resource or on a contained Medication, as a product or an ingredient, or recognised by name: ``products.py``),
where it stands, and when it was started and ended."""

from __future__ import annotations

from typing import Any

from prevention_cds.fhir_in.codes import name_of
from prevention_cds.fhir_in.dates import as_date
from prevention_cds.fhir_in.products import medicine_of
from prevention_cds.fhir_in.reading import Reading, Resource, TypedElements, source_id
from prevention_cds.rules.concepts import IMMUNOSUPPRESSIVE_TREATMENTS, INTERACTING_MEDICINES, Concept
from prevention_cds.rules.facts import MedicationFact, MedicationStatus, RecordElement

MEDICINE_CONCEPTS = frozenset({
    Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE, Concept.THIRD_GEN_CEPHALOSPORIN,
    Concept.IMMUNOGLOBULIN, Concept.MMR_VACCINE, Concept.RIFAMPICIN_CAPSULE_300MG, Concept.RIFAMPICIN_CAPSULE_150MG,
    Concept.YELLOW_FEVER_VACCINE,  # a draft order with MMR: not the same day under 2 years
}) | INTERACTING_MEDICINES | IMMUNOSUPPRESSIVE_TREATMENTS
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
    medicine = medicine_of(concept, reading.index, MEDICINE_CONCEPTS)
    concepts = medicine.concepts
    if not concepts:
        return
    typed = reading.typed(resource)
    started_value = getattr(typed, started_element)
    period = getattr(typed, "effectivePeriod", None)  # MedicationRequest has none
    if started_value is None and period is not None:
        started_value = period.start
    started = as_date(started_value)
    ended = as_date(period.end) if period is not None else None
    name = name_of(concept, reading.index)
    if Concept.IMMUNOGLOBULIN in concepts:
        if started is not None:
            reading.immunoglobulins.append(started)
        elif (stated := _unreadable_start(resource, typed, started_element)) is not None:
            # immunoglobulins delay a live vaccine: a date that cannot be read is said on the card
            reading.unreadable_value(RecordElement.MEDICATION_DATE, stated, resource, concepts, name)
    stands = STATUSES.get(status, MedicationStatus.UNSTATED) if isinstance(status, str) else MedicationStatus.UNSTATED
    reading.medications.append(MedicationFact(
        frozenset(concepts), name, stands, started, source_id(resource), medicine.product, ended
    ))


def _unreadable_start(resource: Resource, typed: TypedElements, started_element: str) -> Any:
    """The start as sent when there is one but it cannot be used (malformed, or an implausible year)."""
    names = (started_element, "effectivePeriod")
    stated = next((typed.unreadable[name] for name in names if name in typed.unreadable), None)
    return stated if stated is not None else next((resource[n] for n in names if resource.get(n) is not None), None)


def _medication_concept(resource: Resource) -> Any:
    """medicationCodeableConcept, or the code of the contained Medication that medicationReference points to."""
    concept = resource.get("medicationCodeableConcept")
    reference = (resource.get("medicationReference") or {}).get("reference")
    if concept is None and isinstance(reference, str) and reference.startswith("#"):
        for contained in resource.get("contained") or ():
            if isinstance(contained, dict) and contained.get("id") == reference[1:]:
                return contained.get("code")
    return concept
