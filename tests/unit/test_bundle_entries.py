"""Reading Bundles and ndjson for the command line and the scan: a Patient identified only by its ``fullUrl``
keeps its resources (FHIR R4 Bundle, "Resolving references in Bundles"), and every entry that cannot be read is
named, never dropped in silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prevention_cds.fhir_in.bundle_entries import bundle_entries, group_by_patient, read_inputs

PATIENT_URL = "urn:uuid:11111111-1111-1111-1111-111111111111"


def _immunization(reference: str) -> dict[str, Any]:
    return {"resourceType": "Immunization", "status": "completed", "patient": {"reference": reference},
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]},
            "occurrenceDateTime": "2000-04-01"}


def _bundle(*entries: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def test_a_patient_without_id_is_identified_by_its_urn_uuid() -> None:
    read = bundle_entries(_bundle({"fullUrl": PATIENT_URL, "resource": {"resourceType": "Patient"}},
                                  {"resource": _immunization(PATIENT_URL)}))
    groups = group_by_patient(read.resources)
    assert list(groups.patients) == ["11111111-1111-1111-1111-111111111111"]
    assert len(groups.patients["11111111-1111-1111-1111-111111111111"]) == 2 and read.problems == []


def test_a_reference_to_the_fullurl_of_a_patient_with_its_own_id_is_that_patient() -> None:
    read = bundle_entries(_bundle({"fullUrl": PATIENT_URL, "resource": {"resourceType": "Patient", "id": "p1"}},
                                  {"resource": _immunization(PATIENT_URL)},
                                  {"resource": _immunization("Patient/p1")}))
    assert [r["patient"]["reference"] for r in read.resources[1:]] == ["Patient/p1", "Patient/p1"]
    assert len(group_by_patient(read.resources).patients["p1"]) == 3


def test_an_absolute_fullurl_gives_the_id() -> None:
    url = "https://ehr.example/fhir/Patient/abc"
    read = bundle_entries(_bundle({"fullUrl": url, "resource": {"resourceType": "Patient"}},
                                  {"resource": _immunization(url)}))
    assert len(group_by_patient(read.resources).patients["abc"]) == 2


def test_unreadable_entries_are_named() -> None:
    read = bundle_entries(_bundle({"fullUrl": "urn:uuid:x", "resource": "not an object"}, {"fullUrl": "urn:uuid:y"},
                                  {"resource": {"resourceType": "Patient"}}, "text", {"resource": {"id": "n"}}))
    assert [(p.entry, p.reason) for p in read.problems] == [
        (1, "its resource is not a FHIR resource (no resourceType)"), (2, "no resource"),
        (3, "a Patient with neither a valid id nor a fullUrl"), (4, "no resource"),
        (5, "its resource is not a FHIR resource (no resourceType)")]
    assert read.resources == []


def test_resources_of_an_absent_patient_are_counted() -> None:
    read = bundle_entries(_bundle({"fullUrl": PATIENT_URL, "resource": {"resourceType": "Patient"}},
                                  {"resource": _immunization("Patient/other")},
                                  {"resource": _immunization("urn:uuid:99999999-9999-9999-9999-999999999999")}))
    groups = group_by_patient(read.resources)
    assert groups.absent_patient_resources == 2 and len(groups.patients) == 1


def test_ndjson_lines_that_cannot_be_read_are_named(tmp_path: Path) -> None:
    (tmp_path / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1"}\n{not json\n\n[1]\n')
    (read,) = read_inputs(tmp_path)
    assert [str(p).split(":")[0] for p in read.problems] == ["Patient.ndjson line 2", "Patient.ndjson line 4"]
    assert list(group_by_patient(read.resources).patients) == ["p1"]


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text('{"resourceType": "Bundle", "entry": [')
    (read,) = read_inputs(tmp_path)
    assert read.resources == [] and read.problems[0].where == "b.json"
