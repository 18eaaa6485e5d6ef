"""One evaluation of each patient-view service on a made-up patient, before gunicorn forks its workers.

``fhir.resources`` imports its model classes on first use (the record reads typed elements with them), and the
caches of the rule and card layers (rule parameters, message catalogs, source lines) fill on the first calls. Done
in the master before forking, this happens once: the workers share those pages and the first calls of each worker
do not pay ~0.1 s of imports. The patient is synthetic (no real data), and the evaluation goes through
``CdsEvaluator.invoke`` only, so it counts in no HTTP metric.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from prevention_cds import terminology
from prevention_cds.fhir_in.record import LOCAL_TIMEZONE
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import PATIENT_VIEW, SERVICES
from prevention_cds.terminology import ProjectCode

logger = logging.getLogger(__name__)

PATIENT_ID = "warm-up"


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def synthetic_record(now: datetime) -> list[dict[str, Any]]:
    """An 8-year-old with one MMR dose, a weight and a household contact of a meningococcal C case yesterday:
    both rule sets then propose a medicine and a vaccination, so every builder runs."""
    born = (now - timedelta(days=8 * 365 + 30)).date()
    subject = {"reference": f"Patient/{PATIENT_ID}"}
    yesterday = (now - timedelta(days=1)).astimezone(LOCAL_TIMEZONE).isoformat(timespec="seconds")
    return [
        {"resourceType": "Patient", "id": PATIENT_ID, "birthDate": born.isoformat(), "gender": "female"},
        {"resourceType": "Immunization", "id": "warm-up-mmr", "status": "completed", "patient": subject,
         "vaccineCode": _concept("http://hl7.org/fhir/sid/cvx", "03"),
         "occurrenceDateTime": (born + timedelta(days=400)).isoformat()},
        {"resourceType": "Observation", "id": "warm-up-weight", "status": "final", "subject": subject,
         "code": _concept("http://loinc.org", "29463-7"), "effectiveDateTime": yesterday,
         "valueQuantity": {"value": 25, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}},
        {"resourceType": "Observation", "id": "warm-up-contact", "status": "final", "subject": subject,
         "code": _concept(terminology.PROJECT_CODESYSTEM, ProjectCode.IIM_CONTACT), "effectiveDateTime": yesterday,
         "component": [
             {"code": _concept(terminology.PROJECT_CODESYSTEM, ProjectCode.CONTACT_SETTING),
              "valueCodeableConcept": _concept(terminology.CONTACT_SETTING_CODESYSTEM, "household")},
             {"code": _concept(terminology.PROJECT_CODESYSTEM, ProjectCode.SEROGROUP),
              "valueCodeableConcept": _concept(terminology.SEROGROUP_CODESYSTEM, "C")},
         ]},
    ]


def warm_up(evaluator: Any, languages: tuple[str, ...] = ("fr", "en")) -> int:
    """Evaluate each patient-view service once per language; the number of cards. A failure is logged (it is a
    bug) and never stops the server from starting."""
    cards = 0
    try:
        resources = synthetic_record(evaluator.clock())
        for service in SERVICES:
            if service.hook != PATIENT_VIEW:
                continue
            body = request_body(service, PATIENT_ID, resources) | {"hookInstance": f"warm-up-{service.id}"}
            for language in languages:
                cards += len(evaluator.invoke(service.id, body, language)["cards"])
    except Exception:
        logger.exception("warm-up evaluation failed")
    return cards
