"""Metrics and logs: request counters and latency at /metrics; JSON log lines with the request id and the
hookInstance, and never the patient's id, data or a token."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient

from fault_server import FaultServer
from fhir_factory import hook_request, immunization, patient
from prevention_cds.app.observability import JsonFormatter, RequestContextFilter

PATIENT_ID = "patient-7f3e-secret"
TOKEN = "eyJ-very-secret-access-token"


def test_metrics_count_requests_per_service(client: FlaskClient) -> None:
    client.post("/cds-services/ror-vaccination", json=hook_request("patient-view", [patient()]))
    client.post("/cds-services/ror-vaccination", data=b"{", content_type="application/json")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'prevention_cds_requests_total{endpoint="cds_hooks.invoke",service="ror-vaccination",status="200"}' in text
    assert 'status="400"' in text and "prevention_cds_request_seconds_bucket" in text


def test_logs_are_json_with_request_id_and_hook_instance_and_no_patient_data(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    malformed = immunization(PATIENT_ID, "03", "2020-99-99")
    with FaultServer() as server:
        body = hook_request("patient-view", [patient(PATIENT_ID, birth_date="1990-02-03"), malformed],
                            pid=PATIENT_ID, fhirServer=server.base("status500"),
                            fhirAuthorization={"access_token": TOKEN, "token_type": "Bearer"})
        del body["prefetch"]["allergies"]
        response = client.post("/cds-services/ror-vaccination", json=body, headers={"X-Request-Id": "req-42"})
    assert response.status_code == 412
    formatter, context = JsonFormatter(), RequestContextFilter()
    lines = []
    for record in caplog.records:
        lines.append(formatter.format(record))
    assert lines
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
        assert PATIENT_ID not in line and TOKEN not in line and "1990-02-03" not in line and "2020-99-99" not in line
    with client.application.test_request_context("/"):
        from flask import g

        g.request_id, g.hook_instance = "req-1", body["hookInstance"]
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        context.filter(record)
        entry = json.loads(formatter.format(record))
        assert entry["request_id"] == "req-1" and entry["hook_instance"] == body["hookInstance"]
