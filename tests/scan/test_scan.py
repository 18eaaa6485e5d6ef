"""The population scan on exports made from the sample: partitions and streaming, gzip, bad lines, resources of
another type, deceased patients, resources without a patient, the manifest, and the same record path as the
services."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from bench.scan_export import generate
from conftest import FROZEN_NOW
from prevention_cds.evaluate import evaluate_patient
from prevention_cds.fhir_in.bundle_entries import group_by_patient, read_inputs
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.rules.status import vaccination_status
from prevention_cds.scan.runner import ScanOutcome
from prevention_cds.terminology.index import CodeIndex

from .exports import SAMPLE, gzip_export

Scan = Callable[..., ScanOutcome]
KIB = 1 << 10


def rows(outcome: ScanOutcome) -> list[dict[str, Any]]:
    return list(pq.read_table(outcome.out / "patients.parquet").to_pylist())


def errors(outcome: ScanOutcome) -> list[dict[str, str]]:
    with (outcome.out / "errors.csv").open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def by_id(outcome: ScanOutcome) -> dict[str, dict[str, Any]]:
    return {row["patient_id"]: row for row in rows(outcome)}


def test_sample_export_every_living_patient_once_deceased_counted(scan: Scan) -> None:
    outcome = scan(SAMPLE)
    patients = outcome.summary["patients"]
    assert patients["in_export"] == 120 and patients["deceased_excluded"] == 20 and patients["evaluated"] == 100
    table = rows(outcome)
    assert len(table) == len({r["patient_id"] for r in table}) == 100
    assert sum(outcome.summary["mmr_status"].values()) == 100
    assert outcome.summary["input"]["resources"] == {"AllergyIntolerance": 75, "Immunization": 1818, "Patient": 120}
    assert outcome.skipped_lines == 0 and errors(outcome) == []
    with (outcome.out / "patients.csv").open(encoding="utf-8") as stream:
        assert len(list(csv.DictReader(stream))) == 100


def test_the_same_status_as_the_services_record_path(scan: Scan) -> None:
    """Each row is what evaluate_patient and the shared status reading give on the patient's resources."""
    table = by_id(scan(SAMPLE))
    index, rules = CodeIndex.load(), {"mmr": MmrRules()}
    settings = RuleSettings(info_card_when_up_to_date=True)
    now = table_now()
    checked = 0
    for read in read_inputs(SAMPLE):
        for patient_id, items in group_by_patient(read.resources).patients.items():
            if patient_id not in table:
                continue
            status = vaccination_status(evaluate_patient(patient_id, items, rules, now, settings, index).advice)
            row = table[patient_id]
            assert (row["mmr_status"], row["mmr_doses_counted"], row["mmr_doses_rejected"], row["mmr_reason"]) == (
                status.status, status.doses_counted, status.doses_rejected, status.reason)
            assert row["mmr_next_dose"] == status.next_dose
            checked += 1
    assert checked == 100


def table_now() -> Any:
    from datetime import datetime, time

    return datetime.combine(FROZEN_NOW.date(), time(12, 0), tzinfo=FROZEN_NOW.tzinfo)


def test_partitions_runs_and_chunks_on_a_generated_export(scan: Scan, tmp_path: Path) -> None:
    """Small partitions, chunks and run buffers: many of each, and the same rows as one partition."""
    export = tmp_path / "generated"
    generate(export, patients=600, per_file=250, compress=False)
    assert len(list(export.glob("Immunization.*.ndjson"))) == 3
    whole = scan(export)
    small = scan(export, partition_bytes=256 * KIB, chunk_bytes=192 * KIB, run_bytes=64 * KIB, keep_work=True)
    assert small.summary["partitions"] > 20
    work = small.out / ".scan-work"
    runs = list((work / "runs").glob("*.run"))
    assert len(runs) > 40
    assert max(r.stat().st_size for r in runs) < 64 * KIB + 16 * KIB  # a run spills at its buffer's size
    assert sorted(rows(small), key=lambda r: r["patient_id"]) == sorted(rows(whole), key=lambda r: r["patient_id"])
    assert small.summary["input"]["lines"] == whole.summary["input"]["lines"] == sum(
        1 for f in export.glob("*.ndjson") for _ in f.open("rb"))
    assert small.summary["patients"]["in_export"] == 600
    assert small.summary["input"]["manifest"] == "manifest.json"
    assert {r["departement"] for r in rows(small)} >= {"75", "2A", "2B", "971", "976"}


