"""Issue 2: a real FHIR server (Medplum in memory) holds a Synthea patient; patient-view is called without
prefetch, so the service fetches everything from it. The cards must be those a full prefetch gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from conftest import SYNTHEA_BUNDLES
from fhir_server_harness import MedplumServer
from prevention_cds.fhir_in.bundle_entries import resources_of
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import SERVICES_BY_ID

pytestmark = pytest.mark.integration


def _comparable(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((c["summary"], c["indicator"], c.get("detail", "")) for c in body["cards"])


@pytest.mark.parametrize("service_id", ["ror-vaccination", "iim-prophylaxis"])
@pytest.mark.parametrize("bundle", sorted(SYNTHEA_BUNDLES.glob("*.json"))[:3], ids=lambda p: p.name.split("_")[0])
def test_patient_view_without_prefetch_fetches_from_the_server(
    patient_client: FlaskClient, fhir_server: MedplumServer, service_id: str, bundle: Any
) -> None:
    loaded = fhir_server.load_bundle(bundle)
    patient_id = next(e["resource"]["id"] for e in loaded["entry"] if e["resource"]["resourceType"] == "Patient")
    fhir_server.clear_requests()

    body = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
            "fhirServer": fhir_server.base_url, "context": {"userId": "Practitioner/1", "patientId": patient_id}}
    fetched = patient_client.post(f"/cds-services/{service_id}", json=body)
    assert fetched.status_code == 200, fetched.get_json()
    assert_valid_response(fetched.get_json())
    paths = [str(r["path"]) for r in fhir_server.requests_seen()]
    assert any(p.startswith(f"/fhir/R4/Patient/{patient_id}") for p in paths)
    assert any(p.startswith("/fhir/R4/Immunization?patient=") for p in paths)

    # The same patient with a full prefetch built from the bundle file (ids as the server stored them).
    resources = [e["resource"] for e in loaded["entry"]]
    assert len(resources) == len(resources_of(json.loads(bundle.read_text())))
    prefetched = patient_client.post(f"/cds-services/{service_id}",
                             json=request_body(SERVICES_BY_ID[service_id], patient_id, resources))
    assert _comparable(fetched.get_json()) == _comparable(prefetched.get_json())
