"""FHIR R4 resources carried by suggestions, built as plain JSON.

Each call builds new dicts and lists (nothing is shared between two resources, so a caller may change one).
They are not validated at run time: the tests validate every resource the suite emits against ``fhir.resources``
R4B and the project's profiles (tests/support/emitted.py, enabled in tests/conftest.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from prevention_cds import terminology
from prevention_cds.errors import InvalidRequest
from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import (
    Dispense,
    DispenseUnit,
    DoseSchedule,
    ForecastDose,
    ImmunizationForecast,
    MedicationProposal,
    Message,
)
from prevention_cds.terminology.index import FORECAST_STATUS_SYSTEM, LOINC, UCUM

MEDICATION_REQUEST_PROFILE = f"{terminology.CANONICAL_BASE}/StructureDefinition/prophylaxis-medicationrequest"
RECOMMENDATION_PROFILE = f"{terminology.CANONICAL_BASE}/StructureDefinition/vaccination-immunizationrecommendation"
DATE_CRITERIA = (
    ("earliest", "30981-5", "Earliest date to give"),
    ("due", "30980-7", "Date vaccine due"),
    ("overdue", "59778-1", "Date when overdue for immunization"),
    ("latest", "59777-3", "Latest date to give immunization"),
)


def _route_concept(route: str) -> dict[str, Any]:
    return {"coding": [products.route_coding(route)]}


def _reason_concept(reason: str) -> dict[str, Any]:
    return {"coding": [products.reason_coding(reason)]}


def _forecast_status_concept(status: str) -> dict[str, Any]:
    return {"coding": [{"system": FORECAST_STATUS_SYSTEM, "code": status}]}


def _date_criterion_concept(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display}]}


@dataclass(frozen=True)
class ResourceContext:
    patient_id: str
    now: datetime
    language: str
    intent: str  # "proposal" on patient-view, "order" on order-select / order-sign
    encounter_id: str | None = None
    requester: str | None = None  # context.userId when it is a Practitioner or PractitionerRole


# A FHIR id as fhir.resources R4B reads it (the specification says at most 64 characters; the models allow 255)
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,255}")


def _draft_order_id(resource_id: str) -> str:
    """The id of the client's draft order that a suggestion replaces: written as it is, so it must be a FHIR id."""
    if not FHIR_ID.fullmatch(resource_id):
        raise InvalidRequest("context.draftOrders: an order to replace has an id that is not a FHIR id "
                             "(letters, digits, '-' and '.')")
    return resource_id


def _reference(reference: str) -> dict[str, Any]:
    return {"reference": reference}


def _number(value: Decimal) -> int | float:
    """JSON number for a Decimal: an integer when whole, so 600 mg is written 600, not 600.0."""
    return int(value) if value == value.to_integral_value() else float(value)


_DISPENSE_UNITS = {
    DispenseUnit.CAPSULE: "dispense.unit.capsule",
    DispenseUnit.TABLET: "dispense.unit.tablet",
    DispenseUnit.BOTTLE: "dispense.unit.bottle",
    DispenseUnit.VIAL: "dispense.unit.vial",
}


def _dispense_request(dispense: Dispense, language: str) -> tuple[dict[str, Any], str]:
    """``dispenseRequest`` with the quantity of the whole course (a UCUM annotation unit), and the note saying it."""
    unit = render(Message.of(_DISPENSE_UNITS[dispense.unit], quantity=dispense.quantity), language)
    quantity = {"value": dispense.quantity, "unit": unit, "system": UCUM, "code": "{" + dispense.unit.value + "}"}
    note = render(Message.of("dispense.note", quantity=dispense.quantity, unit=unit), language)
    return {"quantity": quantity}, note


def _timing(schedule: DoseSchedule) -> dict[str, Any]:
    repeat: dict[str, Any] = {}
    if schedule.count is not None:
        repeat["count"] = schedule.count
    if schedule.frequency is not None:
        repeat["frequency"] = schedule.frequency
    if schedule.period is not None:
        repeat["period"] = _number(schedule.period)
    if schedule.period_unit is not None:
        repeat["periodUnit"] = schedule.period_unit
    if schedule.duration_days is not None:
        repeat["boundsDuration"] = {"value": schedule.duration_days, "unit": "d", "system": UCUM, "code": "d"}
    return {"repeat": repeat}


