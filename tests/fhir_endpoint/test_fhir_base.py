"""``/fhir``: the CapabilityStatement, and the conformance resources of the FHIR package read and searched."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from flask.testing import FlaskClient

from prevention_cds import terminology
from prevention_cds.app.fhir_api import SERVED_TYPES
from prevention_cds.terminology import ProjectCode


def _fhir(client: FlaskClient, path: str, status: int = 200) -> dict[str, Any]:
    answered = client.get(path)
    assert answered.status_code == status, answered.get_json()
    assert answered.content_type == "application/fhir+json"
    body: dict[str, Any] = answered.get_json()
    return body


def test_metadata_is_a_capability_statement_listing_extract(client: FlaskClient) -> None:
    statement = _fhir(client, "/fhir/metadata")
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    assert statement["implementation"]["url"] == "http://localhost/fhir"
    assert statement["date"] == "2026-11-21"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {*SERVED_TYPES, "QuestionnaireResponse"}
    (extract,) = resources["QuestionnaireResponse"]["operation"]
    assert extract["name"] == "extract"
    assert extract["definition"] == "http://hl7.org/fhir/uv/sdc/OperationDefinition/QuestionnaireResponse-extract"
    assert statement["implementationGuide"] == [f"{terminology.CANONICAL_BASE}/ImplementationGuide/prevention-cds"]


def test_metadata_uses_the_public_base_url_behind_a_proxy(client: FlaskClient, settings: Any) -> None:
    from prevention_cds.app.factory import create_app

    app = create_app(settings.with_changes(public_base_url="https://cds.example.org/"))
    statement = _fhir(app.test_client(), "/fhir/metadata")
    assert statement["implementation"]["url"] == "https://cds.example.org/fhir"


@pytest.mark.parametrize("code", [ProjectCode.IIM_CONTACT, ProjectCode.MEASLES_CONTACT])
def test_each_questionnaire_is_read_by_id_and_found_by_its_canonical(client: FlaskClient, code: str) -> None:
    read = _fhir(client, f"/fhir/Questionnaire/{code}")
    assert read == terminology.load("Questionnaire", code)
    found = _fhir(client, f"/fhir/Questionnaire?url={terminology.questionnaire_url(code)}|0.1.0")
    assert found["type"] == "searchset" and [e["resource"] for e in found["entry"]] == [read]
    assert found["entry"][0]["fullUrl"] == f"http://localhost/fhir/Questionnaire/{code}"


def test_every_conformance_resource_is_served(client: FlaskClient) -> None:
    for resource in terminology.all_resources():
        assert _fhir(client, f"/fhir/{resource['resourceType']}/{resource['id']}")["url"] == resource["url"]
    everything = _fhir(client, "/fhir/ValueSet")
    assert everything["total"] == sum(r["resourceType"] == "ValueSet" for r in terminology.all_resources())


@pytest.mark.parametrize(("path", "status"), [
    ("/fhir/Questionnaire/unknown", 404), ("/fhir/Patient/p1", 404), ("/fhir/Patient", 404),
    ("/fhir/Questionnaire?name=x", 400), ("/fhir/Observation/exposure-household", 404),
])
def test_what_is_not_served_answers_an_operation_outcome(client: FlaskClient, path: str, status: int) -> None:
    assert _fhir(client, path, status)["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/html"])
@pytest.mark.parametrize("path", ["/fhir/metadata", "/fhir/ValueSet", f"/fhir/Questionnaire/{ProjectCode.IIM_CONTACT}"])
def test_a_client_that_accepts_no_json_gets_406(client: FlaskClient, accept: str, path: str) -> None:
    answered = client.get(path, headers={"Accept": accept})
    assert answered.status_code == 406 and answered.content_type == "application/fhir+json"
    assert answered.get_json()["issue"][0]["code"] == "not-supported"


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json", "*/*",
                                    "application/fhir+xml, application/fhir+json;q=0.5",
                                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"])
def test_json_or_anything_is_answered_in_json(client: FlaskClient, accept: str) -> None:
    assert client.get("/fhir/metadata", headers={"Accept": accept}).status_code == 200


def test_a_406_on_an_operation(client: FlaskClient) -> None:
    answered = client.post("/fhir/$immds-forecast", json={"resourceType": "Parameters"},
                           headers={"Accept": "application/fhir+xml"})
    assert answered.status_code == 406


@pytest.mark.parametrize(("mode", "secured"), [("required", True), ("off", False)])
def test_the_capability_statement_says_how_the_operations_are_secured(
    settings: Any, tmp_path: Any, mode: str, secured: bool
) -> None:
    from prevention_cds.app.factory import create_app
    from support.ehr_tokens import issuers_file

    changed = settings.with_changes(auth_mode=mode, trusted_issuers_file=str(issuers_file(tmp_path)),
                                    public_base_url="https://cds.example.org")
    statement = _fhir(create_app(changed).test_client(), "/fhir/metadata")
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    security = statement["rest"][0]["security"]
    assert security["cors"] is True  # the tests' settings allow the EHR's origin
    assert ("Authorization: Bearer" in security["description"]) is secured
