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