def test_gzip_files_give_the_same_result(scan: Scan, tmp_path: Path) -> None:
    packed = gzip_export(SAMPLE, tmp_path / "packed")
    plain, gz = scan(SAMPLE), scan(packed)
    assert rows(gz) == rows(plain) and gz.summary["patients"] == plain.summary["patients"]
    assert gz.summary["partitions"] == plain.summary["partitions"]  # the size estimate read from the gzip trailer


def test_a_truncated_line_is_reported_and_skipped_the_rest_read(scan: Scan, sample_export: Path) -> None:
    patients = sample_export / "Patient.000.ndjson"
    lines = patients.read_bytes().splitlines(keepends=True)
    truncated = lines[5][: len(lines[5]) // 2] + b"\n"
    patients.write_bytes(b"".join([*lines[:5], truncated, *lines[6:], b"[1, 2]\n", b"\n"]))
    outcome = scan(sample_export)
    assert outcome.skipped_lines == 2
    reported = errors(outcome)
    assert [(e["file"], e["line"], e["severity"]) for e in reported] == [
        ("Patient.000.ndjson", "6", "error"), ("Patient.000.ndjson", "121", "error")]
    assert reported[0]["reason"].startswith("not JSON") and "resourceType" in reported[1]["reason"]
    assert outcome.summary["patients"]["in_export"] == 119


def test_line_numbers_stay_right_across_chunks(scan: Scan, sample_export: Path) -> None:
    immunizations = sample_export / "Immunization.000.ndjson"
    lines = immunizations.read_bytes().splitlines(keepends=True)
    lines[1500] = b"{not json\n"
    immunizations.write_bytes(b"".join(lines))
    outcome = scan(sample_export, chunk_bytes=100 * KIB, workers=2)
    assert [(e["file"], e["line"]) for e in errors(outcome)] == [("Immunization.000.ndjson", "1501")]
    assert outcome.summary["input"]["lines"] == 2013


def test_a_resource_of_another_type_is_read_as_its_type_with_a_warning(scan: Scan, sample_export: Path) -> None:
    baseline = by_id(scan(SAMPLE))
    immunizations = sample_export / "Immunization.000.ndjson"
    lines = immunizations.read_bytes().splitlines(keepends=True)
    moved = next(i for i, line in enumerate(lines) if b'"code":"03"' in line)  # an MMR dose (CVX 03)
    patient_id = orjson.loads(lines[moved])["patient"]["reference"].removeprefix("Patient/")
    immunizations.write_bytes(b"".join(lines[:moved] + lines[moved + 1:]))
    with (sample_export / "Patient.000.ndjson").open("ab") as stream:
        stream.write(lines[moved])
    outcome = scan(sample_export)
    assert outcome.skipped_lines == 0
    [warning] = errors(outcome)
    assert warning["severity"] == "warning" and warning["line"] == "121" and "Immunization" in warning["reason"]
    assert by_id(outcome)[patient_id] == baseline[patient_id]  # the dose still counts


def test_deceased_patients_are_excluded_and_counted(scan: Scan, sample_export: Path) -> None:
    path = sample_export / "Patient.000.ndjson"
    patients = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    alive = [p for p in patients if "deceasedDateTime" not in p and "deceasedBoolean" not in p]
    alive[0]["deceasedBoolean"] = True
    alive[1]["deceasedDateTime"] = "2030-01-01T00:00:00Z"  # after the scan's day: alive on that day
    alive[2]["deceasedDateTime"] = "soon"
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in patients))
    outcome = scan(sample_export)
    counts = outcome.summary["patients"]
    assert counts["deceased_excluded"] == 21 and counts["evaluated"] == 99 and counts["deceased_date_unreadable"] == 1
    table = by_id(outcome)
    assert alive[0]["id"] not in table and alive[1]["id"] in table and alive[2]["id"] in table


