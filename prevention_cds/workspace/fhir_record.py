"""A contact of an investigation as the FHIR resources the CDS Hooks services read: Patient, the exposure
Observation of the project's profile (the case's facts in its components), weight, pregnancy status, occupation,
the Conditions the team knows of (immunodeficiency, porphyria, severe liver disease, history of measles),
AllergyIntolerance, MedicationStatement and the MMR Immunizations. ``fhir_in.record.build_record`` reads them, as
it reads an EHR's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from prevention_cds import terminology
from prevention_cds.adapters.workspace_db import Contact, ContactGroup, Investigation
from prevention_cds.settings import PRACTICE_TIMEZONE
from prevention_cds.terminology import ProjectCode
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.contacts import IMMUNODEFICIENCY, NATURE_KEY

UCUM = "http://unitsofmeasure.org"
SOCIAL_HISTORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "social-history", "display": "Social History"}]}
CONDITION_ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                "code": "active"}]}
CONDITION_CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                   "code": "confirmed"}]}
# the team did not say how severe an allergy is: neither mild nor severe, the rules ask to check
ALLERGY_SEVERITY_UNSTATED = "unable-to-assess"
CONTACT_KIND = {"iim": (ProjectCode.IIM_CONTACT, "Contact of an invasive meningococcal infection"),
                "measles": (ProjectCode.MEASLES_CONTACT, "Contact of a measles case")}


@dataclass(frozen=True)
class Exposure:
    """Where and when the contact was last exposed: the contact's own, else its group's."""

    setting: str | None
    last_contact: datetime | None
    has_time: bool


def exposure_of(contact: Contact, group: ContactGroup | None) -> Exposure:
    if contact.setting and contact.last_contact:
        return Exposure(contact.setting, datetime.fromisoformat(contact.last_contact), contact.has_time)
    setting = contact.setting or (group.setting if group else None)
    if contact.last_contact:
        return Exposure(setting, datetime.fromisoformat(contact.last_contact), contact.has_time)
    if group is not None:
        return Exposure(setting, datetime.fromisoformat(group.last_contact), group.has_time)
    return Exposure(setting, None, False)


def patient_id(contact: Contact) -> str:
    return f"contact-{contact.id}"


def entered_on(contact: Contact) -> date:
    return datetime.fromisoformat(contact.created_at).astimezone(PRACTICE_TIMEZONE).date()


def _concept(coding: dict[str, str], text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def _project(code: str, display: str) -> dict[str, Any]:
    return _concept({"system": terminology.PROJECT_CODESYSTEM, "code": code, "display": display})


def _when(moment: datetime, has_time: bool) -> str:
    return moment.isoformat(timespec="seconds") if has_time else moment.date().isoformat()


def _components(investigation: Investigation, setting: str | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if setting:
        parts.append({"code": _project(ProjectCode.CONTACT_SETTING, "Contact setting"),
                      "valueCodeableConcept": _concept({"system": terminology.CONTACT_SETTING_CODESYSTEM,
                                                        "code": setting,
                                                        "display": vocabulary.setting_label(setting, "en")})})
    if investigation.disease == "iim":
        if investigation.serogroup and investigation.serogroup != "unknown":
            parts.append({"code": _project(ProjectCode.SEROGROUP, "Serogroup of the index case"),
                          "valueCodeableConcept": _concept({"system": terminology.SEROGROUP_CODESYSTEM,
                                                            "code": investigation.serogroup,
                                                            "display": f"Serogroup {investigation.serogroup}"})})
        if investigation.first_antibiotic_at:
            parts.append({"code": _project(ProjectCode.CASE_FIRST_EFFECTIVE_ANTIBIOTIC,
                                           "Index case's first dose of an effective antibiotic"),
                          "valueDateTime": investigation.first_antibiotic_at})
    parts.append({"code": _project(ProjectCode.CASE_CONFIRMED, "Index case confirmed"),
                  "valueBoolean": bool(investigation.confirmed)})
    return parts


def contact_resources(
    contact: Contact, group: ContactGroup | None, investigation: Investigation
) -> list[dict[str, Any]]:
    pid = patient_id(contact)
    subject = {"reference": f"Patient/{pid}"}
    patient: dict[str, Any] = {
        "resourceType": "Patient", "id": pid,
        "name": [{"family": contact.last_name, "given": [contact.first_name]}],
        "gender": contact.sex,
    }
    if contact.birth_date:
        patient["birthDate"] = contact.birth_date
    if contact.phone:
        patient["telecom"] = [{"system": "phone", "value": contact.phone}]
    resources: list[dict[str, Any]] = [patient]

    exposure = exposure_of(contact, group)
    code, display = CONTACT_KIND[investigation.disease]
    observation: dict[str, Any] = {
        "resourceType": "Observation", "id": f"{pid}-exposure",
        "meta": {"profile": [terminology.EXPOSURE_PROFILE]},
        "status": "final", "category": [SOCIAL_HISTORY],
        "code": {**_project(code, display), "text": display},
        "subject": subject,
        "component": _components(investigation, exposure.setting),
    }
    if investigation.case_condition_ref:
        observation["focus"] = [{"reference": investigation.case_condition_ref}]
    if exposure.last_contact is not None:
        observation["effectiveDateTime"] = _when(exposure.last_contact, exposure.has_time)
    resources.append(observation)

    if contact.weight_kg:
        weighed = contact.weighed_on or entered_on(contact).isoformat()
        value = Decimal(contact.weight_kg)
        resources.append({
            "resourceType": "Observation", "id": f"{pid}-weight", "status": "final",
            "code": _concept(vocabulary.observation_coding("weight")), "subject": subject,
            "effectiveDateTime": weighed,
            # 82, not 82.0: the card quotes the weight as entered
            "valueQuantity": {"value": int(value) if value == value.to_integral_value() else float(value),
                              "unit": "kg", "system": UCUM, "code": "kg"},
        })
    if contact.pregnancy in ("yes", "no"):
        answer = vocabulary.observation_coding("pregnant" if contact.pregnancy == "yes" else "not-pregnant")
        resources.append({
            "resourceType": "Observation", "id": f"{pid}-pregnancy", "status": "final",
            "code": _concept(vocabulary.observation_coding("pregnancy-status")), "subject": subject,
            "effectiveDateTime": entered_on(contact).isoformat(), "valueCodeableConcept": _concept(answer),
        })
    occupation = vocabulary.occupation_coding(contact.occupation)
    if occupation is not None:
        resources.append({
            "resourceType": "Observation", "id": f"{pid}-occupation", "status": "final",
            "code": _concept(vocabulary.observation_coding("occupation")), "subject": subject,
            "effectivePeriod": {"start": entered_on(contact).isoformat()}, "valueCodeableConcept": _concept(occupation),
        })
    resources.extend(_conditions(contact, pid, subject))
    for number, written in enumerate(json.loads(contact.allergies)):
        term = vocabulary.allergy_term(written)
        resources.append({
            "resourceType": "AllergyIntolerance", "id": f"{pid}-allergy-{number}", "patient": subject,
            "code": _concept(term.coding, written) if term.coding else {"text": written},
            "criticality": ALLERGY_SEVERITY_UNSTATED,
        })
    for number, written in enumerate(json.loads(contact.treatments)):
        term = vocabulary.treatment_term(written)
        resources.append({
            "resourceType": "MedicationStatement", "id": f"{pid}-treatment-{number}", "status": "active",
            "subject": subject,
            "medicationCodeableConcept": _concept(term.coding, written) if term.coding else {"text": written},
        })
    doses = json.loads(contact.mmr_doses)
    mmr = _concept(vocabulary.observation_coding("mmr-vaccine"), "ROR")
    for number, given in enumerate(doses.get("dates", ())):
        resources.append({"resourceType": "Immunization", "id": f"{pid}-mmr-{number}", "status": "completed",
                          "patient": subject, "vaccineCode": mmr, "occurrenceDateTime": given})
    for number in range(doses.get("count", 0)):
        # documented without a date: kept, but the rules cannot count a dose they cannot date
        resources.append({"resourceType": "Immunization", "id": f"{pid}-mmr-undated-{number}", "status": "completed",
                          "patient": subject, "vaccineCode": mmr, "occurrenceString": "date inconnue"})
    return resources


def _conditions(contact: Contact, pid: str, subject: dict[str, str]) -> list[dict[str, Any]]:
    """A Condition for each condition the team answered "yes" to; the immunodeficiency's nature is its text."""
    stated = json.loads(contact.conditions or "{}")
    resources: list[dict[str, Any]] = []
    for name in vocabulary.condition_columns().values():
        if stated.get(name) != "yes":
            continue
        text = vocabulary.condition_label(name)
        if name == IMMUNODEFICIENCY and stated.get(NATURE_KEY):
            text = f"{text} : {stated[NATURE_KEY]}"
        resources.append({
            "resourceType": "Condition", "id": f"{pid}-condition-{name}", "subject": subject,
            "clinicalStatus": CONDITION_ACTIVE, "verificationStatus": CONDITION_CONFIRMED,
            "code": _concept(vocabulary.condition_coding(name), text),
            "recordedDate": entered_on(contact).isoformat(),
        })
    return resources
