"""Emitted resources: one whole fhir.resources validation per skeleton, then each varying value by its type."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

import prevention_cds.fhir_out.fhir_resources as builders
from prevention_cds.fhir_out.resource_validation import PRIMITIVE_TYPES, InvalidResourceError, Varying, validated
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
                            overdue=date(2017, 3, 22), reason=Message.of("mmr.forecast.reason.overdue")),),
        description=Message.of("mmr.forecast.description", counted=1, target=2),
        supporting_immunizations=("Immunization/i1",),
    )


def _context(patient_id: str = "p1") -> builders.ResourceContext:
    return builders.ResourceContext(patient_id, NOW, "fr", "order", encounter_id="e1", requester="Practitioner/d1")


def _built_with_markers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Both builders with every optional part filled, captured before validation (the Varying values still in)."""
    seen: list[tuple[Any, dict[str, Any]]] = []
    real = builders.validated

    def capture(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
        seen.append((model, resource))
        return real(model, resource)

    monkeypatch.setattr(builders, "validated", capture)
    builders.medication_request(_proposal(), _context(), resource_id="draft-1")
    builders.immunization_recommendation(_forecast(), _context())
    return seen


def _unwrap(annotation: Any) -> Any:
    """Optional[X] and List[X] → X."""
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def _field(model: Any, name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return _unwrap(info.annotation)
    raise AssertionError(f"{model.__name__} has no element {name}")


def _varying_with_field_types(model: Any, value: Any, path: str = "") -> list[tuple[str, str, Any]]:
    """(path, declared FHIR type, the model's annotation for that element) of every Varying value."""
    found: list[tuple[str, str, Any]] = []
    for name, item in value.items():
        if name == "resourceType":
            continue
        element = _field(model, name)
        for entry in item if isinstance(item, list) else [item]:
            if isinstance(entry, Varying):
                found.append((f"{path}{name}", entry.fhir_type, element))
            elif isinstance(entry, dict):
                found += _varying_with_field_types(element.get_model_klass(), entry, f"{path}{name}.")
    return found


def _metadata_class(annotated: Any) -> type:
    return type(typing.get_args(annotated)[1])


def test_each_varying_value_is_declared_with_the_type_of_its_element(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = set()
    for model, resource in _built_with_markers(monkeypatch):
        for path, declared, element in _varying_with_field_types(model, resource):
            assert _metadata_class(PRIMITIVE_TYPES[declared]) is _metadata_class(element), (model.__name__, path)
            checked.add(f"{model.__name__}.{path}")
    # every kind of varying value the builders write was looked at
    assert {"MedicationRequest.id", "MedicationRequest.authoredOn", "MedicationRequest.subject.reference",
            "MedicationRequest.dosageInstruction.doseAndRate.doseQuantity.value", "MedicationRequest.note.text",
            "ImmunizationRecommendation.recommendation.dateCriterion.value",
            "ImmunizationRecommendation.recommendation.supportingImmunization.reference"} <= checked


def test_patient_data_never_enters_a_skeleton(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two patients, other ids, dates, references and doses: the same skeletons."""
    from prevention_cds.fhir_out import resource_validation

    monkeypatch.setattr(resource_validation, "_VALID_SKELETONS", {})
    builders.medication_request(_proposal("250"), _context("p1"), resource_id="draft-1")
    builders.immunization_recommendation(_forecast(), _context("p1"))
    assert len(resource_validation._VALID_SKELETONS) == 2
    builders.medication_request(_proposal("1000"), _context("another-patient"), resource_id="draft-2")
    builders.immunization_recommendation(_forecast(), _context("another-patient"))
    assert len(resource_validation._VALID_SKELETONS) == 2
    for skeleton in resource_validation._VALID_SKELETONS:
        text = repr(skeleton)
        assert "p1" not in text and "another-patient" not in text and "draft-" not in text and "2026" not in text


def _request(resource_id: Any = "ok-id", authored: Any = "2026-11-21T10:30:00+01:00",
             reference: Any = "Patient/p1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": Varying(resource_id, "id"),
        "status": "draft",
        "intent": "proposal",
        "subject": {"reference": Varying(reference, "string")},
        "authoredOn": Varying(authored, "dateTime"),
        "medicationCodeableConcept": {"text": "x"},
    }


@pytest.mark.parametrize(
    "bad",
    [{"resource_id": "not an id!"}, {"authored": "21/11/2026"},
     {"authored": "2026-13-01"}, {"reference": ""}],
)
def test_a_bad_varying_value_fails_also_once_its_skeleton_is_known(bad: dict[str, Any]) -> None:
    assert validated(MedicationRequest, _request())["id"] == "ok-id"  # the skeleton is now known valid
    with pytest.raises(InvalidResourceError):
        validated(MedicationRequest, _request(**bad))
    with pytest.raises(ValidationError):  # and fhir.resources itself agrees
        MedicationRequest.model_validate({k: getattr(v, "value", v) for k, v in _request(**bad).items()}
                                         | {"subject": {"reference": bad.get("reference", "Patient/p1")}})


def test_a_bad_fixed_part_fails() -> None:
    resource = _request()
    resource["status"] = " draft"  # a code has no leading space
    with pytest.raises(InvalidResourceError):
        validated(MedicationRequest, resource)


def test_true_and_one_are_different_skeletons() -> None:
    with_number = _request() | {"doNotPerform": 1}
    with_bool = _request() | {"doNotPerform": True}
    validated(MedicationRequest, with_bool)
    with pytest.raises(InvalidResourceError):
        validated(MedicationRequest, with_number | {"doNotPerform": "perhaps"})
    validated(MedicationRequest, with_number)  # pydantic's own verdict, not the boolean's skeleton


def test_an_absent_value_is_left_out_not_varying() -> None:
    with pytest.raises(ValueError):
        Varying(None, "string")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Varying("x", "uri")


def test_a_dict_equal_to_a_constant_is_not_taken_for_it() -> None:
    from prevention_cds.fhir_out import resource_validation

    constant = resource_validation.constant_concept({"coding": [{"system": "http://loinc.org", "code": "1-8"}]})
    look_alike = {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}
    assert resource_validation._constant_model(constant) is not None
    assert resource_validation._constant_model(look_alike) is None


def test_builders_called_at_once_from_cold_caches_give_valid_plain_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads racing to build the same cached constants: every resource is plain JSON, none a Varying."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from prevention_cds.fhir_out import resource_validation

    def build(n: int) -> str:
        ctx = _context(f"p{n}")
        return json.dumps([builders.medication_request(_proposal(str(100 + n)), ctx, resource_id=f"d{n}"),
                           builders.immunization_recommendation(_forecast(), ctx)])

    for _ in range(5):  # each round from cold caches
        monkeypatch.setattr(resource_validation, "_VALID_SKELETONS", {})
        for cached in (builders._medicine_concept, builders._route_concept, builders._reason_concept,
                       builders._target_disease_concept, builders._forecast_status_concept,
                       builders._date_criterion_concept):
            cached.cache_clear()
        with ThreadPoolExecutor(max_workers=8) as pool:
            documents = list(pool.map(build, range(200)))
        assert all(f'"Patient/p{n}"' in doc for n, doc in enumerate(documents))
