"""Issue 5, item 4: a real FHIR server (Medplum) behind a fault-injecting proxy. Whatever the fault, the service
answers within its deadline plus one second, with 412 (a fact it needs could not be had), never a hang, never a
500; with the proxy passing everything through, it answers 200 with the same cards as a direct fetch."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from conftest import SYNTHEA_BUNDLES
from fault_server import FAULTS, FaultServer
from fhir_server_harness import MedplumServer

pytestmark = pytest.mark.integration
DEADLINE = 4.0  # settings fixture: fhir_deadline_seconds (per-request timeout 2 s)


@pytest.fixture(scope="module")
def loaded(fhir_server: MedplumServer) -> str:
    response = fhir_server.load_bundle(sorted(SYNTHEA_BUNDLES.glob("*.json"))[1])
    return str(next(e["resource"]["id"] for e in response["entry"] if e["resource"]["resourceType"] == "Patient"))


@pytest.fixture(scope="module")
def proxy(fhir_server: MedplumServer) -> Iterator[FaultServer]:
    with FaultServer(delay=8.0, upstream=fhir_server.base_url) as server:
        yield server


def _call(client: FlaskClient, fhir_server: str, patient_id: str, service: str = "ror-vaccination") -> tuple[int, float, dict]:  # type: ignore[type-arg]
    body = {"hook": "patient-view", "hookInstance": "0d9f8a52-3c1e-4bb4-9c8e-6f1a1e0c2b11", "fhirServer": fhir_server,
            "context": {"userId": "Practitioner/1", "patientId": patient_id}}
    started = time.monotonic()
    response = client.post(f"/cds-services/{service}", json=body)
    return response.status_code, time.monotonic() - started, response.get_json()


def test_proxy_passing_through_gives_the_direct_answer(patient_client: FlaskClient, proxy: FaultServer, loaded: str,
                                                        fhir_server: MedplumServer) -> None:
    status, _, via_proxy = _call(patient_client, proxy.base("ok"), loaded)
    assert status == 200, via_proxy
    assert_valid_response(via_proxy)
    _, _, direct = _call(patient_client, fhir_server.base_url, loaded)
    assert [c["summary"] for c in via_proxy["cards"]] == [c["summary"] for c in direct["cards"]]


# A read (Patient) has no Bundle to be of the wrong type and no paging to loop.
SCENARIOS = [(fault, target) for fault in FAULTS for target in ("", "~Patient", "~Immunization", "~AllergyIntolerance")
             if not (fault in ("wrong-type", "loop") and target == "~Patient")]


@pytest.mark.parametrize(("fault", "target"), SCENARIOS)
def test_every_fault_answers_412_within_the_deadline(client: FlaskClient, proxy: FaultServer, loaded: str,
                                                     fault: str, target: str) -> None:
    status, elapsed, body = _call(client, proxy.base(fault + target), loaded)
    assert status == 412, body
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"]
    assert elapsed < DEADLINE + 1.0, f"{fault}{target} took {elapsed:.1f} s"


def test_faults_on_the_iim_service_too(client: FlaskClient, proxy: FaultServer, loaded: str) -> None:
    for fault in ("status500", "slow", "huge"):
        status, elapsed, _ = _call(client, proxy.base(fault + "~MedicationRequest"), loaded, "iim-prophylaxis")
        assert status == 412 and elapsed < DEADLINE + 1.0