def test_values_that_cannot_be_read_are_kept_as_recorded_per_patient(scan: Scan, sample_export: Path) -> None:
    """A birth date of 2026-13-45 or 2000-02-30 stays in ``birth_date`` as written (no birth year, no age band),
    and each unreadable value is listed on its patient's row with the resource that gives it."""
    path = sample_export / "Patient.000.ndjson"
    patients = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    alive = [p for p in patients if "deceasedDateTime" not in p and "deceasedBoolean" not in p]
    alive[0]["birthDate"], alive[1]["birthDate"] = "2026-13-45", "2000-02-30"
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in patients))
    doses = sample_export / "Immunization.000.ndjson"
    lines = doses.read_bytes().splitlines()
    others = {p["id"] for p in alive[2:]}
    at = next(i for i, line in enumerate(lines) if b'"code":"03"' in line
              and orjson.loads(line)["patient"]["reference"].removeprefix("Patient/") in others)  # an MMR dose
    dose = orjson.loads(lines[at])
    dose["occurrenceDateTime"] = "2026-13-45"
    lines[at] = orjson.dumps(dose)
    doses.write_bytes(b"\n".join(lines) + b"\n")
    outcome = scan(sample_export)
    table = by_id(outcome)
    first, second = table[alive[0]["id"]], table[alive[1]["id"]]
    assert (first["birth_date"], first["birth_year"]) == ("2026-13-45", None)
    assert first["unreadable_values"] == f"birth-date: 2026-13-45 (Patient/{alive[0]['id']})"
    assert (second["birth_date"], second["birth_year"]) == ("2000-02-30", None)
    owner = dose["patient"]["reference"].removeprefix("Patient/")
    assert f"dose-date: 2026-13-45 (Immunization/{dose['id']})" in table[owner]["unreadable_values"]
    assert outcome.summary["patients"]["with_unreadable_values"] == 3
    assert sum(r["unreadable_values"] is not None for r in table.values()) == 3
    bands = {r["group"]: r["patients"] for r in pq.read_table(outcome.out / "aggregates.parquet").to_pylist()
             if r["dimension"] == "age_band" and r["measure"] == "mmr_status"}
    assert bands.get("unknown", 0) >= 2


def test_resources_without_a_readable_patient_reference_are_counted_apart(scan: Scan, sample_export: Path) -> None:
    path = sample_export / "Immunization.000.ndjson"
    lines = path.read_bytes().splitlines()
    first, second, third = (orjson.loads(line) for line in lines[:3])
    del first["patient"]
    second["patient"] = {"reference": "Patient?identifier=urn:x|1"}
    third["patient"] = {"reference": "Patient/nobody-exported"}
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in (first, second, third)) + b"\n".join(lines[3:]))
    outcome = scan(sample_export)
    assert outcome.summary["input"]["resources_without_patient_reference"] == {"Immunization": 2}
    assert outcome.summary["patients"]["referenced_but_absent"] == 1
    assert outcome.summary["patients"]["resources_of_absent_patients"] == 1


def test_manifest_lists_the_files_and_a_missing_one_is_said(scan: Scan, tmp_path: Path) -> None:
    export = tmp_path / "generated"
    generate(export, patients=50, per_file=100, compress=True)
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["output"].append({"type": "Immunization", "url": "https://bulk.example.org/files/Immunization.009.ndjson"})
    manifest["output"].append({"type": "Encounter", "url": "https://bulk.example.org/files/Encounter.000.ndjson"})
    (export / "manifest.json").write_text(json.dumps(manifest))
    with gzip.open(export / "Encounter.000.ndjson", "wb") as stream:
        stream.write(b'{"resourceType":"Encounter","id":"e1"}\n')
    (export / "stray.ndjson").write_text("{}\n")  # not in the manifest: not read
    outcome = scan(export)
    read = outcome.summary["input"]
    assert read["manifest"] == "manifest.json" and read["transaction_time"] == manifest["transactionTime"]
    assert read["missing_files"] == ["Immunization.009.ndjson"]
    assert read["files_not_read"] == [{"file": "Encounter.000.ndjson", "type": "Encounter"}]
    assert {f["file"] for f in read["files"]} == {"Patient.000.ndjson.gz", "Immunization.000.ndjson.gz",
                                                  "AllergyIntolerance.000.ndjson.gz"}
    assert outcome.summary["patients"]["in_export"] == 50


