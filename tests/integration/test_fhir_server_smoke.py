"""Smoke test of the FHIR test server: load a Synthea transaction bundle, read and search it back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conftest import SYNTHEA_BUNDLES
from fhir_server_harness import MedplumServer

pytestmark = pytest.mark.integration

SYNTHEA_BUNDLE = SYNTHEA_BUNDLES / "Alda_Carter_ee1034c9-cb75-413c-8f36-da7e4268d2b5.json"


def _synthea_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(SYNTHEA_BUNDLE.read_text(encoding="utf-8"))
    return bundle


def _get(url: str, **params: str) -> dict[str, Any]:
    response = requests.get(url, params=params or None, timeout=30)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    return body


def _next_link(bundle: dict[str, Any]) -> str | None:
    return next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)


def test_load_synthea_bundle_then_read_search_and_page(fhir_server: MedplumServer) -> None:
    bundle = _synthea_bundle()
    expected = sum(1 for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Immunization")
    assert expected > 2

    loaded = fhir_server.load_bundle(bundle)

    assert loaded["type"] == "transaction-response"
    assert len(loaded["entry"]) == len(bundle["entry"])
    assert all(entry["response"]["status"].startswith("2") for entry in loaded["entry"])
    patient_id = next(
        entry["resource"]["id"] for entry in loaded["entry"] if entry["resource"]["resourceType"] == "Patient"
    )
    assert patient_id in fhir_server.patient_ids()

    patient = _get(f"{fhir_server.base_url}/Patient/{patient_id}")
    assert (patient["resourceType"], patient["id"]) == ("Patient", patient_id)
    assert patient["name"][0]["family"] == "Carter"

    found = _get(f"{fhir_server.base_url}/Immunization", patient=patient_id)
    assert (found["type"], found["total"]) == ("searchset", expected)
    assert len(found["entry"]) == expected
    assert {entry["resource"]["patient"]["reference"] for entry in found["entry"]} == {f"Patient/{patient_id}"}

    page_ids: list[str] = []
    pages = 0
    url: str | None = f"{fhir_server.base_url}/Immunization?patient={patient_id}&_count=2"
    while url:
        page = _get(url)
        pages += 1
        assert len(page.get("entry", [])) <= 2
        page_ids.extend(entry["resource"]["id"] for entry in page.get("entry", []))
        url = _next_link(page)
    assert pages == (expected + 1) // 2
    assert sorted(page_ids) == sorted(entry["resource"]["id"] for entry in found["entry"])


def test_post_search_and_metadata(fhir_server: MedplumServer) -> None:
    created = requests.post(
        f"{fhir_server.base_url}/Patient",
        json={"resourceType": "Patient", "identifier": [{"system": "urn:smoke", "value": "post-search"}]},
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert created.status_code == 201, created.text[:500]

    response = requests.post(
        f"{fhir_server.base_url}/Patient/_search", data={"identifier": "urn:smoke|post-search"}, timeout=30
    )
    assert response.status_code == 200
    assert [entry["resource"]["id"] for entry in response.json()["entry"]] == [created.json()["id"]]

    assert _get(f"{fhir_server.base_url}/metadata")["fhirVersion"] == "4.0.1"


def test_bearer_token_required_and_recorded(fhir_server_factory: Callable[..., MedplumServer]) -> None:
    server = fhir_server_factory(require_bearer="s3cret")
    server.clear_requests()

    assert requests.get(f"{server.base_url}/metadata", timeout=30).status_code == 401
    wrong = requests.get(f"{server.base_url}/metadata", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401
    right = requests.get(f"{server.base_url}/metadata", headers={"Authorization": "Bearer s3cret"}, timeout=30)
    assert right.status_code == 200

    assert server.requests_seen() == [
        {"method": "GET", "path": "/fhir/R4/metadata", "authorization": auth}
        for auth in (None, "Bearer nope", "Bearer s3cret")
    ]
    server.clear_requests()
    assert server.requests_seen() == []
