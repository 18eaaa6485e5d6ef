"""Reading Immunizations: vaccine doses given, and the dates immunoglobulins were given. A dose whose date cannot
be read (``1997-13-01``, an ``occurrenceString`` such as "enfance") is not counted, and is kept for the card. An
Immunization not done or entered in error was never given: it is kept apart, for a forecast to say so."""

from __future__ import annotations

from prevention_cds.fhir_in.codes import concepts_of, display_of
from prevention_cds.fhir_in.dates import as_date
from prevention_cds.fhir_in.reading import Reading, Resource, source_id
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import NotGivenDose, NotGivenStatus, RecordElement, VaccineDose

VACCINE_CONCEPTS = frozenset({
    Concept.MMR_VACCINE, Concept.MMRV_VACCINE, Concept.LIVE_VACCINE, Concept.MENC_VACCINE,
    Concept.MENACWY_VACCINE, Concept.MENB_VACCINE, Concept.YELLOW_FEVER_VACCINE,
})
IMMUNIZATION_CONCEPTS = VACCINE_CONCEPTS | {Concept.IMMUNOGLOBULIN}
NOT_GIVEN = {status.value: status for status in NotGivenStatus}


def read_immunization(resource: Resource, reading: Reading) -> None:
    status = resource.get("status")
    if status != "completed" and not (isinstance(status, str) and status in NOT_GIVEN):
        return
    vaccine_code = resource.get("vaccineCode")
    concepts = concepts_of(vaccine_code, reading.index, IMMUNIZATION_CONCEPTS)
    if not concepts:
        return
    if status != "completed":  # never given: nothing for the rules to count
        _read_not_given(resource, reading, NOT_GIVEN[status], concepts & VACCINE_CONCEPTS)
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


def _read_not_given(resource: Resource, reading: Reading, status: NotGivenStatus, concepts: frozenset[Concept]) -> None:
    if not concepts:
        return
    vaccine_code = resource.get("vaccineCode")
    recorded = as_date(reading.typed(resource).occurrenceDateTime)
    reading.not_given.append(NotGivenDose(status, recorded, concepts, display_of(vaccine_code), source_id(resource)))