def test_a_bundle_folder(scan: Scan, tmp_path: Path) -> None:
    """Each patient's resources as a transaction Bundle (urn:uuid references): the same rows as the export."""
    folder = tmp_path / "bundles"
    folder.mkdir()
    for patient_id, items in group_by_patient(r for read in read_inputs(SAMPLE) for r in read.resources).patients.items():
        entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": _local(r)} for r in items]
        (folder / f"{patient_id}.json").write_bytes(orjson.dumps({"resourceType": "Bundle", "type": "transaction",
                                                                  "entry": entries}))
    (folder / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    outcome = scan(folder)
    assert rows(outcome) == rows(scan(SAMPLE))
    assert [(e["file"], e["severity"]) for e in errors(outcome)] == [("broken.json", "error")]


def test_a_bundle_whose_patient_has_only_a_fullurl(scan: Scan, tmp_path: Path) -> None:
    """FHIR resolves a reference through the entries' fullUrl: a Patient with no id is still found, with its
    doses; an entry whose resource is not an object is listed in errors.csv with its entry number."""
    folder = tmp_path / "bundles"
    folder.mkdir()
    patient_id, items = next(iter(group_by_patient(next(read_inputs(SAMPLE)).resources).patients.items()))
    local = [_local(r) for r in items]
    for resource in local:
        if resource["resourceType"] == "Patient":
            del resource["id"]
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"urn:uuid:{r['id']}", "resource": c} for r, c in zip(items, local, strict=True)]
    entries.append({"fullUrl": "urn:uuid:x", "resource": "not an object"})
    (folder / "one.json").write_bytes(orjson.dumps({"resourceType": "Bundle", "type": "transaction",
                                                    "entry": entries}))
    outcome = scan(folder)
    assert [r["patient_id"] for r in rows(outcome)] == [patient_id]
    assert outcome.summary["patients"]["resources_of_absent_patients"] == 0
    assert outcome.summary["input"]["resources"]["Immunization"] == sum(
        r["resourceType"] == "Immunization" for r in items)
    assert [(e["file"], e["entry"]) for e in errors(outcome)] == [("one.json", str(len(entries)))]


def _local(resource: dict[str, Any]) -> dict[str, Any]:
    copy = dict(resource)
    if "patient" in copy:
        copy["patient"] = {"reference": "urn:uuid:" + copy["patient"]["reference"].removeprefix("Patient/")}
    return copy


def test_aggregates_add_up_to_the_patients(scan: Scan) -> None:
    outcome = scan(SAMPLE)
    table = pq.read_table(outcome.out / "aggregates.parquet").to_pylist()
    for dimension in ("birth_year", "age_band", "sex", "departement"):
        for measure in ("mmr_status", "mmr_doses_counted"):
            assert sum(r["patients"] for r in table if r["dimension"] == dimension and r["measure"] == measure) == 100
    summary = json.loads((outcome.out / "summary.json").read_text())
    assert summary["mmr_status"] == outcome.summary["mmr_status"]


def test_an_exposure_file_runs_the_iim_rules(scan: Scan, tmp_path: Path) -> None:
    """Adult household contacts of an IIM case, in a file of exposure Observations: their rows say prophylaxis (an
    adult's dose needs no weight)."""
    from fhir_factory import exposure

    patients = [orjson.loads(line) for line in (SAMPLE / "Patient.000.ndjson").read_bytes().splitlines()]
    contacts = [p["id"] for p in patients if "deceasedDateTime" not in p and p["birthDate"] < "1990"][:3]
    exposures = tmp_path / "exposures.ndjson"
    exposures.write_bytes(b"".join(
        orjson.dumps(exposure(pid, "iim-contact", "2026-11-20T20:00:00+01:00", "household", "B")) + b"\n"
        for pid in contacts))
    outcome = scan(SAMPLE, exposures=(exposures,))
    table = by_id(outcome)
    assert outcome.summary["iim"] is True
    for pid in contacts:
        assert table[pid]["iim_rules"] and "iim.prophylaxis" in table[pid]["iim_rules"], table[pid]
    others = [row for pid, row in table.items() if pid not in contacts]
    assert all(row["iim_rules"] is None or "prophylaxis" not in row["iim_rules"] for row in others)
    assert {pid: table[pid]["mmr_status"] for pid in contacts} == {
        pid: row["mmr_status"] for pid, row in by_id(scan(SAMPLE)).items() if pid in contacts}
