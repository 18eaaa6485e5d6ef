"""FHIR R4 resources carried by suggestions, validated with ``fhir.resources.R4B`` before they leave."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation
from fhir.resources.R4B.medicationrequest import MedicationRequest

from prevention_cds import terminology
from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.i18n import render
from prevention_cds.fhir_out.resource_validation import Varying, constant_concept, validated
from prevention_cds.rules.advice import (
    DoseSchedule,
    ForecastDose,
    ImmunizationForecast,
    MedicationProposal,
)

UCUM = "http://unitsofmeasure.org"
MEDICATION_REQUEST_PROFILE = f"{terminology.CANONICAL_BASE}/StructureDefinition/prophylaxis-medicationrequest"
RECOMMENDATION_PROFILE = f"{terminology.CANONICAL_BASE}/StructureDefinition/vaccination-immunizationrecommendation"
FORECAST_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
LOINC = "http://loinc.org"
DATE_CRITERIA = (
    ("earliest", "30981-5", "Earliest date to give"),
    ("due", "30980-7", "Date vaccine due"),
    ("overdue", "59778-1", "Date when overdue for immunization"),
)


@cache
def _medicine_concept(medicine: str, language: str) -> dict[str, Any]:
    codings = products.medicine_codings(medicine)
    return constant_concept({"coding": codings, "text": products.medicine_text(medicine, language)})


@cache
def _route_concept(route: str) -> dict[str, Any]:
    return constant_concept({"coding": [products.route_coding(route)]})


@cache
def _reason_concept(reason: str) -> dict[str, Any]:
    return constant_concept({"coding": [products.reason_coding(reason)]})


@cache
def _target_disease_concept(diseases: tuple[str, ...]) -> dict[str, Any]:
    # R4 allows one target disease per recommendation: the first coded, all of them named in the text.
    codings = [products.target_disease_coding(d) for d in diseases]
    return constant_concept({"coding": codings[:1], "text": ", ".join(c["display"] for c in codings)})


@cache
def _forecast_status_concept(status: str) -> dict[str, Any]:
    return constant_concept({"coding": [{"system": FORECAST_STATUS_SYSTEM, "code": status}]})


@cache
def _date_criterion_concept(code: str, display: str) -> dict[str, Any]:
    return constant_concept({"coding": [{"system": LOINC, "code": code, "display": display}]})


@dataclass(frozen=True)
class ResourceContext:
    patient_id: str
    now: datetime
    language: str
    intent: str  # "proposal" on patient-view, "order" on order-select / order-sign
    encounter_id: str | None = None
    requester: str | None = None  # context.userId when it is a Practitioner or PractitionerRole


def _reference(reference: str) -> dict[str, Any]:
    return {"reference": Varying(reference, "string")}


def _number(value: Decimal) -> int | float:
    """JSON number for a Decimal: an integer when whole, so 600 mg is written 600, not 600.0."""
    return int(value) if value == value.to_integral_value() else float(value)


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
    dosage: dict[str, Any] = {
        "text": Varying(render(proposal.instruction, ctx.language), "string"),
        "timing": _timing(proposal.schedule),
        "route": _route_concept(proposal.route.value),
    }
    if proposal.patient_instruction is not None:
        dosage["patientInstruction"] = Varying(render(proposal.patient_instruction, ctx.language), "string")
    if proposal.dose_mg is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": {"value": Varying(_number(proposal.dose_mg), "decimal"), "unit": "mg", "system": UCUM,
                              "code": "mg"}}
        ]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": Varying(resource_id or str(uuid.uuid4()), "id"),
        "meta": {"profile": [MEDICATION_REQUEST_PROFILE]},
        "status": "draft",
        "intent": ctx.intent,
        "medicationCodeableConcept": _medicine_concept(proposal.medicine.value, ctx.language),
        "subject": _reference(f"Patient/{ctx.patient_id}"),
        "authoredOn": Varying(ctx.now.isoformat(), "dateTime"),
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
    if proposal.notes:
        resource["note"] = [{"text": Varying(render(note, ctx.language), "markdown")} for note in proposal.notes]
    return validated(MedicationRequest, resource)


def _recommendation(forecast: ImmunizationForecast, dose: ForecastDose, language: str) -> dict[str, Any]:
    recommendation: dict[str, Any] = {
        "vaccineCode": [_medicine_concept(forecast.vaccine.value, language)],
        "targetDisease": _target_disease_concept(tuple(d.value for d in forecast.target_diseases)),
        "forecastStatus": _forecast_status_concept(dose.status.value),
        "doseNumberPositiveInt": dose.dose_number,
        "seriesDosesPositiveInt": dose.series_doses,
        "description": Varying(render(forecast.description, language), "string"),
    }
    criteria = [
        {"code": _date_criterion_concept(code, display), "value": Varying(value.isoformat(), "dateTime")}
        for attribute, code, display in DATE_CRITERIA
        if (value := getattr(dose, attribute)) is not None
    ]
    if criteria:
        recommendation["dateCriterion"] = criteria
    if dose.reason is not None:
        recommendation["forecastReason"] = [{"text": Varying(render(dose.reason, language), "string")}]
    if forecast.supporting_immunizations:
        recommendation["supportingImmunization"] = [_reference(ref) for ref in forecast.supporting_immunizations]
    return recommendation


def immunization_recommendation(forecast: ImmunizationForecast, ctx: ResourceContext) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ImmunizationRecommendation",
        "id": Varying(str(uuid.uuid4()), "id"),
        "meta": {"profile": [RECOMMENDATION_PROFILE]},
        "patient": _reference(f"Patient/{ctx.patient_id}"),
        "date": Varying(ctx.now.isoformat(), "dateTime"),
        "authority": {"display": products.authority_display()},
        "recommendation": [_recommendation(forecast, dose, ctx.language) for dose in forecast.doses],
    }
    return validated(ImmunizationRecommendation, resource)
