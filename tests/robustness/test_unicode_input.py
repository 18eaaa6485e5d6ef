"""Issue 16, item 6: a lone UTF-16 surrogate escape in a request body (``"\\ud800"``, valid JSON, not valid
Unicode) is the client's error: 400 whatever member carries it, never a 500; and when a bug does answer 500, the
log line holds the exception types and the code path, never the exception messages (which can carry a patient
reference or any value of the request)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fhir_factory import hook_request, patient
from prevention_cds.app.services import services

PATIENT_REF = "Patient/\\ud800secret-ref-4711"


def _post(client: FlaskClient, url: str, body: dict[str, Any], replace: tuple[str, str]) -> Any:
    raw = json.dumps(body).replace(*replace)
    assert replace[1] in raw
    return client.post(url, data=raw, content_type="application/json")


@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetch", "fetched"])
def test_a_lone_surrogate_in_patient_id_is_400(client: FlaskClient, prefetch: bool,
                                               caplog: pytest.LogCaptureFixture) -> None:
    extra = {} if prefetch else {"fhirServer": "http://127.0.0.1:9"}
    body = hook_request("patient-view", [patient()], prefetch=prefetch, **extra)
    response = _post(client, "/cds-services/ror-vaccination", body, ('"patientId": "p1"', f'"patientId": "{PATIENT_REF}"'))
    assert response.status_code == 400, response.get_data()
    assert "surrogate" in response.get_json()["issue"][0]["diagnostics"]
    assert "secret-ref" not in caplog.text and "Traceback" not in caplog.text


def test_a_lone_surrogate_in_a_feedback_comment_is_400(client: FlaskClient) -> None:
    entry = {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
             "overrideReason": {"userComment": "COMMENT"}}
    response = _post(client, "/cds-services/ror-vaccination/feedback", {"feedback": [entry]},
                     ('"COMMENT"', '"refus \\udfff"'))
    assert response.status_code == 400


def test_an_escaped_surrogate_pair_is_unicode_and_accepted(client: FlaskClient, app: Flask) -> None:
    entry = {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
             "overrideReason": {"userComment": "COMMENT"}}
    response = _post(client, "/cds-services/ror-vaccination/feedback", {"feedback": [entry]},
                     ('"COMMENT"', '"refus \\ud83d\\ude00"'))
    assert response.status_code == 200


def test_a_500_logs_no_exception_message(client: FlaskClient, app: Flask, caplog: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    reference = "-".join(("Patient/secret", "ref", "4711"))  # not in this source, which the trace quotes

    def bug(*_: Any, **__: Any) -> Any:
        raise KeyError(reference) from ValueError(f"birthDate of {reference}")

    monkeypatch.setattr(services(app).evaluator, "invoke", bug)
    with caplog.at_level(logging.ERROR, logger="prevention_cds.app.factory"):
        response = client.post("/cds-services/ror-vaccination", json=hook_request("patient-view", [patient()]))
    assert response.status_code == 500
    logged = caplog.text
    caplog.clear()  # this 500 is the test's own (see conftest's no_internal_errors)
    assert "KeyError" in logged and "ValueError" in logged and "test_unicode_input.py" in logged
    assert "secret-ref" not in logged
