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
  ``Content-Language`` ``fr``/``en`` on texts) are present and valid.

The app is ``create_app`` with authentication off, a temporary SQLite feedback store and a frozen clock
(``CdsEvaluator(settings, clock=lambda: FROZEN_NOW)``). ``fhirServer`` is never contacted: no origin is
allow-listed and ``dev`` is off, so a request that lacks prefetch data answers 412 without any network.

Profiles (environment variable ``PREVENTION_CDS_FUZZ_EXAMPLES``, see docs/testing.md):

* default (CI): 40 generated examples per operation and generation mode, derandomized (fixed seed), no example
  database, no deadline; the file takes about 15 s on 2 shared cores;
* longer: ``PREVENTION_CDS_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/robustness/test_schemathesis.py``
  (still derandomized: a failure reproduces by re-running the same command).

A failure prints the request as a curl command; replay its body with the Flask test client to debug.

Service bugs this test found are listed in ``KNOWN_BUGS`` with a minimal reproducer each. Until they are fixed,
a 500 on an input of one of those classes is tolerated by the fuzz test (any other 500 fails it), and
``test_known_service_bug_is_fixed`` xfails for each (strict: once the service is fixed it XPASSes and fails,
so that the entry is removed from ``KNOWN_BUGS``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import fhir_profiles
from conftest import FROZEN_NOW
from fhir_factory import full_prefetch, patient
from fhir_profiles import ProjectCode
from service.config import Settings
from service.evaluation import CdsEvaluator
from service.http.app import create_app

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("PREVENTION_CDS_FUZZ_EXAMPLES", "40"))
SEED = 20261121
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

schema = schemathesis.openapi.from_path(OPENAPI, config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
}))


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        auth_mode="off",
        dev=False,  # loopback fhirServer URLs are refused too: no network during fuzzing
        fhir_allowed_origins=(),
    )


@pytest.fixture(scope="module")
def wsgi_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    settings = _settings(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'feedback.sqlite3'}")
    yield create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW))


# --- service bugs found by this test: reported, not fixed here ---------------------------------------------------


def _context(body: Any) -> dict[str, Any]:
    context = body.get("context") if isinstance(body, dict) else None
    return context if isinstance(context, dict) else {}


def _prefetch_values(body: Any) -> list[Any]:
    prefetch = body.get("prefetch") if isinstance(body, dict) else None
    return list(prefetch.values()) if isinstance(prefetch, dict) else []


def _bundles(body: Any) -> list[dict[str, Any]]:
    return [v for v in _prefetch_values(body) if isinstance(v, dict) and v.get("resourceType") == "Bundle"]


def _entries(body: Any) -> list[dict[str, Any]]:
    entries = [bundle.get("entry") for bundle in _bundles(body)]
    return [e for listed in entries if isinstance(listed, list) for e in listed if isinstance(e, dict)]


def _unhashable(value: Any) -> bool:
    return isinstance(value, dict | list)


def _not_iterable(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float)


def _bracket_in_fhir_server_host(body: Any) -> bool:
    server = body.get("fhirServer") if isinstance(body, dict) else None
    return isinstance(server, str) and any(c in server.split("://", 1)[-1].split("/", 1)[0] for c in "[]")


def _unhashable_prefetch_resource_type(body: Any) -> bool:
    return any(isinstance(v, dict) and _unhashable(v.get("resourceType")) for v in _prefetch_values(body))


def _unhashable_entry_resource_type(body: Any) -> bool:
    return any(isinstance(e.get("resource"), dict) and _unhashable(e["resource"].get("resourceType"))
               for e in _entries(body))


def _entry_search_not_an_object(body: Any) -> bool:
    return any(e.get("search") and not isinstance(e["search"], dict) for e in _entries(body))


def _bundle_link_not_iterable(body: Any) -> bool:
    return any(b.get("link") and isinstance(b["link"], bool | int | float) for b in _bundles(body))


def _draft_orders_not_iterable(body: Any) -> bool:
    draft_orders = _context(body).get("draftOrders")
    return draft_orders is not None and _not_iterable(draft_orders)


def _selections_not_iterable(body: Any) -> bool:
    context = _context(body)
    return "selections" in context and _not_iterable(context["selections"])


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _year_9999_in_prefetch(body: Any) -> bool:
    return any(isinstance(leaf, str) and leaf.startswith("9999") for leaf in _leaves(_prefetch_values(body)))


def _patient_view(prefetch: dict[str, Any] | None = None, **members: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view", "hookInstance": "0d9f8a52-3c1e-4bb4-9c8e-6f1a1e0c2b11",
        "context": {"patientId": "p1"}, "prefetch": {**full_prefetch([patient()]), **(prefetch or {})},
    }
    body.update(members)
    return body


