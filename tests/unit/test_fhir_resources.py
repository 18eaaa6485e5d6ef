"""The builders of emitted resources: plain JSON, valid R4B conforming to the project's profiles with every optional
part filled, nothing shared between two resources; and the suite-wide check of tests/support/emitted.py."""

from __future__ import annotations

import inspect
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import prevention_cds.fhir_out.fhir_resources as builders
from prevention_cds.fhir_out import render
from prevention_cds.rules.advice import (
    DoseSchedule,
    ForecastDose,
    ForecastStatus,
    ImmunizationForecast,
    MedicationProposal,
    Medicine,
    Message,
    Route,
    TargetDisease,
)
from support.emitted import BUILDERS, resource_problems

NOW = datetime.fromisoformat("2026-11-21T10:30:00+01:00")


def _proposal(dose: str = "250") -> MedicationProposal:
    return MedicationProposal(
        medicine=Medicine.CEFTRIAXONE_INJECTION,
        route=Route.INTRAMUSCULAR,
        schedule=DoseSchedule.single_dose(),
        instruction=Message.of("iim.instruction.ceftriaxone", dose_mg=dose),
        dose_mg=Decimal(dose),
        reason="meningococcal-prophylaxis",
        reason_reference="Observation/exposure-1",
        patient_instruction=Message.of("iim.instruction.ceftriaxone", dose_mg=dose),
        notes=(Message.of("iim.note.ceftriaxone-child-lidocaine"),),
    )


def _forecast() -> ImmunizationForecast:
    return ImmunizationForecast(
        vaccine=Medicine.MMR_VACCINE,
        target_diseases=(TargetDisease.MEASLES, TargetDisease.MUMPS, TargetDisease.RUBELLA),
        doses=(ForecastDose(2, 2, ForecastStatus.OVERDUE, earliest=date(2020, 8, 30), due=date(2026, 11, 21),
                            overdue=date(2017, 3, 22), reason=Message.of("mmr.forecast.reason.overdue"),
                            latest=date(2026, 12, 31)),),
        description=Message.of("mmr.forecast.description", counted=1, target=2),
        supporting_immunizations=("Immunization/i1",),
    )


def _context(patient_id: str = "p1") -> builders.ResourceContext:
    return builders.ResourceContext(patient_id, NOW, "fr", "order", encounter_id="e1", requester="Practitioner/d1")


def _every_part_filled() -> list[dict[str, Any]]:
    return [builders.medication_request(_proposal(), _context(), resource_id="draft-1"),
            builders.immunization_recommendation(_forecast(), _context())]


def test_resources_with_every_optional_part_are_valid() -> None:
    request, recommendation = _every_part_filled()
    assert resource_problems(request) == [] and resource_problems(recommendation) == []
    assert {"encounter", "requester", "reasonCode", "reasonReference", "note"} <= request.keys()
    assert {"patientInstruction", "doseAndRate"} <= request["dosageInstruction"][0].keys()
    assert {"dateCriterion", "forecastReason", "supportingImmunization"} <= recommendation["recommendation"][0].keys()
    criteria = {c["code"]["coding"][0]["code"]: c["value"] for c in recommendation["recommendation"][0]["dateCriterion"]}
    assert criteria == {"30981-5": "2020-08-30", "30980-7": "2026-11-21", "59778-1": "2017-03-22", "59777-3": "2026-12-31"}


def test_resources_are_plain_json() -> None:
    for resource in _every_part_filled():
        assert json.loads(json.dumps(resource)) == resource
    assert builders.medication_request(_proposal(), _context())["dosageInstruction"][0]["doseAndRate"][0][
        "doseQuantity"]["value"] == 250  # a whole dose is written as an integer


def _objects(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for item in value.values() for i in _objects(item))]
    if isinstance(value, list):
        return [id(value), *(i for item in value for i in _objects(item))]
    return []


def test_two_resources_share_no_object() -> None:
    """A caller may change the resource it got (a new feature, a test) without changing the next one."""
    first, second = _every_part_filled(), _every_part_filled()
    assert not set(_objects(first)) & set(_objects(second))


def test_an_invalid_resource_is_reported() -> None:
    request = builders.medication_request(_proposal(), _context())
    request["id"] = "not an id!"
    assert any("MedicationRequest invalid" in p for p in resource_problems(request))
    del request["subject"]
    assert any("MedicationRequest.subject" in p for p in resource_problems(request))


def test_the_suite_checks_every_builder_wherever_it_is_called_from() -> None:
    """tests/conftest.py wraps the builders that return a resource: in their module and where they are imported."""
    returning_resources = {
        name for name, function in inspect.getmembers(builders, inspect.isfunction)
        if function.__module__ == builders.__name__ and not name.startswith("_")
        and inspect.signature(function).return_annotation in ("dict[str, Any]", dict[str, Any])
    }
    watched = BUILDERS[builders.__name__]
    assert returning_resources == set(watched)
    for name in watched:
        assert hasattr(getattr(builders, name), "__wrapped__"), name
    for name in watched:
        assert hasattr(vars(render)[name], "__wrapped__"), name


def test_the_target_diseases_are_named_in_the_answers_language() -> None:
    french = builders.immunization_recommendation(_forecast(), _context())["recommendation"][0]["targetDisease"]
    english_context = builders.ResourceContext("p1", NOW, "en", "order")
    english = builders.immunization_recommendation(_forecast(), english_context)["recommendation"][0]["targetDisease"]
    assert (french["text"], english["text"]) == ("Rougeole, oreillons, rubéole", "Measles, mumps, rubella")
    assert french["coding"] == english["coding"] and len(french["coding"]) == 1  # R4: one coded target disease
