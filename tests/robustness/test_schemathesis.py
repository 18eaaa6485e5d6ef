"""Issue 5, item 5: schemathesis against ``docs/openapi.yaml``, in process through the WSGI app.

Every operation of the description is called with generated requests: the explicit examples of the description,
boundary cases (schemathesis' coverage phase), and random ones, valid (positive mode: the request matches the
description) and invalid (negative mode). Every answer must pass these checks:

* ``not_a_server_error``: never a 5xx (contract.md §4: never a 500 for bad input);
* ``status_code_conformance``: the status code is one the description documents for that operation;
* ``content_type_conformance``: the documented media type (``application/json`` for successes,
  ``application/fhir+json`` for OperationOutcomes);
* ``response_schema_conformance``: the body validates against the documented schema;
* ``response_headers_conformance`` (in addition): the documented headers (``X-Request-Id`` always,
  ``Content-Language`` ``fr``/``en`` on texts) are present and valid;
* ``negative_data_rejection`` (ST201) and ``positive_data_acceptance`` (ST202): a request the description calls
  invalid is refused, one it calls valid is accepted. 412 counts as an acceptance: whether data missing from
  ``prefetch`` can be fetched depends on the deployment's allow-list and on the EHR's FHIR server, which no
  schema can say (here nothing can be fetched);
* ``unsupported_method`` and ``allow_header_conformance`` (ST204, ST205): a method a path does not take answers
  405 with an ``Allow`` header that lists exactly the documented methods.

The app is ``create_app`` with authentication off, a temporary SQLite feedback store and a frozen clock
(``CdsEvaluator(settings, clock=lambda: FROZEN_NOW)``). ``fhirServer`` is never contacted: no origin is
allow-listed and ``dev`` is off, so a request that lacks prefetch data answers 412 without any network.

Profiles (environment variable ``PREVENTION_CDS_FUZZ_EXAMPLES``, see docs/testing.md):

* default (CI): 40 generated examples per operation and generation mode, derandomized (fixed seed), no example
  database, no deadline; the file takes about 15 s on 2 shared cores;
* longer: ``PREVENTION_CDS_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/robustness/test_schemathesis.py``
  (still derandomized: a failure reproduces by re-running the same command).

A failure prints the request as a curl command; replay its body with the Flask test client to debug.

The service bugs this test found (each a 500 on malformed input) are fixed; their minimal reproducers stay as
regression tests in ``FUZZ_REGRESSIONS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from conftest import FROZEN_NOW
from fhir_factory import full_prefetch, patient
from prevention_cds import terminology
from prevention_cds.adapters.workspace_db import Investigation
from prevention_cds.app.factory import create_app
from prevention_cds.app.services import services
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import Settings
from prevention_cds.terminology import ProjectCode
from prevention_cds.workspace.service import Actor

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("PREVENTION_CDS_FUZZ_EXAMPLES", "40"))
SEED = 20261121
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, positive_data_acceptance, unsupported_method,
          allow_header_conformance]
# the default expected statuses of positive_data_acceptance, and 412 (see above)
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]

schema = schemathesis.openapi.from_path(OPENAPI, config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
}))


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        auth_mode="off",
        dev=False,  # loopback fhirServer URLs are refused too: no network during fuzzing
        fhir_allowed_origins=(),
    )


# The workspace's API is fuzzed as an editor with an account token (its pages' CSRF does not apply to tokens), on an
# investigation with the id of the description's example and one contact, so that positive examples reach data.
FUZZ_INVESTIGATION = "00000000-0000-4000-8000-000000000017"


@pytest.fixture(scope="module")
def wsgi_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    settings = _settings(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'feedback.sqlite3'}")
    app = create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW))
    accounts = services(app).accounts
    accounts.create("fuzz", "a fuzzing password", "editor")
    app.config["FUZZ_TOKEN"] = accounts.new_token("fuzz")
    workspace = services(app).workspace
    with workspace.db.session() as session:
        session.add(Investigation(id=FUZZ_INVESTIGATION, disease="iim", title="fuzz", status="open", confirmed=False,
                                  created_by="fuzz", created_at="2026-11-21T09:00:00+00:00", last_changes="[]"))
    workspace.add_contact(Actor("fuzz", "editor"), FUZZ_INVESTIGATION, {
        "nom": "Fuzz", "prenom": "Ana", "date_naissance": "2016-01-01", "poids_kg": "30",
        "situation": "household", "dernier_contact": "2026-11-20 10:00"})
    yield app


def _patient_view(prefetch: dict[str, Any] | None = None, **members: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view", "hookInstance": "0d9f8a52-3c1e-4bb4-9c8e-6f1a1e0c2b11",
        "context": {"patientId": "p1"}, "prefetch": {**full_prefetch([patient()]), **(prefetch or {})},
    }
    body.update(members)
    return body


def _conditions_bundle(**members: Any) -> dict[str, Any]:
    return {"conditions": {"resourceType": "Bundle", "type": "searchset", **members}}


# Minimal reproducers of the bugs fuzzing found (each answered 500); they must now answer 4xx or 200.
FUZZ_REGRESSIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("fhirServer with '[' or ']' in its host",
     {"hook": "patient-view", "hookInstance": "x", "fhirServer": "https://[x]", "context": {"patientId": "p1"}},),
    ("prefetch value whose resourceType is an object or array",
     _patient_view({"patient": {"resourceType": {}}}),),
    ("Bundle entry whose resource.resourceType is an object or array",
     _patient_view(_conditions_bundle(entry=[{"resource": {"resourceType": []}}])),),
    ("Bundle entry whose search is not an object",
     _patient_view(_conditions_bundle(entry=[{"resource": {"resourceType": "Condition"}, "search": "match"}])),),
    ("Bundle whose link is a number or boolean",
     _patient_view(_conditions_bundle(link=1)),),
    ("context.draftOrders a number or boolean (patient-view)",
     _patient_view(context={"patientId": "p1", "draftOrders": False}),),
    ("context.selections null, a number or boolean (patient-view, order-sign)",
     _patient_view(context={"patientId": "p1", "selections": None}),),
    ("a date in year 9999 in prefetch (the usual open-ended sentinel, e.g. an exposure's effectivePeriod.end)",
     _patient_view({"observations": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "Observation", "id": "e1", "status": "final",
            "code": {"coding": [{"system": terminology.PROJECT_CODESYSTEM, "code": ProjectCode.MEASLES_CONTACT}]},
            "subject": {"reference": "Patient/p1"},
            "effectivePeriod": {"start": "2026-11-18", "end": "9999-12-31"}}}]}}),),
)


# --- the fuzz test -----------------------------------------------------------------------------------------------


# Bodies of spreadsheet rows, groups and case facts: free texts (dates as the team types them, in two formats, a
# setting's code or label, a CSV's own header row) that the workspace reads and refuses field by field, naming each;
# no schema can say which texts it reads, so a schema-valid body may rightly be refused. The FHIR operations' bodies
# likewise: which parameters must be there (the forecast's `patient`) an array's schema cannot say in OpenAPI 3.0
# (no `contains`), nor which answers a Questionnaire takes ($extract); each operation refuses what is missing or
# wrong by name, with where it is. Every other check still applies to these operations.
FREE_TEXT_BODIES = {"addContacts", "updateContact", "addGroup", "createInvestigation", "updateCase",
                    "fhirImmdsForecast", "fhirExtract"}


def _impossible_date(response: Any) -> bool:
    """A feedback outcomeTimestamp that matches the pattern (each field in range) on a day that does not exist
    (2026-02-30, year 0000): no pattern says which days each month has, the service refuses it by name."""
    if response.status_code != 400:
        return False
    return "outcomeTimestamp: not an RFC 3339 instant" in response.text


@schema.parametrize()
def test_api_conforms_to_openapi(case: Case[Any], wsgi_app: Flask) -> None:
    headers = {"Authorization": f"Bearer {wsgi_app.config['FUZZ_TOKEN']}"} if case.path.startswith("/api/") else None
    response = case.call(app=wsgi_app, headers=headers)
    free_text = case.operation.definition.raw.get("operationId") in FREE_TEXT_BODIES
    checks = [check for check in CHECKS if not ((free_text or _impossible_date(response)) and
                                                check is positive_data_acceptance)]
    case.validate_response(response, checks=checks, transport_kwargs={"app": wsgi_app, "headers": headers})


# --- regressions: the bugs fuzzing found --------------------------------------------------------------------------


@pytest.fixture
def client_app(tmp_path: Path) -> Flask:
    settings = _settings(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    return create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW))


@pytest.mark.parametrize(("name", "body"), FUZZ_REGRESSIONS, ids=[name for name, _ in FUZZ_REGRESSIONS])
def test_fuzz_regression_is_not_a_server_error(name: str, body: dict[str, Any], client_app: Flask) -> None:
    response = client_app.test_client().post("/cds-services/ror-vaccination", json=body)
    assert response.status_code in (200, 400, 412), f"{name}: answered {response.status_code}"
