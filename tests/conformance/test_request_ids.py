"""X-Request-Id is echoed (or generated) on every answer, a refusal included, and every log line of the request
carries it, those logged while fetching from the fhirServer in other threads too (issue 15 §2)."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask.testing import FlaskClient

from fault_server import FaultServer, refused_keys
from fhir_factory import hook_request, patient
from prevention_cds.app.observability import RequestContextFilter

SERVICE = "/cds-services/ror-vaccination"


def test_every_answer_echoes_or_generates_the_request_id(client: FlaskClient) -> None:
    answers = [
        client.post(SERVICE, json=hook_request("patient-view", [patient()]), headers={"X-Request-Id": "req-200"}),
        client.post(SERVICE, data=b"{", content_type="application/json", headers={"X-Request-Id": "req-400"}),
        client.post("/cds-services/nope", json={}, headers={"X-Request-Id": "req-404"}),
    ]
    assert [(r.status_code, r.headers["X-Request-Id"]) for r in answers] == [
        (200, "req-200"), (400, "req-400"), (404, "req-404")]
    generated = client.post(SERVICE, json=hook_request("patient-view", [patient()])).headers["X-Request-Id"]
    assert uuid.UUID(generated)


def test_every_log_line_of_the_request_carries_its_id_even_from_the_fetch_threads(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RequestContextFilter())
    body = hook_request("patient-view", [patient()])
    del body["prefetch"]["allergies"], body["prefetch"]["conditions"]
    with FaultServer() as server:
        body["fhirServer"] = server.base("ok")
        response = client.post(SERVICE, json=body, headers={"X-Request-Id": "req-7"})
    assert response.status_code == 200
    fetch_lines = [r for r in caplog.records if (r.threadName or "").startswith("fhir-fetch")]
    assert fetch_lines  # the HTTP client logs its connections from the fetch threads
    assert {getattr(r, "request_id", None) for r in caplog.records} == {"req-7"}
    assert {getattr(r, "hook_instance", None) for r in fetch_lines} == {body["hookInstance"]}


def test_a_412_names_every_prefetch_key_missing_and_not_fetched(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    del body["prefetch"]["allergies"], body["prefetch"]["medicationStatements"]
    response = client.post(SERVICE, json=body, headers={"X-Request-Id": "req-412"})
    assert response.status_code == 412 and response.headers["X-Request-Id"] == "req-412"
    issue = response.get_json()["issue"][0]
    assert issue["expression"] == ["prefetch.allergies", "prefetch.medicationStatements"]
    assert issue["diagnostics"] == ("prefetch 'allergies' is absent; 'medicationStatements' is absent; "
                                   "cannot be fetched: the call gives no fhirServer")


def test_a_412_from_a_failing_fhir_server_names_the_key(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    keys = refused_keys(client, SERVICE, body, "allergies", FaultServer(), "status500~AllergyIntolerance")
    assert keys == ["prefetch.allergies"]
