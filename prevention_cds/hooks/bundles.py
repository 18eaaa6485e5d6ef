"""FHIR Bundles and bulk ndjson exports → CDS Hooks request bodies, for the command line and tests.

The body carries every key of the prefetch (a searchset Bundle per key), so ``evaluate`` runs exactly the
HTTP code path: request validation, prefetch reading, record building, rules and cards.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prevention_cds.hooks.catalog import PATIENT_VIEW, ServiceDefinition, prefetch_keys

PATIENT_REFERENCE_FIELDS = ("subject", "patient")


def resources_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document.get("resourceType") == "Bundle":
        return [e["resource"] for e in document.get("entry") or () if isinstance(e, dict) and "resource" in e]
    return [document]


def _patient_reference(resource: dict[str, Any]) -> str | None:
    for name in PATIENT_REFERENCE_FIELDS:
        reference = (resource.get(name) or {}).get("reference") if isinstance(resource.get(name), dict) else None
        if isinstance(reference, str):
            return reference.split("/")[-1].removeprefix("urn:uuid:")
    return None


def group_by_patient(resources: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Resources of each patient (bulk exports mix patients); resources of no patient are dropped."""
    patients: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        key = resource.get("id") if resource.get("resourceType") == "Patient" else _patient_reference(resource)
        if isinstance(key, str):
            patients[key].append(resource)
    return {pid: items for pid, items in patients.items() if any(r.get("resourceType") == "Patient" for r in items)}


def request_body(service: ServiceDefinition, patient_id: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    prefetch: dict[str, Any] = {}
    for name, key in prefetch_keys().items():
        matching = [r for r in resources if r.get("resourceType") in key.resource_types]
        if key.single:  # the patient's own Patient, or the key left out (another patient's never stands for it)
            own = next((r for r in matching if r.get("id") == patient_id), None)
            if own is not None:
                prefetch[name] = own
        else:
            prefetch[name] = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(matching),
                "entry": [{"resource": r} for r in matching],
            }
    context: dict[str, Any] = {"userId": "Practitioner/prevention-cds-cli", "patientId": patient_id}
    if service.hook != PATIENT_VIEW:
        drafts = [r for r in resources if r.get("resourceType") == "MedicationRequest" and r.get("status") == "draft"]
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": r} for r in drafts]}
        if service.hook == "order-select":
            context["selections"] = [f"MedicationRequest/{r.get('id')}" for r in drafts]
    return {"hook": service.hook, "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": prefetch}


def read_inputs(path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(source name, resources) for a Bundle file, a folder of Bundle files, or a folder of ndjson files."""
    if path.is_file():
        yield path.name, resources_of(json.loads(path.read_text(encoding="utf-8")))
        return
    ndjson = sorted(path.glob("*.ndjson"))
    if ndjson:
        resources = [
            json.loads(line) for f in ndjson for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        yield path.name, resources
        return
    for file in sorted(path.glob("*.json")):
        yield file.name, resources_of(json.loads(file.read_text(encoding="utf-8")))
