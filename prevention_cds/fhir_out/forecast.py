"""The answer of ``$immds-forecast`` (HL7 Immunization Decision Support Forecast IG), as the IG's Parameters: one
``evaluation`` (ImmunizationEvaluation) per dose of the record, the ``recommendation`` (ImmunizationRecommendation,
dated the assessment date, one entry per dose still owed, or where the series stands) and, the project's addition
as in SDC ``$extract``, ``issues``: an OperationOutcome of what the forecast could not compute or use.

A recommendation that cannot be computed (no readable birth date) says so in its forecast status and reason, as
text: no code of the recommendation status ValueSet says "not computed", so it does not claim the project's
recommendation profile, whose binding is required.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from prevention_cds.fhir_out import products
from prevention_cds.fhir_out.fhir_resources import ResourceContext, immunization_recommendation
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import DoseEvaluation, Message, VaccinationForecast
from prevention_cds.settings import PRACTICE_TIMEZONE
from prevention_cds.terminology import CANONICAL_BASE

EVALUATION_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/vaccination-immunizationevaluation"
EVALUATION, RECOMMENDATION, ISSUES = "evaluation", "recommendation", "issues"  # the answer's parameters


def forecast_parameters(forecast: VaccinationForecast, patient_id: str, language: str) -> dict[str, Any]:
    """The Parameters answering a forecast request for ``Patient/<patient_id>``."""
    parameters: list[dict[str, Any]] = [
        {"name": EVALUATION, "resource": immunization_evaluation(forecast, evaluation, patient_id, language)}
        for evaluation in forecast.evaluations
    ]
    if forecast.recommendation is not None:
        ctx = ResourceContext(patient_id, _start_of(forecast), language, intent="proposal")
        recommendation = immunization_recommendation(forecast.recommendation, ctx, forecast.assessed_on)
    else:
        recommendation = uncomputed_recommendation(forecast, patient_id, language)
    parameters.append({"name": RECOMMENDATION, "resource": recommendation})
    issues = _issues(forecast, language)
    if issues:
        parameters.append({"name": ISSUES, "resource": {"resourceType": "OperationOutcome", "issue": issues}})
    return {"resourceType": "Parameters", "parameter": parameters}


def _start_of(forecast: VaccinationForecast) -> datetime:
    return datetime.combine(forecast.assessed_on, time(), tzinfo=PRACTICE_TIMEZONE)


def immunization_evaluation(
    forecast: VaccinationForecast, evaluation: DoseEvaluation, patient_id: str, language: str
) -> dict[str, Any]:
    """The ImmunizationEvaluation of one dose of the record: valid with its dose number, or not valid with every
    reason (a code where the IG has one, always the text)."""
    dose = render(evaluation.dose, language)
    resource: dict[str, Any] = {
        "resourceType": "ImmunizationEvaluation",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [EVALUATION_PROFILE]},
        "status": "completed",
        "patient": {"reference": f"Patient/{patient_id}"},
        "date": forecast.assessed_on.isoformat(),
        "authority": {"display": products.authority_display()},
        "targetDisease": products.target_disease_concept(tuple(d.value for d in forecast.target_diseases), language),
        # a dose the record gives no id cannot be referred to: it is named
        "immunizationEvent": {"reference": evaluation.immunization} if evaluation.immunization else {"display": dose},
        "doseStatus": {
            "coding": [products.dose_status_coding(evaluation.valid)],
            "text": render(Message.of("forecast.dose-status.valid" if evaluation.valid
                                     else "forecast.dose-status.not-valid"), language),
        },
        "series": render(forecast.series, language),
    }
    reasons = []
    for reason in evaluation.reasons:
        coding = products.dose_status_reason_coding(reason.kind.value)
        reasons.append({**({"coding": [coding]} if coding else {}), "text": render(reason.text, language)})
    if reasons:
        resource["doseStatusReason"] = reasons
    if evaluation.valid and evaluation.dose_number is not None:
        resource["doseNumberPositiveInt"] = evaluation.dose_number
        key = "forecast.evaluation.valid" if evaluation.series_doses else "forecast.evaluation.valid-no-series"
        description = Message.of(key, number=evaluation.dose_number, series=evaluation.series_doses or 0, dose=dose)
    else:
        description = Message.of("forecast.evaluation.not-valid", dose=dose,
                                 reasons=tuple(reason.text for reason in evaluation.reasons))
    if evaluation.series_doses:
        resource["seriesDosesPositiveInt"] = evaluation.series_doses
    resource["description"] = render(description, language)
    return resource


def uncomputed_recommendation(forecast: VaccinationForecast, patient_id: str, language: str) -> dict[str, Any]:
    """The recommendation when no forecast can be computed: the vaccine and its diseases, and why."""
    recommendation: dict[str, Any] = {
        "vaccineCode": [products.medicine_concept(forecast.vaccine.value, language)],
        "targetDisease": products.target_disease_concept(tuple(d.value for d in forecast.target_diseases), language),
        "forecastStatus": {"text": render(Message.of("forecast.not-computed"), language)},
        "description": render(forecast.series, language),
    }
    if forecast.not_computed is not None:
        recommendation["forecastReason"] = [{"text": render(forecast.not_computed, language)}]
    return {
        "resourceType": "ImmunizationRecommendation",
        "id": str(uuid.uuid4()),
        "patient": {"reference": f"Patient/{patient_id}"},
        "date": forecast.assessed_on.isoformat(),
        "authority": {"display": products.authority_display()},
        "recommendation": [recommendation],
    }


def _issues(forecast: VaccinationForecast, language: str) -> list[dict[str, Any]]:
    """Why no forecast was computed (an error), what of the record could not be used (warnings), and what the
    forecast does not carry (information)."""
    found = [("error", "incomplete", forecast.not_computed)] if forecast.not_computed is not None else []
    found += [("warning", "incomplete", note) for note in forecast.record_notes]
    found += [("information", "informational", notice) for notice in forecast.notices]
    return [{"severity": severity, "code": code, "diagnostics": render(message, language)}
            for severity, code, message in found]
