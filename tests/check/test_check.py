"""``prevention-cds check`` against the in-memory FHIR server loaded with the test data, and against the fault
server in front of it (errors, paging loops, answers of the wrong type)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import SYNTHEA_BUNDLES
from fault_server import FaultServer
from fhir_factory import exposure
from fhir_server_harness import MedplumServer
from prevention_cds.app.cli import main
from prevention_cds.check.probe import QueryContext, probe_query
from prevention_cds.fhir_in.capability import ServerCapabilities, read_capabilities
from prevention_cds.hooks.catalog import SERVICES, prefetch_keys
from prevention_cds.hooks.request import HookRequest
from prevention_cds.terminology.index import CodeIndex

BUNDLE = SYNTHEA_BUNDLES / "Alda_Carter_ee1034c9-cb75-413c-8f36-da7e4268d2b5.json"
TODAY = "2026-11-21"


def _load(server: MedplumServer) -> tuple[str, int]:
    """The test bundle and an IIM exposure of its patient loaded; the patient's id and immunization count."""
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    loaded = server.load_bundle(bundle)
    patient_id = next(e["resource"]["id"] for e in loaded["entry"] if e["resource"]["resourceType"] == "Patient")
    contact = exposure(patient_id, "iim-contact", "2026-11-20T18:30:00+01:00", "household", "W")
    server.load_bundle({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {k: v for k, v in contact.items() if k != "id"}, "request": {"method": "POST", "url": "Observation"}}]})
    immunizations = sum(e["resource"]["resourceType"] == "Immunization" for e in bundle["entry"])
    return patient_id, immunizations


def _check(capsys: pytest.CaptureFixture[str], out: Path, server: str, *patients: str) -> tuple[int, dict[str, Any], str]:
    argv = ["check", "--fhir-server", server, "--out", str(out), "--today", TODAY, "--lang", "en"]
    for patient_id in patients:
        argv += ["--patient", patient_id]
    status = main(argv)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return status, report, capsys.readouterr().out


def _queries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["key"]: q for q in report["patients"][0]["queries"]}


@pytest.fixture(scope="module")
def loaded_server() -> Iterator[tuple[MedplumServer, str, int]]:
    if not MedplumServer.available():
        pytest.skip("Medplum FHIR test server not installed")
    with MedplumServer(default_count=10) as server:  # searches come back in pages of 10, as many servers do
        patient_id, immunizations = _load(server)
        yield server, patient_id, immunizations


