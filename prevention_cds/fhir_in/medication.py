"""Reading MedicationRequests, MedicationStatements and MedicationAdministrations: the medicine (coded on the
resource or on the Medication it references, contained or sent with it, as a product or an ingredient, or
recognised by name: ``products.py``), where it stands, and when it was started and ended."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prevention_cds.fhir_in.codes import codings, name_of
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
    concept = medication_concept(resource, reading.medication_resources)
    if concept is None:  # a reference to a Medication not sent: it may contraindicate or interact
        reading.unreadable_value(RecordElement.MEDICINE, medicine_as_written(resource), resource)
        return
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


def medication_concept(resource: Resource, medications: Mapping[str, Resource]) -> Any:
    """The medicine a MedicationRequest, MedicationStatement or MedicationAdministration names: its
    medicationCodeableConcept, else the code of the Medication its medicationReference points to (contained, or
    sent with it: ``medications`` by ``Medication/id``), else the reference's display as a text. None when none of
    these names anything: the medicine cannot be read."""
    concept = resource.get("medicationCodeableConcept")
    if names_something(concept):
        return concept
    reference = resource.get("medicationReference")
    if not isinstance(reference, dict):
        return None
    medication = _referenced_medication(resource, reference.get("reference"), medications)
    code = medication.get("code") if medication is not None else None
    if names_something(code):
        return code
    display = reference.get("display")
    return {"text": display} if isinstance(display, str) and display.strip() else None


def medicine_as_written(resource: Resource) -> str:
    """The medicationReference as sent ("Medication/x"), to say what could not be read; "" when there is none."""
    reference = resource.get("medicationReference")
    written = reference.get("reference") if isinstance(reference, dict) else None
    return written if isinstance(written, str) else ""


def names_something(concept: Any) -> bool:
    """A CodeableConcept with a text or a code: something to read the medicine from."""
    if not isinstance(concept, dict):
        return False
    text = concept.get("text")
    return (isinstance(text, str) and bool(text.strip())) or any(code for _, code in codings(concept))


def _referenced_medication(resource: Resource, reference: Any, medications: Mapping[str, Resource]) -> Resource | None:
    if not isinstance(reference, str):
        return None
    if reference.startswith("#"):
        contained = resource.get("contained")
        return next(
            (c for c in contained if isinstance(c, dict) and c.get("resourceType") == "Medication"
             and c.get("id") == reference[1:]),
            None,
        ) if isinstance(contained, list) else None
    # "Medication/x", an absolute URL ending so, or the "urn:uuid:x" a transaction Bundle names it by (Synthea)
    return medications.get(reference) or medications.get("/".join(reference.rstrip("/").split("/")[-2:]))


def medications_by_reference(resources: Iterable[Resource]) -> dict[str, Resource]:
    """The Medication resources among ``resources``, by ``Medication/id`` and ``urn:uuid:id``: what a
    medicationReference points to."""
    found: dict[str, Resource] = {}
    for resource in resources:
        rid = resource.get("id")
        if resource.get("resourceType") == "Medication" and isinstance(rid, str):
            found[f"Medication/{rid}"] = found[f"urn:uuid:{rid}"] = resource
    return found
