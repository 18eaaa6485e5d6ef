"""`prevention-cds evaluate` over the Synthea bundles of tests/data: exit 0 and every card valid (issue 2); its
`--summary` counts MMR statuses and every card by outcome, IIM prophylaxis included (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fhir_factory as fhir
from cds_checks import assert_valid_response
from conftest import SYNTHEA_BULK, SYNTHEA_BUNDLES
from prevention_cds.terminology import ProjectCode

BUNDLES = sorted(SYNTHEA_BUNDLES.glob("*.json"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("service", ["ror-vaccination", "iim-prophylaxis", "prevention-order-sign",
                                     "prevention-order-select"])
def test_evaluate_all_synthea_bundles(service: str) -> None:
    assert len(BUNDLES) == 4, "tests/data/synthea-r4-bundles holds 4 bundles"
    result = _run("evaluate", str(SYNTHEA_BUNDLES), "--service", service, "--today", "2026-11-21")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == len(BUNDLES)
    for line in lines:
        assert_valid_response({"cards": line["cards"]})
    assert "Traceback" not in result.stderr


def test_evaluate_one_bundle_prints_the_response() -> None:
    result = _run("evaluate", str(BUNDLES[0]), "--today", "2026-11-21", "--lang", "en")
    assert result.returncode == 0
    assert_valid_response(json.loads(result.stdout))


def test_evaluate_bulk_summary() -> None:
    result = _run("evaluate", str(SYNTHEA_BULK), "--service", "ror-vaccination",
                  "--today", "2026-11-21", "--summary")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    patients = (SYNTHEA_BULK / "Patient.000.ndjson").read_text().count("\n")
    # 120 Patient lines, each once: the 20 deceased apart (as the scan counts them), the living by status
    assert summary["patients"] == patients == sum(summary["by_status"].values()) + summary["deceased"]
    assert summary["deceased"] == 20
    living = patients - summary["deceased"]
    nothing_owed = sum(summary["by_status"][s] for s in ("not-yet-due", "immune", "complete"))
    assert summary["patients_without_card"] == nothing_owed  # no card when nothing is owed (the default)
    assert sum(summary["cards_by_outcome"].values()) == living - nothing_owed  # one MMR card each otherwise


def _iim_contacts(folder: Path) -> Path:
    """One Bundle per patient, as of 2026-11-21: one for each outcome the summary must name, and one not exposed."""
    contact = ProjectCode.IIM_CONTACT
    records = {
        "adult-household": [fhir.patient("adult-household", "1990-05-04", "male"),
                            fhir.weight("adult-household", 78, "2026-11-10"),
                            fhir.exposure("adult-household", contact, "2026-11-20T18:00:00+01:00", "household", "B")],
        "child-no-weight": [fhir.patient("child-no-weight", "2018-03-02"),
                            fhir.exposure("child-no-weight", contact, "2026-11-19T10:00:00+01:00",
                                          "school-classroom-neighbour", "C")],
        "party-guest": [fhir.patient("party-guest", "1995-01-01"),
                        fhir.exposure("party-guest", contact, "2026-11-20T10:00:00+01:00", "party-or-meal", "B")],
        "late-contact": [fhir.patient("late-contact", "1985-01-01"), fhir.weight("late-contact", 60, "2026-11-01"),
                         fhir.exposure("late-contact", contact, "2026-11-01T10:00:00+01:00", "household", "B")],
        "not-exposed": [fhir.patient("not-exposed", "1985-01-01")],
    }
    for name, resources in records.items():
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
        (folder / f"{name}.json").write_text(json.dumps(bundle), encoding="utf-8")
    return folder


def test_evaluate_summary_counts_iim_cards_by_outcome(tmp_path: Path) -> None:
    folder = _iim_contacts(tmp_path)
    result = _run("evaluate", str(folder), "--service", "iim-prophylaxis", "--today", "2026-11-21", "--summary")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {
        "patients": 5,
        "deceased": 0,
        "errors": 0,
        "resources_of_absent_patients": 0,
        "cards_by_outcome": {
            "iim.not-a-contact": 1,           # a party guest: not a contact at risk
            "iim.prophylaxis.rifampicin": 1,  # household contact, weighed: prophylaxis proposed
            "iim.vaccination": 1,             # serogroup C classroom neighbour: vaccination of the contact
            "iim.weight-needed": 1,           # the same child, never weighed: no dose without a weight
            "iim.window-closed": 1,           # last contact 20 days ago
        },
        "patients_without_card": 1,
    }  # no MMR status: the service does not run the MMR rules
    cards = _run("evaluate", str(folder), "--service", "iim-prophylaxis", "--today", "2026-11-21")
    printed = sum(len(json.loads(line)["cards"]) for line in cards.stdout.splitlines() if line.strip())
    assert printed == 5, "every card printed is counted once in the summary"


def test_evaluate_missing_path_exits_2() -> None:
    assert _run("evaluate", "/nonexistent/path").returncode == 2


def _transaction_bundle(folder: Path) -> Path:
    """A transaction Bundle whose Patient has no id (its fullUrl only), a pregnancy referring to that fullUrl,
    an entry whose resource is not an object, an entry without a resource, and a dose of an absent patient."""
    url = "urn:uuid:11111111-1111-1111-1111-111111111111"
    pregnancy = {"resourceType": "Observation", "status": "final", "subject": {"reference": url},
                 "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                 "effectiveDateTime": "2026-11-01",
                 "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]}}
    dose = {"resourceType": "Immunization", "status": "completed", "patient": {"reference": "Patient/absent"},
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]},
            "occurrenceDateTime": "2000-04-01"}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": url, "resource": {"resourceType": "Patient", "birthDate": "1995-03-03", "gender": "female"}},
        {"resource": pregnancy}, {"resource": dose}, {"fullUrl": "urn:uuid:5", "resource": "not an object"},
        {"fullUrl": "urn:uuid:6"}]}
    path = folder / "transaction.json"
    path.write_text(json.dumps(bundle))
    return path


def test_evaluate_a_patient_known_by_its_fullurl_and_entries_that_cannot_be_read(tmp_path: Path) -> None:
    path = _transaction_bundle(tmp_path)
    result = _run("evaluate", str(path), "--today", "2026-11-21")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [c["indicator"] for c in json.loads(result.stdout)["cards"]] == ["warning"]  # the pregnancy, read
    assert "transaction.json: entry 4: its resource is not a FHIR resource" in result.stderr
    assert "transaction.json: entry 5: no resource" in result.stderr
    assert "1 resource(s) name a patient that is not in the input" in result.stderr
    summary = _run("evaluate", str(path), "--today", "2026-11-21", "--summary")
    assert summary.returncode == 1
    counts = json.loads(summary.stdout)
    assert (counts["patients"], counts["errors"], counts["resources_of_absent_patients"]) == (1, 2, 1)
    assert counts["by_status"]["contraindicated"] == 1


def test_evaluate_says_when_no_patient_is_found(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    result = _run("evaluate", str(path))
    assert result.returncode == 1 and "no patient in the input" in result.stderr
