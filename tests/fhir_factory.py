"""Small builders of FHIR R4 resources for tests (plain JSON, as an EHR sends them)."""

from __future__ import annotations

import uuid
from typing import Any

from prevention_cds import terminology
from prevention_cds.terminology import ProjectCode

CVX = "http://hl7.org/fhir/sid/cvx"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"


def _id() -> str:
    return uuid.uuid4().hex[:16]


def patient(pid: str = "p1", birth_date: str | None = "1990-05-04", gender: str = "female") -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": pid, "gender": gender}
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return resource


def immunization(pid: str, cvx: str, when: str, status: str = "completed", system: str = CVX) -> dict[str, Any]:
    """A dose of the vaccine coded ``cvx`` (in ``system``: a French record codes it by its BDPM CIS)."""
    return {
        "resourceType": "Immunization", "id": _id(), "status": status,
        "vaccineCode": {"coding": [{"system": system, "code": cvx}]},
        "patient": {"reference": f"Patient/{pid}"}, "occurrenceDateTime": when,
    }


def medication_statement(pid: str, system: str, code: str, status: str = "active",
                         text: str | None = "produit") -> dict[str, Any]:
    """A treatment the patient takes, coded by one product or ingredient code alone (``text=None``: not named)."""
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text is not None:
        concept["text"] = text
    return {
        "resourceType": "MedicationStatement", "id": _id(), "status": status,
        "subject": {"reference": f"Patient/{pid}"}, "medicationCodeableConcept": concept,
    }


def condition(pid: str, system: str, code: str, clinical: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": _id(),
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": clinical}]},
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{pid}"},
    }


def weight(pid: str, kg: float, when: str, unit: str = "kg") -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": _id(), "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}]},
        "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": when,
        "valueQuantity": {"value": kg, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def exposure(pid: str, kind: str, last_contact: str, setting: str, serogroup: str | None = None,
             **booleans: bool) -> dict[str, Any]:
    components: list[dict[str, Any]] = [{
        "code": {"coding": [{"system": terminology.PROJECT_CODESYSTEM, "code": ProjectCode.CONTACT_SETTING}]},
        "valueCodeableConcept": {"coding": [{"system": terminology.CONTACT_SETTING_CODESYSTEM, "code": setting}]},
    }]
    if serogroup:
        components.append({
            "code": {"coding": [{"system": terminology.PROJECT_CODESYSTEM, "code": ProjectCode.SEROGROUP}]},
            "valueCodeableConcept": {"coding": [{"system": terminology.SEROGROUP_CODESYSTEM, "code": serogroup}]},
        })
    for code, value in booleans.items():
        components.append({
            "code": {"coding": [{"system": terminology.PROJECT_CODESYSTEM, "code": code.replace("_", "-")}]},
            "valueBoolean": value,
        })
    return {
        "resourceType": "Observation", "id": _id(), "status": "final",
        "meta": {"profile": [terminology.EXPOSURE_PROFILE]},
        "code": {"coding": [{"system": terminology.PROJECT_CODESYSTEM, "code": kind}]},
        "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": last_contact,
        "component": components,
    }


def medication_request(pid: str, atc: str, display: str, *, status: str = "draft", dose_mg: float | None = None,
                       rid: str | None = None, intent: str | None = "order") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": rid or _id(), "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{pid}"},
    }
    if intent:
        resource["intent"] = intent
    if dose_mg is not None:
        resource["dosageInstruction"] = [{
            "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d",
                                  "boundsDuration": {"value": 2, "unit": "d", "system": "http://unitsofmeasure.org",
                                                     "code": "d"}}},
            "route": {"coding": [{"system": SNOMED, "code": "26643006"}]},
            "doseAndRate": [{"doseQuantity": {"value": dose_mg, "unit": "mg", "system": "http://unitsofmeasure.org",
                                              "code": "mg"}}],
        }]
    return resource


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def full_prefetch(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Every prefetch key answered from ``resources`` (empty searchsets where nothing matches)."""
    from prevention_cds.hooks.catalog import prefetch_keys

    prefetch: dict[str, Any] = {}
    for name, key in prefetch_keys().items():
        matching = [r for r in resources if r["resourceType"] in key.resource_types]
        prefetch[name] = (matching[0] if matching else None) if key.single else searchset(matching)
    return prefetch


def hook_request(hook: str, resources: list[dict[str, Any]], pid: str = "p1", *, prefetch: bool = True,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook, "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr1", "patientId": pid},
    }
    if prefetch:
        body["prefetch"] = full_prefetch(resources)
    body.update(extra)
    return body
