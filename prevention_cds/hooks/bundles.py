"""A patient's resources → a CDS Hooks request body, for the command line, the check, the warm-up and tests
(the resources are read by ``prevention_cds.fhir_in.bundle_entries``).

The body carries every key of the prefetch (a searchset Bundle per key), so ``evaluate`` runs exactly the
HTTP code path: request validation, prefetch reading, record building, rules and cards.
"""

from __future__ import annotations

import uuid
from typing import Any

from prevention_cds.hooks.catalog import PATIENT_VIEW, ServiceDefinition, prefetch_keys


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
