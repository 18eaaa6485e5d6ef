"""Reading the Patient: birth date (possibly partial) and sex."""

from __future__ import annotations

from datetime import date

from prevention_cds.fhir_in.dates import PLAUSIBLE_YEARS
from prevention_cds.fhir_in.reading import Reading, Resource
from prevention_cds.rules.facts import Sex
from prevention_cds.rules.partial_date import PartialDate


def read_patient(resource: Resource, reading: Reading) -> None:
    """The patient of the call, else the first Patient given (another one's data never overrides it)."""
    if resource.get("id") not in (None, reading.patient_id) and reading.birth_date is not None:
        return
    typed = reading.typed(resource)
    if typed is None:
        return
    if typed.birthDate is not None:
        value = typed.birthDate
        birth = PartialDate.exact(value) if isinstance(value, date) else PartialDate.parse(str(value))
        if birth.year not in PLAUSIBLE_YEARS:
            reading.skip(resource, "implausible birthDate")
            return
        reading.birth_date = birth
    if typed.gender is not None:
        reading.sex = Sex(typed.gender)
