"""cds-hooks.md §3.4 S items: invocation and prefetch handling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from conftest import SYNTHEA_BUNDLES
from fault_server import FaultServer
from fhir_factory import hook_request, immunization, patient, searchset
from fhir_server_harness import MedplumServer

SERVICE = "/cds-services/ror-vaccination"
ALDA = SYNTHEA_BUNDLES / "Alda_Carter_ee1034c9-cb75-413c-8f36-da7e4268d2b5.json"


def _post(client: FlaskClient, body: Any, url: str = SERVICE, **kwargs: Any) -> Any:
    return client.post(url, json=body, **kwargs)


def test_S01_valid_request_gives_200_with_cards(client: FlaskClient) -> None:
    response = _post(client, hook_request("patient-view", [patient(), immunization("p1", "03", "1991-06-01")]))
    assert response.status_code == 200
    assert isinstance(response.get_json()["cards"], list)
    assert_valid_response(response.get_json())


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2", "{\"hook\": \"é\"}".encode("latin-1")])
def test_S02_malformed_json_is_400(client: FlaskClient, raw: bytes) -> None:
    response = client.post(SERVICE, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("missing", ["hook", "hookInstance", "context"])
def test_S02_missing_member_is_400_naming_it(client: FlaskClient, missing: str) -> None:
    body = hook_request("patient-view", [patient()])
    del body[missing]
    response = _post(client, body)
    assert response.status_code == 400
    assert missing in response.get_json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("body", [[], "text", 42, None, {"hook": 1, "hookInstance": "x", "context": {}},
                                  {"hook": "patient-view", "hookInstance": "x", "context": {"patientId": 7}},
                                  {"hook": "patient-view", "hookInstance": "x", "context": []}])
def test_S02_wrong_shapes_are_400_never_500(client: FlaskClient, body: Any) -> None:
    assert _post(client, body).status_code == 400


def test_S03_hook_mismatch_is_400(client: FlaskClient) -> None:
    body = hook_request("order-sign", [patient()], context={"patientId": "p1", "draftOrders": searchset([])})
    response = _post(client, body)
    assert response.status_code == 400 and "does not match" in response.get_json()["issue"][0]["diagnostics"]


def test_S04_unknown_service_is_404_and_get_on_service_is_405(client: FlaskClient) -> None:
    assert _post(client, hook_request("patient-view", [patient()]), "/cds-services/nope").status_code == 404
    assert client.get("/cds-services/nope").status_code == 404
    assert client.get(SERVICE).status_code == 405
    assert set(client.get(SERVICE).headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    assert client.put("/cds-services/nope/feedback").status_code == 404
    assert client.get("/").status_code == 404


def test_S05_unknown_extensions_are_accepted(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()], extension={"org.example.thing": {"a": 1}})
    body["context"]["extension"] = {"org.example.ctx": True}
    body["prefetch"]["patient"]["extension"] = [{"url": "http://example.org/x", "valueString": "y"}]
    assert _post(client, body).status_code == 200


def test_S06_optional_encounter_and_prefixed_patient_id(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    assert _post(client, body).status_code == 200
    body["context"]["patientId"] = "Patient/p1"
    body["context"]["encounterId"] = "enc-1"
    assert _post(client, body).status_code == 200


def test_S07_complete_prefetch_makes_no_fhir_call(client: FlaskClient) -> None:
    with FaultServer() as server:
        body = hook_request("patient-view", [patient()], fhirServer=server.base("ok"))
        assert _post(client, body).status_code == 200
        assert server.requests == []


def _load_alda(server: MedplumServer) -> str:
    response = server.load_bundle(ALDA)
    patient_id = next(e["resource"]["id"] for e in response["entry"]
                      if e.get("resource", {}).get("resourceType") == "Patient")
    server.clear_requests()
    return str(patient_id)


@pytest.mark.integration
def test_S08_absent_key_fetched_with_bearer_token(
    patient_client: FlaskClient, fhir_server_factory: Callable[..., MedplumServer]
) -> None:
    server = fhir_server_factory(require_bearer="secret-token-123")
    patient_id = _load_alda(server)
    body = hook_request("patient-view", [], pid=patient_id, prefetch=False, fhirServer=server.base_url,
                        fhirAuthorization={"access_token": "secret-token-123", "token_type": "Bearer",
                                           "expires_in": 300, "scope": "user/*.read", "subject": "cds"})
    response = _post(patient_client, body)
    assert response.status_code == 200, response.get_json()
    seen = server.requests_seen()
    assert seen and all(r["authorization"] == "Bearer secret-token-123" for r in seen)


@pytest.mark.integration
def test_S09_absent_key_fetched_without_token_for_open_server(patient_client: FlaskClient, fhir_server: MedplumServer) -> None:
    patient_id = _load_alda(fhir_server)
    body = hook_request("patient-view", [], pid=patient_id, prefetch=False, fhirServer=fhir_server.base_url)
    response = _post(patient_client, body)
    assert response.status_code == 200
    assert all(r["authorization"] is None for r in fhir_server.requests_seen())
    assert_valid_response(response.get_json())


def test_S10_absent_key_without_fhir_server_is_412(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    del body["prefetch"]["allergies"]
    response = _post(client, body)
    assert response.status_code == 412
    assert "allergies" in response.get_json()["issue"][0]["diagnostics"] or "fhirServer" in response.get_data(True)


@pytest.mark.parametrize("mode", ["status500", "status401", "garbage", "wrong-type", "loop", "huge", "slow"])
def test_S11_fhir_server_faults_give_412_within_the_deadline(client: FlaskClient, mode: str) -> None:
    with FaultServer(delay=6.0) as server:
        body = hook_request("patient-view", [patient()], prefetch=False, fhirServer=server.base(mode))
        started = time.monotonic()
        response = _post(client, body)
        elapsed = time.monotonic() - started
    assert response.status_code == 412, (mode, response.get_json())
    assert elapsed < 4.0 + 1.0  # configured deadline + 1 s


def test_S11_fhir_server_not_allow_listed_is_412(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()], prefetch=False, fhirServer="https://fhir.elsewhere.example")
    response = _post(client, body)
    assert response.status_code == 412 and "allow-list" in response.get_json()["issue"][0]["diagnostics"]


def test_S12_null_prefetch_means_no_data_and_no_requery(client: FlaskClient) -> None:
    with FaultServer() as server:
        body = hook_request("patient-view", [patient()], fhirServer=server.base("ok"))
        body["prefetch"]["immunizations"] = None
        body["prefetch"]["allergies"] = None
        assert _post(client, body).status_code == 200
        assert server.requests == []


def test_S13_operation_outcome_in_prefetch_is_handled(client: FlaskClient) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    body = hook_request("patient-view", [patient()])
    body["prefetch"]["immunizations"] = outcome
    assert _post(client, body).status_code == 412  # no fhirServer to fetch it from
    with FaultServer() as server:
        body["fhirServer"] = server.base("ok")
        assert _post(client, body).status_code == 200
        assert len(server.requests) == 1 and server.requests[0][0].startswith("/ok/Immunization?patient=p1")


@pytest.mark.parametrize(("key", "value", "said"), [
    ("immunizations", {"resourceType": "OperationOutcome", "issue": []},
     "'immunizations' is an OperationOutcome (the client's query failed)"),
    ("patient", {"resourceType": "Practitioner", "id": "dr1"},
     "'patient' is a Practitioner, not the context patient's Patient"),
    ("patient", {"resourceType": "Patient", "id": "someone-else"},
     "'patient' is the Patient of another patient, not the context patient's"),
    ("conditions", "Condition?patient=p1", "'conditions' is a JSON string, not a searchset Bundle"),
    ("allergies", [], "'allergies' is a JSON array, not a searchset Bundle"),
    ("observations", {"entry": []}, "'observations' is a JSON object without resourceType, not a searchset Bundle"),
    ("immunizations", {"resourceType": "Bundle", "type": "searchset",
                       "link": [{"relation": "next", "url": "https://ehr.example/fhir/page2"}]},
     "'immunizations' is a Bundle with more pages (a next link) to read"),
    ("medicationAdministrations", "absent", "'medicationAdministrations' is absent"),
])
def test_S13_a_412_says_what_the_prefetch_held_and_why_it_cannot_be_used(
    client: FlaskClient, key: str, value: Any, said: str
) -> None:
    body = hook_request("patient-view", [patient()])
    if value == "absent":
        del body["prefetch"][key]
    else:
        body["prefetch"][key] = value
    response = _post(client, body)
    assert response.status_code == 412
    issue = response.get_json()["issue"][0]
    assert issue["diagnostics"] == f"prefetch {said}; cannot be fetched: the call gives no fhirServer"
    assert issue["expression"] == [f"prefetch.{key}"]
    assert "missing" not in issue["diagnostics"]


@pytest.mark.integration
def test_S14_paged_prefetch_bundle_is_followed(
    patient_client: FlaskClient, fhir_server_factory: Callable[..., MedplumServer]
) -> None:
    server = fhir_server_factory(default_count=3)
    patient_id = _load_alda(server)
    import requests

    first_page = requests.get(f"{server.base_url}/Immunization?patient={patient_id}&_count=3", timeout=5).json()
    assert any(link["relation"] == "next" for link in first_page.get("link", []))
    fetched_everything = _post(patient_client, hook_request("patient-view", [], pid=patient_id, prefetch=False,
                                                    fhirServer=server.base_url))
    server.clear_requests()
    body = hook_request("patient-view", [], pid=patient_id, prefetch=False, fhirServer=server.base_url)
    body["prefetch"] = {"immunizations": first_page}
    response = _post(patient_client, body)
    assert response.status_code == 200
    followed = [path for r in server.requests_seen() if (path := str(r["path"])).startswith("/fhir/R4/Immunization")]
    assert followed and all("_offset" in path for path in followed)  # only the next pages, not the first again
    summaries = sorted(c["summary"] for c in response.get_json()["cards"])
    assert summaries == sorted(c["summary"] for c in fetched_everything.get_json()["cards"])


def test_S15_tolerant_draft_orders(client: FlaskClient) -> None:
    sandbox_order = {"resourceType": "MedicationRequest", "id": "o1", "status": "draft",
                     "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J04AB02"}]},
                     "subject": {"reference": "Patient/p1"},
                     "dosageInstruction": [{"doseQuantity": {"value": 600, "unit": "mg"},
                                            "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}}]}
    object_dose_and_rate = {**sandbox_order, "id": "o2", "dosageInstruction": [
        {"doseAndRate": {"doseQuantity": {"value": 600, "unit": "mg"}}}]}
    for hook, url in (("order-sign", "/cds-services/prevention-order-sign"),
                      ("order-select", "/cds-services/prevention-order-select")):
        body = hook_request(hook, [patient()])
        body["context"]["draftOrders"] = searchset([sandbox_order, object_dose_and_rate])
        body["context"]["selections"] = ["MedicationRequest/o1"]
        response = _post(client, body, url)
        assert response.status_code == 200, response.get_json()
        assert_valid_response(response.get_json(), frozenset({"MedicationRequest/o1", "MedicationRequest/o2"}))
        body["context"]["draftOrders"] = [sandbox_order]  # a bare array of resources (Library examples)
        assert _post(client, body, url).status_code == 200


def test_S15_draft_order_reading_keeps_dose_frequency_and_duration() -> None:
    from prevention_cds.fhir_in.draft_orders import read_draft_order
    from prevention_cds.rules.concepts import Concept
    from prevention_cds.terminology.index import CodeIndex

    order = read_draft_order({"resourceType": "MedicationRequest", "id": "o1", "status": "draft",
                              "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                       "code": "J04AB02"}]},
                              "dosageInstruction": [{"doseAndRate": {"doseQuantity": {"value": 0.6, "unit": "g"}},
                                                     "route": {"coding": [{"code": "26643006"}]},
                                                     "timing": {"repeat": {"frequency": 1, "period": 12,
                                                                           "periodUnit": "h", "count": 4}}}]},
                             CodeIndex.load(), selected=True)
    assert Concept.RIFAMPICIN in order.concepts
    assert order.dose_mg == 600 and order.frequency_per_day == 2 and order.duration_days == 2
    assert order.route == "oral"


def test_S16_hard_timeout_bounds_a_slow_fhir_server(client: FlaskClient) -> None:
    """Latency targets are measured by bench/; here the hard bound: a hanging server costs at most the deadline."""
    with FaultServer(delay=30.0) as server:
        body = hook_request("patient-view", [patient()], prefetch=False, fhirServer=server.base("slow"))
        started = time.monotonic()
        assert _post(client, body).status_code == 412
        assert time.monotonic() - started < 2.0 + 1.0  # the per-request timeout (2 s) + 1 s