def _conditions_bundle(**members: Any) -> dict[str, Any]:
    return {"conditions": {"resourceType": "Bundle", "type": "searchset", **members}}


@dataclass(frozen=True)
class KnownBug:
    name: str  # where it fails and how
    matches: Callable[[Any], bool]  # the class of request bodies that trigger it
    reproducer: dict[str, Any]  # a minimal body, POSTed to /cds-services/ror-vaccination


KNOWN_BUGS = (
    KnownBug(
        "fhirServer with '[' or ']' in its host: ValueError from urlsplit in fhir_client.fhir_server_refusal",
        _bracket_in_fhir_server_host,
        {"hook": "patient-view", "hookInstance": "x", "fhirServer": "https://[x]", "context": {"patientId": "p1"}},
    ),
    KnownBug(
        "prefetch value whose resourceType is an object or array: TypeError (unhashable) in prefetch._usable",
        _unhashable_prefetch_resource_type,
        _patient_view({"patient": {"resourceType": {}}}),
    ),
    KnownBug(
        "Bundle entry whose resource.resourceType is an object or array: TypeError (unhashable) in "
        "prefetch.gather_resources",
        _unhashable_entry_resource_type,
        _patient_view(_conditions_bundle(entry=[{"resource": {"resourceType": []}}])),
    ),
    KnownBug(
        "Bundle entry whose search is not an object: AttributeError in fhir_client.entries_of",
        _entry_search_not_an_object,
        _patient_view(_conditions_bundle(entry=[{"resource": {"resourceType": "Condition"}, "search": "match"}])),
    ),
    KnownBug(
        "Bundle whose link is a number or boolean: TypeError (not iterable) in fhir_client.next_link",
        _bundle_link_not_iterable,
        _patient_view(_conditions_bundle(link=1)),
    ),
    KnownBug(
        "context.draftOrders a number or boolean (patient-view): TypeError in request._draft_order_resources",
        _draft_orders_not_iterable,
        _patient_view(context={"patientId": "p1", "draftOrders": False}),
    ),
    KnownBug(
        "context.selections null, a number or boolean (patient-view, order-sign): TypeError in "
        "request.parse_request",
        _selections_not_iterable,
        _patient_view(context={"patientId": "p1", "selections": None}),
    ),
    KnownBug(
        "a date in year 9999 in prefetch (the usual open-ended sentinel, e.g. an exposure's effectivePeriod.end): "
        "OverflowError / ValueError in the rules (rules/mmr/post_exposure.py, rules/iim/timing.py, "
        "rules/calendar_math.py); see test_properties.KNOWN_BUGS",
        _year_9999_in_prefetch,
        _patient_view({"observations": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "Observation", "id": "e1", "status": "final",
            "code": {"coding": [{"system": fhir_profiles.PROJECT_CODESYSTEM, "code": ProjectCode.MEASLES_CONTACT}]},
            "subject": {"reference": "Patient/p1"},
            "effectivePeriod": {"start": "2026-11-18", "end": "9999-12-31"}}}]}}),
    ),
)


def known_bug(body: Any) -> KnownBug | None:
    return next((bug for bug in KNOWN_BUGS if bug.matches(body)), None)


# --- the fuzz test -----------------------------------------------------------------------------------------------


@schema.parametrize()
def test_api_conforms_to_openapi(case: Case[Any], wsgi_app: Flask) -> None:
    response = case.call(app=wsgi_app)
    if response.status_code == 500 and known_bug(case.body) is not None:
        return  # reported; reproduced by test_known_service_bug_is_fixed
    case.validate_response(response, checks=CHECKS, transport_kwargs={"app": wsgi_app})


# --- the known bugs, one reproducer each ---------------------------------------------------------------------------


@pytest.fixture
def client_app(tmp_path: Path) -> Flask:
    settings = _settings(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    return create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW))


@pytest.mark.parametrize("bug", KNOWN_BUGS, ids=lambda bug: bug.name.split(":")[0])
def test_known_bug_classes_match_their_reproducers(bug: KnownBug) -> None:
    assert bug.matches(bug.reproducer)
    assert [b for b in KNOWN_BUGS if b.matches(bug.reproducer)] == [bug], "reproducers must not overlap"


@pytest.mark.xfail(strict=True, reason="service bug found by fuzzing (see KNOWN_BUGS); remove the entry once fixed")
@pytest.mark.parametrize("bug", KNOWN_BUGS, ids=lambda bug: bug.name.split(":")[0])
def test_known_service_bug_is_fixed(bug: KnownBug, client_app: Flask) -> None:
    response = client_app.test_client().post("/cds-services/ror-vaccination", json=bug.reproducer)
    assert response.status_code < 500, f"{bug.name}: answered {response.status_code}"
