"""Reading Immunizations: vaccine doses given, and the dates immunoglobulins were given. A dose whose date cannot
be read (``1997-13-01``, an ``occurrenceString`` such as "enfance") is not counted, and is kept for the card."""

from __future__ import annotations

from prevention_cds.fhir_in.codes import concepts_of, display_of
from prevention_cds.fhir_in.dates import as_date
from prevention_cds.fhir_in.reading import Reading, Resource, source_id
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import RecordElement, VaccineDose

VACCINE_CONCEPTS = frozenset({
    Concept.MMR_VACCINE, Concept.MMRV_VACCINE, Concept.LIVE_VACCINE, Concept.MENC_VACCINE,
    Concept.MENACWY_VACCINE, Concept.MENB_VACCINE, Concept.YELLOW_FEVER_VACCINE,
})
IMMUNIZATION_CONCEPTS = VACCINE_CONCEPTS | {Concept.IMMUNOGLOBULIN}


def read_immunization(resource: Resource, reading: Reading) -> None:
    if resource.get("status") != "completed":
        return  # not-done and entered-in-error doses were never given
    vaccine_code = resource.get("vaccineCode")
    concepts = concepts_of(vaccine_code, reading.index, IMMUNIZATION_CONCEPTS)
    if not concepts:
        return
    typed = reading.typed(resource)
    given = as_date(typed.occurrenceDateTime)
    if given is None:
        stated = resource.get("occurrenceDateTime", resource.get("occurrenceString"))
        reading.unreadable_value(RecordElement.DOSE_DATE, stated or "", resource, concepts, display_of(vaccine_code))
        return
    if Concept.IMMUNOGLOBULIN in concepts:
        reading.immunoglobulins.append(given)
    vaccine_concepts = concepts & VACCINE_CONCEPTS
    if vaccine_concepts:
        reading.doses.append(VaccineDose(given, vaccine_concepts, display_of(vaccine_code), source_id(resource)))
