"""``prevention-cds check``: before going live, what a FHIR server gives the service.

For each patient (named, or the server's first ones): every prefetch query of the services, probed
(``probe.py``); then every service evaluated on what the queries gave, through the evaluator the HTTP endpoint
uses, and the CDS Hooks request it would receive written to a file to replay with curl. A key whose query failed
is left out of that request's prefetch, as an EHR that could not run it would: the service then answers 412.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prevention_cds.adapters.fhir_client import HttpFhirReader
from prevention_cds.check.probe import FAILED, OK, QueryContext, QueryReport, first_patients, probe_query
from prevention_cds.errors import CdsError, DataUnavailable
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.fhir_in.capability import ServerCapabilities, read_capabilities
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import PATIENT_VIEW, SERVICES, prefetch_keys
from prevention_cds.hooks.prefetch import FhirReader
from prevention_cds.hooks.request import HookRequest
from prevention_cds.settings import Settings

logger = logging.getLogger(__name__)
DEFAULT_PATIENTS = 3  # patients taken from the server when none is named


@dataclass(frozen=True)
class CheckOptions:
    fhir_server: str
    patients: tuple[str, ...]
    token: str | None
    out: Path
    service_url: str  # where the tester runs the service, for the curl lines
    language: str
    settings: Settings


@dataclass
class ServiceAnswer:
    service: str
    request_file: str
    cards: list[dict[str, str]] = field(default_factory=list)  # indicator and summary of each card
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "request": self.request_file, "cards": self.cards, "error": self.error}


@dataclass
class PatientCheck:
    patient_id: str
    queries: list[QueryReport] = field(default_factory=list)
    services: list[ServiceAnswer] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"patient": self.patient_id, "queries": [q.to_json() for q in self.queries],
                "services": [s.to_json() for s in self.services]}


@dataclass
class CheckReport:
    fhir_server: str
    capability: dict[str, Any]
    patients: list[PatientCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every query answered, on at least one patient."""
        return bool(self.patients) and not self.problems and all(
            q.status != FAILED for p in self.patients for q in p.queries)

    def to_json(self) -> dict[str, Any]:
        return {"fhirServer": self.fhir_server, "passed": self.passed, "capability": self.capability,
                "problems": self.problems, "patients": [p.to_json() for p in self.patients]}


def _reader(options: CheckOptions) -> FhirReader:
    s = options.settings
    return HttpFhirReader(options.fhir_server, options.token, timeout_seconds=s.fhir_timeout_seconds,
                          deadline_seconds=s.fhir_deadline_seconds, max_response_bytes=s.fhir_max_response_bytes)


def _capabilities(options: CheckOptions, report: CheckReport) -> ServerCapabilities:
    try:
        statement = _reader(options).fetch("metadata")
    except DataUnavailable as exc:
        report.problems.append(f"metadata: {exc}")
        return ServerCapabilities()
    capabilities = read_capabilities(statement)
    if statement is None or statement.get("resourceType") != "CapabilityStatement":
        report.problems.append("metadata: the server gave no CapabilityStatement")
    report.capability = {"fhirVersion": capabilities.fhir_version, "software": capabilities.software,
                         "resourceTypes": len(capabilities.resources)}
    if capabilities.fhir_version and not capabilities.fhir_version.startswith("4.0"):
        report.problems.append(f"metadata: FHIR {capabilities.fhir_version}, the service reads R4 (4.0.x)")
    return capabilities


def run_check(options: CheckOptions, evaluator: CdsEvaluator, now: datetime) -> CheckReport:
    report = CheckReport(options.fhir_server, {})
    capabilities = _capabilities(options, report)
    patients = list(options.patients)
    if not patients:
        try:
            patients = first_patients(_reader(options), DEFAULT_PATIENTS)
        except DataUnavailable as exc:
            report.problems.append(f"Patient search: {exc}")
        if not patients:
            report.problems.append("no patient named (--patient) and none found on the server")
    options.out.mkdir(parents=True, exist_ok=True)
    for patient_id in patients:
        report.patients.append(_check_patient(options, capabilities, evaluator, patient_id))
    (options.out / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    logger.info("check of %s: %d patient(s), passed=%s (at %s)", options.fhir_server, len(patients), report.passed,
                now.isoformat())
    return report


def _check_patient(
    options: CheckOptions, capabilities: ServerCapabilities, evaluator: CdsEvaluator, patient_id: str
) -> PatientCheck:
    request = HookRequest(hook=PATIENT_VIEW, hook_instance="prevention-cds-check", patient_id=patient_id,
                          user_id=None, encounter_id=None, fhir_server=options.fhir_server,
                          access_token=options.token, prefetch={})
    context = QueryContext(request, capabilities, lambda: _reader(options), options.settings.fhir_max_pages,
                           evaluator.index)
    checked = PatientCheck(patient_id)
    resources: list[dict[str, Any]] = []
    for name, key in prefetch_keys().items():
        query, found = probe_query(context, name, key)
        checked.queries.append(query)
        resources += found
    failed = {q.key for q in checked.queries if q.status == FAILED}
    for service in SERVICES:
        body = request_body(service, patient_id, resources)
        body["prefetch"] = {k: v for k, v in body["prefetch"].items() if k not in failed}
        file = options.out / f"request-{_safe(patient_id)}-{service.id}.json"
        file.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        answer = ServiceAnswer(service.id, str(file))
        try:
            cards = evaluator.invoke(service.id, body, options.language)["cards"]
            answer.cards = [{"indicator": c["indicator"], "summary": c["summary"]} for c in cards]
        except CdsError as exc:
            answer.error = exc.message
        checked.services.append(answer)
    return checked


def _safe(patient_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in patient_id)[:64]


__all__ = ["OK", "CheckOptions", "CheckReport", "run_check"]