def medication_request(
    proposal: MedicationProposal, ctx: ResourceContext, resource_id: str | None = None
) -> dict[str, Any]:
    """A MedicationRequest for ``proposal``; ``resource_id``: that of the draft order it replaces (else a new one).
    Raises InvalidRequest when that id is not a FHIR id."""
    dosage: dict[str, Any] = {
        "text": render(proposal.instruction, ctx.language),
        "timing": _timing(proposal.schedule),
        "route": _route_concept(proposal.route.value),
    }
    if proposal.patient_instruction is not None:
        dosage["patientInstruction"] = render(proposal.patient_instruction, ctx.language)
    if proposal.dose_mg is not None:
        dose = {"value": _number(proposal.dose_mg), "unit": "mg", "system": UCUM, "code": "mg"}
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": _draft_order_id(resource_id) if resource_id else str(uuid.uuid4()),
        "meta": {"profile": [MEDICATION_REQUEST_PROFILE]},
        "status": "draft",
        "intent": ctx.intent,
        "medicationCodeableConcept": products.medicine_concept(proposal.medicine.value, ctx.language),
        "subject": _reference(f"Patient/{ctx.patient_id}"),
        "authoredOn": ctx.now.isoformat(),
        "dosageInstruction": [dosage],
    }
    if ctx.encounter_id:
        resource["encounter"] = _reference(f"Encounter/{ctx.encounter_id}")
    if ctx.requester:
        resource["requester"] = _reference(ctx.requester)
    if proposal.reason:
        resource["reasonCode"] = [_reason_concept(proposal.reason)]
    if proposal.reason_reference:
        resource["reasonReference"] = [_reference(proposal.reason_reference)]
    notes = [render(note, ctx.language) for note in proposal.notes]
    dispense: dict[str, Any] = {}
    if proposal.dispense is not None:
        dispense, dispense_note = _dispense_request(proposal.dispense, ctx.language)
        notes.append(dispense_note)
    if proposal.not_before is not None:  # a dose that would not count before then: not dispensed before either
        dispense["validityPeriod"] = {"start": proposal.not_before.isoformat()}
    if dispense:
        resource["dispenseRequest"] = dispense
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _recommendation(forecast: ImmunizationForecast, dose: ForecastDose, language: str) -> dict[str, Any]:
    recommendation: dict[str, Any] = {
        "vaccineCode": [products.medicine_concept(forecast.vaccine.value, language)],
        "targetDisease": products.target_disease_concept(tuple(d.value for d in forecast.target_diseases), language),
        "forecastStatus": _forecast_status_concept(dose.status.value),
        "description": render(forecast.description, language),
    }
    if dose.dose_number is not None:
        recommendation["doseNumberPositiveInt"] = dose.dose_number
    if dose.series_doses is not None:
        recommendation["seriesDosesPositiveInt"] = dose.series_doses
    criteria = [
        {"code": _date_criterion_concept(code, display), "value": value.isoformat()}
        for attribute, code, display in DATE_CRITERIA
        if (value := getattr(dose, attribute)) is not None
    ]
    if criteria:
        recommendation["dateCriterion"] = criteria
    if dose.reason is not None:
        recommendation["forecastReason"] = [{"text": render(dose.reason, language)}]
    if forecast.supporting_immunizations:
        recommendation["supportingImmunization"] = [_reference(ref) for ref in forecast.supporting_immunizations]
    return recommendation


def immunization_recommendation(
    forecast: ImmunizationForecast, ctx: ResourceContext, on: date | None = None
) -> dict[str, Any]:
    """The recommendation of ``forecast``, dated ``on`` (a forecast's assessment date), else ``ctx.now``."""
    resource: dict[str, Any] = {
        "resourceType": "ImmunizationRecommendation",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [RECOMMENDATION_PROFILE]},
        "patient": _reference(f"Patient/{ctx.patient_id}"),
        "date": (on or ctx.now).isoformat(),
        "authority": {"display": products.authority_display()},
        "recommendation": [_recommendation(forecast, dose, ctx.language) for dose in forecast.doses],
    }
    return resource
