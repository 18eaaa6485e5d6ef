"""Reading the input of ``$immds-forecast``: the Parameters of the HL7 Immunization Decision Support Forecast IG —
``assessmentDate`` (a date), ``patient`` (the Patient), ``immunization`` (the Immunizations, any number) — and the
project's parameters for what the French rules also read, one per resource type the record builder reads
(``RESOURCE_PARAMETERS``: Conditions, AllergyIntolerances, Observations for pregnancy, occupation and an exposure
to a case, and medication records for immunoglobulins given).

The resources go, as they are, to the record builder of the CDS services (``record.build_record``): the same
reading, the same "whose resource is it". What is checked here, each problem named by where it is (a FHIRPath into
the Parameters) and never by a value: a Parameters resource; one full ``assessmentDate`` of a plausible year; one
Patient with a FHIR id (the answer's resources refer to it); each other parameter one this operation defines,
holding a resource of its type. An unknown parameter is refused rather than ignored: a misspelt ``conditions``
would otherwise hide a pregnancy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from prevention_cds.errors import RefusedInput
from prevention_cds.fhir_in.dates import PLAUSIBLE_YEARS
from prevention_cds.fhir_in.references import FHIR_ID

ASSESSMENT_DATE = "assessmentDate"
PATIENT = "patient"
# parameter -> the resource type it holds, any number of times: the IG's, then the project's
RESOURCE_PARAMETERS: Mapping[str, str] = {
    "immunization": "Immunization",
    "condition": "Condition",
    "allergyIntolerance": "AllergyIntolerance",
    "observation": "Observation",
    "medicationAdministration": "MedicationAdministration",
    "medicationStatement": "MedicationStatement",
    "medicationRequest": "MedicationRequest",
}
PARAMETER_NAMES = (ASSESSMENT_DATE, PATIENT, *RESOURCE_PARAMETERS)
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ForecastRequest:
    assessment_date: date
    patient_id: str
    resources: tuple[dict[str, Any], ...]  # the Patient first, then every other resource given


def parameter_path(name: str) -> str:
    """Where a parameter is in the Parameters, as FHIRPath."""
    return f"Parameters.parameter.where(name='{name}')"


def read_forecast_parameters(body: Any) -> ForecastRequest:
    """The request a ``$immds-forecast`` body makes. Raises RefusedInput (an InvalidRequest) naming every problem."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise RefusedInput([("Parameters", "the body must be a Parameters resource")])
    parameters = body.get("parameter")
    if not isinstance(parameters, list):
        raise RefusedInput([("Parameters.parameter", f"the parameters are required (an array: {ASSESSMENT_DATE}, "
                                                     f"{PATIENT}, ...)")])
    problems: list[tuple[str, str]] = []
    by_name: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for position, parameter in enumerate(parameters):
        where = f"Parameters.parameter[{position}]"
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str) or name not in PARAMETER_NAMES:
            problems.append((where, f"not a parameter of $immds-forecast (name: {', '.join(PARAMETER_NAMES)})"))
            continue
        by_name.setdefault(name, []).append((position, parameter))
    assessed_on = _assessment_date(by_name.get(ASSESSMENT_DATE, []), problems)
    patient = _patient(by_name.get(PATIENT, []), problems)
    resources: list[dict[str, Any]] = []
    for name, resource_type in RESOURCE_PARAMETERS.items():
        for position, parameter in by_name.get(name, []):
            resource = parameter.get("resource")
            if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
                problems.append((f"Parameters.parameter[{position}].resource", f"'{name}' holds a {resource_type}"))
            else:
                resources.append(resource)
    if problems or assessed_on is None or patient is None:
        raise RefusedInput(problems)
    return ForecastRequest(assessed_on, str(patient["id"]), (patient, *resources))


def _one(given: list[tuple[int, dict[str, Any]]], name: str, problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    if not given:
        problems.append((parameter_path(name), f"'{name}' is required"))
        return None
    if len(given) > 1:
        problems.append((parameter_path(name), f"'{name}' is given {len(given)} times; once is allowed"))
        return None
    return given[0][1]


def _assessment_date(given: list[tuple[int, dict[str, Any]]], problems: list[tuple[str, str]]) -> date | None:
    parameter = _one(given, ASSESSMENT_DATE, problems)
    if parameter is None:
        return None
    value = parameter.get("valueDate")
    where = f"{parameter_path(ASSESSMENT_DATE)}.valueDate"
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and FULL_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        problems.append((where, f"'{ASSESSMENT_DATE}' is a full date, valueDate (YYYY-MM-DD)"))
        return None
    if day.year not in PLAUSIBLE_YEARS:
        problems.append((where, f"'{ASSESSMENT_DATE}' is not a plausible year"))
        return None
    return day


def _patient(given: list[tuple[int, dict[str, Any]]], problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    parameter = _one(given, PATIENT, problems)
    if parameter is None:
        return None
    resource = parameter.get("resource")
    where = f"{parameter_path(PATIENT)}.resource"
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        problems.append((where, f"'{PATIENT}' holds a Patient"))
        return None
    patient_id = resource.get("id")
    if not isinstance(patient_id, str) or not FHIR_ID.fullmatch(patient_id):
        problems.append((f"{where}.id", "the Patient needs a FHIR id (the answer's resources refer to it, as the "
                                        "other resources given do)"))
        return None
    return resource
