"""The resources of FHIR Bundles and bulk ndjson exports, for the command line and the scan, grouped by patient.

A Bundle's entries are resolved as FHIR R4 says (Bundle, "Resolving references in Bundles"): a reference that
is the ``fullUrl`` of a Patient entry is that Patient, whether or not the Patient has an ``id`` (a transaction
Bundle often identifies it by its ``urn:uuid`` only). A Patient without ``id`` takes the id its ``fullUrl``
gives, and references to that ``fullUrl`` are rewritten to ``Patient/<id>``, so the rest of the package reads
them as any other. What cannot be read (an entry without a resource, a value that is not a FHIR resource, a
Patient with neither ``id`` nor ``fullUrl``, a line that is not JSON) is an ``EntryProblem`` naming the entry:
never silently dropped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from prevention_cds.fhir_in.references import FHIR_ID, PATIENT_REFERENCE_FIELDS, patient_id_in, patient_id_of

URN_UUID_PREFIX = "urn:uuid:"


@dataclass(frozen=True)
class EntryProblem:
    """An entry (1-based, of a Bundle) or a line (of an ndjson file) that could not be read, and why."""

    where: str
    reason: str
    entry: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class InputResources:
    source: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    problems: list[EntryProblem] = field(default_factory=list)


@dataclass
class PatientGroups:
    """The resources of each patient, and how many resources name a patient that is not in the input."""

    patients: dict[str, list[dict[str, Any]]]
    absent_patient_resources: int = 0


def bundle_entries(document: Any, source: str = "") -> InputResources:
    """The resources of a Bundle (or of a single resource), their patient references resolved by ``fullUrl``."""
    read = InputResources(source)
    if not _is_resource(document):
        read.problems.append(EntryProblem(source or "document", "not a FHIR resource (no resourceType)"))
        return read
    if document["resourceType"] != "Bundle":
        read.resources.append(document)
        return read
    entries = document.get("entry")
    patient_urls: dict[str, str] = {}  # fullUrl of a Patient entry -> Patient/<id>
    for number, entry in enumerate(entries if isinstance(entries, list) else (), start=1):
        where = f"entry {number}"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not _is_resource(resource):
            reason = "no resource" if resource is None else "its resource is not a FHIR resource (no resourceType)"
            read.problems.append(EntryProblem(where, reason, number))
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        if resource["resourceType"] == "Patient":
            resource = _identified_patient(resource, full_url)
            if resource is None:
                read.problems.append(EntryProblem(where, "a Patient with neither a valid id nor a fullUrl", number))
                continue
            if full_url is not None:
                patient_urls[full_url] = f"Patient/{resource['id']}"
        read.resources.append(resource)
    if patient_urls:
        read.resources = [_resolved(r, patient_urls) for r in read.resources]
    return read


def _is_resource(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def _identified_patient(patient: dict[str, Any], full_url: str | None) -> dict[str, Any] | None:
    rid = patient.get("id")
    if isinstance(rid, str) and FHIR_ID.fullmatch(rid):
        return patient
    if rid is None and full_url is not None:
        local = full_url.removeprefix(URN_UUID_PREFIX) if full_url.startswith(URN_UUID_PREFIX) else None
        pid = local if local is not None and FHIR_ID.fullmatch(local) else patient_id_in(full_url)
        if pid is not None:
            return {**patient, "id": pid}
    return None


def _resolved(resource: dict[str, Any], patient_urls: dict[str, str]) -> dict[str, Any]:
    for name in PATIENT_REFERENCE_FIELDS:
        element = resource.get(name)
        reference = element.get("reference") if isinstance(element, dict) else None
        if isinstance(element, dict) and isinstance(reference, str) and reference in patient_urls:
            return {**resource, name: {**element, "reference": patient_urls[reference]}}
    return resource


def resources_of(document: Any) -> list[dict[str, Any]]:
    return bundle_entries(document).resources


def group_by_patient(resources: Iterable[dict[str, Any]]) -> PatientGroups:
    """Resources of each patient (bulk exports mix patients). A resource that names a patient absent from the
    input is counted (``absent_patient_resources``); one with no patient reference belongs to nobody."""
    patients: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        key = patient_id_of(resource)
        if key is not None:
            patients[key].append(resource)
    present = {pid: items for pid, items in patients.items() if any(r["resourceType"] == "Patient" for r in items)}
    absent = sum(len(items) for pid, items in patients.items() if pid not in present)
    return PatientGroups(present, absent)


def read_inputs(path: Path) -> Iterator[InputResources]:
    """The resources of a Bundle file, of each Bundle file of a folder, or of a folder of ndjson files."""
    if path.is_file():
        yield _read_json(path, path.name)
        return
    ndjson = sorted(path.glob("*.ndjson"))
    if ndjson:
        read = InputResources(path.name)
        for file in ndjson:
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    _read_line(read, line, f"{file.name} line {number}")
        yield read
        return
    for file in sorted(path.glob("*.json")):
        yield _read_json(file, file.name)


def _read_json(file: Path, source: str) -> InputResources:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return InputResources(source, problems=[EntryProblem(source, f"not JSON: {exc}")])
    return bundle_entries(document, source)


def _read_line(read: InputResources, line: str, where: str) -> None:
    try:
        resource = json.loads(line)
    except json.JSONDecodeError as exc:
        read.problems.append(EntryProblem(where, f"not JSON: {exc}"))
        return
    if not _is_resource(resource):
        read.problems.append(EntryProblem(where, "not a FHIR resource (no resourceType)"))
        return
    read.resources.append(resource)
