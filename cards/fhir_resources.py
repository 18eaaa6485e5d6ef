"""FHIR R4 resources carried by suggestions, validated with ``fhir.resources.R4B`` before they leave."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

import fhir_profiles
from cards import products
from cards.i18n import render
from rules.advice import (
    DoseSchedule,
    ForecastDose,
    ImmunizationForecast,
    MedicationProposal,
)

UCUM = "http://unitsofmeasure.org"
MEDICATION_REQUEST_PROFILE = f"{fhir_profiles.CANONICAL_BASE}/StructureDefinition/prophylaxis-medicationrequest"
RECOMMENDATION_PROFILE = f"{fhir_profiles.CANONICAL_BASE}/StructureDefinition/vaccination-immunizationrecommendation"
FORECAST_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
LOINC = "http://loinc.org"
DATE_CRITERIA = (
    ("earliest", "30981-5", "Earliest date to give"),
    ("due", "30980-7", "Date vaccine due"),
    ("overdue", "59778-1", "Date when overdue for immunization"),
)


class InvalidResourceError(ValueError):
    """A resource the service built does not validate: a bug, never sent."""


# Constant parts (product, route, reason, target-disease, status and date-criterion codings from
# cards/data/products.json) are built and validated once; when a resource is validated they are passed as the
# validated models, which pydantic does not check again. Each resource is still validated whole, its variable
# parts (dates, doses, texts, references) every time. The constants are cached for the life of the process and
# never mutated, so their ids stay unique.
_PREVALIDATED: dict[int, CodeableConcept] = {}


def _constant(concept: dict[str, Any]) -> dict[str, Any]:
    _PREVALIDATED[id(concept)] = CodeableConcept.model_validate(concept)
    return concept


@cache
def _medicine_concept(medicine: str, language: str) -> dict[str, Any]:
    codings = products.medicine_codings(medicine)
    return _constant({"coding": codings, "text": products.medicine_text(medicine, language)})


@cache
def _route_concept(route: str) -> dict[str, Any]:
    return _constant({"coding": [products.route_coding(route)]})


@cache
def _reason_concept(reason: str) -> dict[str, Any]:
    return _constant({"coding": [products.reason_coding(reason)]})


@cache
def _target_disease_concept(diseases: tuple[str, ...]) -> dict[str, Any]:
    # R4 allows one target disease per recommendation: the first coded, all of them named in the text.
    codings = [products.target_disease_coding(d) for d in diseases]
    return _constant({"coding": codings[:1], "text": ", ".join(c["display"] for c in codings)})


@cache
def _forecast_status_concept(status: str) -> dict[str, Any]:
    return _constant({"coding": [{"system": FORECAST_STATUS_SYSTEM, "code": status}]})


@cache
def _date_criterion_concept(code: str, display: str) -> dict[str, Any]:
    return _constant({"coding": [{"system": LOINC, "code": code, "display": display}]})


def _validation_view(value: Any) -> Any:
    """The resource with its constant parts replaced by their validated models."""
    known = _PREVALIDATED.get(id(value))
    if known is not None:
        return known
    if isinstance(value, dict):
        return {key: _validation_view(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_validation_view(item) for item in value]
    return value


@dataclass(frozen=True)
class ResourceContext:
    patient_id: str
    now: datetime
    language: str
    intent: str  # "proposal" on patient-view, "order" on order-select / order-sign
    encounter_id: str | None = None
    requester: str | None = None  # context.userId when it is a Practitioner or PractitionerRole


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
        "text": render(proposal.instruction, ctx.language),
        "timing": _timing(proposal.schedule),
        "route": _route_concept(proposal.route.value),
    }
    if proposal.patient_instruction is not None:
        dosage["patientInstruction"] = render(proposal.patient_instruction, ctx.language)
    if proposal.dose_mg is not None:
        dosage["doseAndRate"] = [
            {"doseQuantity": {"value": _number(proposal.dose_mg), "unit": "mg", "system": UCUM, "code": "mg"}}
        ]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": resource_id or str(uuid.uuid4()),
        "meta": {"profile": [MEDICATION_REQUEST_PROFILE]},
        "status": "draft",
        "intent": ctx.intent,
        "medicationCodeableConcept": _medicine_concept(proposal.medicine.value, ctx.language),
        "subject": {"reference": f"Patient/{ctx.patient_id}"},
        "authoredOn": ctx.now.isoformat(),
        "dosageInstruction": [dosage],
    }
    if ctx.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{ctx.encounter_id}"}
    if ctx.requester:
        resource["requester"] = {"reference": ctx.requester}
    if proposal.reason:
        resource["reasonCode"] = [_reason_concept(proposal.reason)]
    if proposal.reason_reference:
        resource["reasonReference"] = [{"reference": proposal.reason_reference}]
    if proposal.notes:
        resource["note"] = [{"text": render(note, ctx.language)} for note in proposal.notes]
    return _validated(MedicationRequest, resource)


def _recommendation(forecast: ImmunizationForecast, dose: ForecastDose, language: str) -> dict[str, Any]:
    recommendation: dict[str, Any] = {
        "vaccineCode": [_medicine_concept(forecast.vaccine.value, language)],
        "targetDisease": _target_disease_concept(tuple(d.value for d in forecast.target_diseases)),
        "forecastStatus": _forecast_status_concept(dose.status.value),
        "doseNumberPositiveInt": dose.dose_number,
        "seriesDosesPositiveInt": dose.series_doses,
        "description": render(forecast.description, language),
    }
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
        recommendation["supportingImmunization"] = [{"reference": ref} for ref in forecast.supporting_immunizations]
    return recommendation


def immunization_recommendation(forecast: ImmunizationForecast, ctx: ResourceContext) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ImmunizationRecommendation",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [RECOMMENDATION_PROFILE]},
        "patient": {"reference": f"Patient/{ctx.patient_id}"},
        "date": ctx.now.isoformat(),
        "authority": {"display": products.authority_display()},
        "recommendation": [_recommendation(forecast, dose, ctx.language) for dose in forecast.doses],
    }
    return _validated(ImmunizationRecommendation, resource)


def _validated(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
    try:
        model.model_validate(_validation_view(resource))
    except ValidationError as exc:
        raise InvalidResourceError(f"{resource['resourceType']} does not validate: {exc}") from exc
    return resource
