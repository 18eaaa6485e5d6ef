"""Authentication through HTTP: discovery, services and feedback need a JWT whose aud is the URL called
(D07, J13 at the HTTP layer); CORS preflights and /health do not."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from conftest import EHR_ORIGIN, FROZEN_NOW
from fhir_factory import hook_request, patient
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import ConfigError, Settings
from support.ehr_tokens import issuers_file
from support.ehr_tokens import token as _token

BASE = "https://cds.example.org"


@pytest.fixture
def secured(tmp_path: Path) -> FlaskClient:
    issuers = issuers_file(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", auth_mode="required",
                        trusted_issuers_file=str(issuers), public_base_url=BASE, cors_allowed_origins=(EHR_ORIGIN,))
    app = create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW))
    return app.test_client()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_D07_discovery_accepts_its_own_audience_only(secured: FlaskClient) -> None:
    assert secured.get("/cds-services", headers=_auth(_token(f"{BASE}/cds-services"))).status_code == 200
    wrong = secured.get("/cds-services", headers=_auth(_token(f"{BASE}/cds-services/ror-vaccination")))
    assert wrong.status_code == 401


def test_a_refused_call_still_gets_its_request_id(secured: FlaskClient) -> None:
    """A 401 is answered before anything else runs: it still echoes the caller's X-Request-Id (or gets one)."""
    url = "/cds-services/ror-vaccination"
    refused = secured.post(url, json=hook_request("patient-view", [patient()]), headers={"X-Request-Id": "req-401"})
    assert refused.status_code == 401 and refused.headers["X-Request-Id"] == "req-401"
    generated = secured.post(url, json=hook_request("patient-view", [patient()]))
    assert generated.status_code == 401 and uuid.UUID(generated.headers["X-Request-Id"])


def test_service_and_feedback_need_their_own_audience(secured: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    url = "/cds-services/ror-vaccination"
    assert secured.post(url, json=body, headers=_auth(_token(BASE + url))).status_code == 200
    assert secured.post(url, json=body).status_code == 401
    feedback = {"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:00:00Z"}]}
    assert secured.post(url + "/feedback", json=feedback, headers=_auth(_token(BASE + url + "/feedback"))).status_code == 200
    assert secured.post(url + "/feedback", json=feedback, headers=_auth(_token(BASE + url))).status_code == 401


def test_J13_401_body_has_no_detail_and_keeps_cors(secured: FlaskClient) -> None:
    response = secured.get("/cds-services", headers={"Authorization": "Bearer nonsense", "Origin": EHR_ORIGIN})
    assert response.status_code == 401
    assert response.get_json() == {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]}
    assert response.headers["Access-Control-Allow-Origin"] == EHR_ORIGIN


def test_preflight_and_health_need_no_token(secured: FlaskClient) -> None:
    preflight = secured.options("/cds-services/ror-vaccination",
                                headers={"Origin": EHR_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert secured.get("/health").status_code == 200


def test_required_mode_without_issuers_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", auth_mode="required"))


FORECAST_REQUEST = {"resourceType": "Parameters", "parameter": [
    {"name": "assessmentDate", "valueDate": "2026-11-21"}, {"name": "patient", "resource": patient()}]}


def test_fhir_operations_with_patient_data_need_their_own_audience_and_conformance_resources_none(
    secured: FlaskClient,
) -> None:
    """``$immds-forecast`` receives a patient's record, as the CDS services do: the same JWT; ``$extract`` too (its
    answers are about a patient). The CapabilityStatement and the package's resources are public."""
    url = "/fhir/$immds-forecast"
    assert secured.post(url, json=FORECAST_REQUEST).status_code == 401
    assert secured.post(url, json=FORECAST_REQUEST, headers=_auth(_token(f"{BASE}/cds-services"))).status_code == 401
    assert secured.post(url, json=FORECAST_REQUEST, headers=_auth(_token(BASE + url))).status_code == 200
    extract = "/fhir/QuestionnaireResponse/$extract"
    assert secured.post(extract, json={"resourceType": "QuestionnaireResponse"}).status_code == 401
    assert secured.post(extract, json={"resourceType": "QuestionnaireResponse"},
                        headers=_auth(_token(BASE + extract))).status_code == 400  # past the check: the answers
    assert secured.get("/fhir/metadata").status_code == 200
    assert secured.get("/fhir/OperationDefinition/immds-forecast").status_code == 200


def test_a_401_names_the_bearer_scheme(secured: FlaskClient) -> None:
    """RFC 6750 §3: the challenge names the scheme; no error detail (CDS Hooks: a refusal says nothing more)."""
    body = hook_request("patient-view", [patient()])
    for refused in (secured.post("/cds-services/ror-vaccination", json=body),
                    secured.post("/cds-services/ror-vaccination", json=body, headers=_auth("not-a-jwt")),
                    secured.get("/cds-services"),
                    secured.post("/fhir/$immds-forecast", json={"resourceType": "Parameters"})):
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