@pytest.mark.integration
def test_every_query_of_every_service_on_the_loaded_server(
    loaded_server: tuple[MedplumServer, str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    client: FlaskClient,
) -> None:
    server, patient_id, immunizations = loaded_server
    status, report, text = _check(capsys, tmp_path, server.base_url, patient_id)
    assert status == 0 and report["passed"], text
    assert report["capability"]["fhirVersion"] == "4.0.1"
    queries = _queries(report)
    assert set(queries) == set(prefetch_keys())
    assert all(q["status"] in ("ok", "warning") and q["error"] is None for q in queries.values()), queries
    # the test server lists no search parameter: said, not failed
    assert "no search parameter is declared for this type" in queries["immunizations"]["not_declared"]
    assert queries["patient"]["resources"] == 1 and queries["immunizations"]["resources"] == immunizations
    assert queries["immunizations"]["pages"] == -(-immunizations // 10)  # the server's pages of 10, all followed
    assert any(n.startswith("paging followed") for n in queries["immunizations"]["notes"])
    cvx = queries["immunizations"]["codes"]["http://hl7.org/fhir/sid/cvx"]
    assert cvx["recognised"] and cvx["unrecognised"]  # Synthea gives MMR and vaccines the rules do not read
    observations = queries["observations"]
    assert observations["resources"] >= 2 and not any("ignore" in n for n in observations["notes"])
    assert "29463-7" in observations["codes"]["http://loinc.org"]["recognised"]
    assert "iim-contact" in observations["codes"]["https://prevention-cds.github.io/fhir/CodeSystem/prevention-cds"][
        "recognised"]

    answers = {a["service"]: a for a in report["patients"][0]["services"]}
    assert set(answers) == {s.id for s in SERVICES} and not any(a["error"] for a in answers.values())
    assert answers["iim-prophylaxis"]["cards"]  # the household contact
    # the request written replays on the service with the same answer
    replayed = client.post("/cds-services/iim-prophylaxis",
                           json=json.loads(Path(answers["iim-prophylaxis"]["request"]).read_text(encoding="utf-8")),
                           headers={"Accept-Language": "en"})
    assert [c["summary"] for c in replayed.get_json()["cards"]] == [
        c["summary"] for c in answers["iim-prophylaxis"]["cards"]]
    assert f"--data @{answers['iim-prophylaxis']['request']} http://127.0.0.1:8080/cds-services/iim-prophylaxis" in text


@pytest.mark.integration
def test_a_patient_the_server_does_not_hold_fails_the_check(
    loaded_server: tuple[MedplumServer, str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _, _ = loaded_server
    monkeypatch.setenv("PREVENTION_CDS_CHECK_TOKEN", "s3cret-token")
    status, report, text = _check(capsys, tmp_path, server.base_url, "does-not-exist")
    assert status == 1 and not report["passed"], text
    patient = _queries(report)["patient"]
    assert patient["status"] == "failed" and patient["error"] == "no Patient does-not-exist on the server"
    assert all(a["error"] for a in report["patients"][0]["services"])  # each service would refuse the call (412)
    # the replay lines carry the client JWT as a shell variable, never the token given to the check
    assert 'curl -s -X POST -H \'Content-Type: application/json\' -H "Authorization: Bearer $PREVENTION_CDS_JWT"' in text
    assert "s3cret-token" not in text and "s3cret-token" not in (tmp_path / "report.json").read_text()
    assert "FAILED" in text


@pytest.mark.integration
def test_without_a_patient_the_servers_first_patients_are_checked(
    fhir_server_factory: Callable[..., MedplumServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fhir_server_factory()
    patient_id, _ = _load(server)
    status, report, _ = _check(capsys, tmp_path, server.base_url)
    assert status == 0 and [p["patient"] for p in report["patients"]] == [patient_id]


@pytest.mark.integration
@pytest.mark.parametrize(("mode", "key", "said"), [
    ("status500~AllergyIntolerance", "allergies", "HTTP 500"),
    ("loop~Immunization", "immunizations", "paging loops"),
    ("wrong-type~Condition", "conditions", "not a Bundle"),
    ("garbage~MedicationRequest", "medicationRequests", "invalid JSON"),
    ("status401~Patient", "patient", "HTTP 401"),
])
def test_a_failing_query_is_reported_and_its_service_answer_said(
    loaded_server: tuple[MedplumServer, str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    mode: str, key: str, said: str,
) -> None:
    server, patient_id, _ = loaded_server
    with FaultServer(upstream=server.base_url) as faults:
        status, report, text = _check(capsys, tmp_path, faults.base(mode), patient_id)
    assert status == 1 and not report["passed"], text
    queries = _queries(report)
    assert queries[key]["status"] == "failed" and said in queries[key]["error"], queries[key]
    assert all(q["status"] != "failed" for name, q in queries.items() if name != key)
    for answer in report["patients"][0]["services"]:  # the request leaves the key out: the service cannot answer
        assert answer["error"] and key not in json.loads(Path(answer["request"]).read_text(encoding="utf-8"))["prefetch"]
    assert "FAILED" in text


@pytest.mark.integration
def test_an_unreachable_server_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FaultServer() as faults:
        unreachable = f"http://127.0.0.1:{faults.port}/x"
    status, report, _ = _check(capsys, tmp_path, unreachable, "p1")
    assert status == 1 and any(p.startswith("metadata:") for p in report["problems"])
    assert all(q["status"] == "failed" for q in _queries(report).values())


def test_a_fhir_server_that_is_not_a_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--fhir-server", "ftp://x"]) == 2
    assert "http(s)" in capsys.readouterr().err


# --- the probes on a reader that ignores what it is asked (the port of hooks/prefetch.py) ---------------------


class _IgnoringReader:
    """A server that answers every search with every Observation it has, whatever the parameters."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.resources = resources

    def fetch(self, path: str) -> dict[str, Any] | None:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in self.resources]}

    def seconds_left(self) -> float:
        return 10.0

    def close(self) -> None:
        pass


def _context(reader: _IgnoringReader, capabilities: ServerCapabilities | None = None) -> QueryContext:
    request = HookRequest(hook="patient-view", hook_instance="t", patient_id="p1", user_id=None, encounter_id=None,
                          fhir_server="https://fhir.example.org", access_token=None, prefetch={})
    return QueryContext(request, capabilities or ServerCapabilities(), lambda: reader, 20, CodeIndex.load())


def test_a_server_that_ignores_code_and_patient_is_found_out() -> None:
    other = {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p2"},
             "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}}
    report, _ = probe_query(_context(_IgnoringReader([other])), "observations", prefetch_keys()["observations"])
    assert report.status == "warning"
    notes = " ".join(report.notes)
    assert "another patient" in notes and "ignore code with a system" in notes and "ignores the code parameter" in notes
    assert report.codes.unrecognised == {"http://loinc.org": {"8867-4"}}
    assert "Observation is not in the CapabilityStatement" in report.declared


def test_the_capability_statement_is_read_whatever_its_shape() -> None:
    assert read_capabilities({"resourceType": "Patient"}) == ServerCapabilities()
    odd = read_capabilities({"resourceType": "CapabilityStatement", "fhirVersion": 4, "rest": [
        {"mode": "server", "resource": [{"type": "Observation", "interaction": "read", "searchParam": [{"name": 1}]},
                                        "x", {"type": 2}]}, "y", {"mode": "client", "resource": []}]})
    support = odd.support("Observation")
    assert odd.fhir_version is None and support is not None
    assert support.interactions == frozenset() and support.search_params == frozenset()
