"""Reading the Patient: birth date (possibly partial), sex, and whether the patient has died.

Only the patient of the call reaches here (``record.py`` sets another patient's Patient apart). A birth date or a
sex that cannot be read is kept, as written, for the card: the clinician sees "illegible", not "missing".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prevention_cds.fhir_in.dates import PLAUSIBLE_YEARS
from prevention_cds.fhir_in.reading import Reading, Resource
from prevention_cds.rules.facts import RecordElement, Sex
from prevention_cds.rules.partial_date import PartialDate

SEXES = {sex.value: sex for sex in Sex}


def read_patient(resource: Resource, reading: Reading) -> None:
    if reading.patient_read:
        return  # the same Patient twice (prefetch and a Bundle): the first one is read
    reading.patient_read = True
    typed = reading.typed(resource)
    if "birthDate" in typed.unreadable:
        reading.unreadable_value(RecordElement.BIRTH_DATE, typed.unreadable["birthDate"], resource)
    elif typed.birthDate is not None:
        birth = _birth_date(typed.birthDate)
        if birth is None:
            reading.unreadable_value(RecordElement.BIRTH_DATE, resource.get("birthDate"), resource)
        else:
            reading.birth_date = birth
    gender = typed.gender
    if "gender" in typed.unreadable or (gender is not None and gender not in SEXES):
        reading.unreadable_value(RecordElement.SEX, resource.get("gender"), resource)
    elif gender is not None:
        reading.sex = SEXES[gender]
    today = reading.now.date() if reading.now is not None else None
    died, unreadable = deceased(resource, today)
    reading.deceased = died
    if unreadable:
        reading.unreadable_value(RecordElement.DECEASED_DATE, resource.get("deceasedDateTime"), resource)


def _birth_date(value: Any) -> PartialDate | None:
    try:
        birth = PartialDate.exact(value) if isinstance(value, date) else PartialDate.parse(str(value))
    except ValueError:
        return None
    return birth if birth.year in PLAUSIBLE_YEARS else None


def deceased(patient: dict[str, Any], today: date | None) -> tuple[bool, bool]:
    """(deceased on ``today``, deceasedDateTime unreadable). A death dated after today has not happened yet; without
    a day of reading, any readable date of death counts. The one reading of the record, the population scan and
    ``evaluate --summary`` share."""
    if patient.get("deceasedBoolean") is True:
        return True, False
    value = patient.get("deceasedDateTime")
    if value is None:
        return False, False
    try:
        died = PartialDate.parse(str(value)[:10])
    except ValueError:
        return False, True
    return today is None or died.earliest <= today, False
