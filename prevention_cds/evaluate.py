"""The service layer: one CDS Hooks call from request body to response, the same for HTTP and the CLI.

It completes the prefetch, builds the patient record, runs the service's rule sets and renders the cards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from prevention_cds.adapters.fhir_client import (
    HttpFhirReader,
    UnusableFhirUrl,
    fhir_server_refusal,
    is_allowed_origin,
    parse_fhir_url,
)
from prevention_cds.errors import DataUnavailable, UnknownService
from prevention_cds.fhir_in.draft_orders import read_order_context
from prevention_cds.fhir_in.record import build_record
from prevention_cds.fhir_out.fhir_resources import ResourceContext
from prevention_cds.fhir_out.render import RenderContext, advice_to_card
from prevention_cds.hooks.catalog import PATIENT_VIEW, SERVICES_BY_ID, ServiceDefinition, prefetch_keys
from prevention_cds.hooks.prefetch import FhirReader, gather_resources
from prevention_cds.hooks.request import HookRequest, parse_request
from prevention_cds.rules.advice import Advice
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.iim import IimRules
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.rules.ruleset import OrderRules, PatientViewRules, RuleSettings
from prevention_cds.settings import PRACTICE_TIMEZONE, Settings
from prevention_cds.terminology.index import CodeIndex

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in French local time: the rules take "today" from it."""
    return datetime.now(PRACTICE_TIMEZONE)


class RuleSet(PatientViewRules, OrderRules, Protocol):
    """A rule set answers both patient-view and order checks."""


def default_rule_sets() -> dict[str, RuleSet]:
    return {"mmr": MmrRules(), "iim": IimRules()}


@dataclass(frozen=True)
class PatientAdvice:
    record: PatientRecord
    advice: tuple[Advice, ...]


def evaluate_patient(
    patient_id: str,
    resources: Iterable[dict[str, Any]],
    rule_sets: Sequence[PatientViewRules],
    now: datetime,
    settings: RuleSettings,
    index: CodeIndex,
) -> PatientAdvice:
    """One patient's resources -> record -> the advice of the rule sets (patient-view), before any card."""
    record = build_record(patient_id, resources, index, now)
    return PatientAdvice(record, tuple(a for rules in rule_sets for a in rules.evaluate(record, now, settings)))


@dataclass
class CdsEvaluator:
    settings: Settings
    clock: Clock = system_clock
    reader_factory: Callable[[HookRequest], FhirReader] | None = None
    rule_sets: dict[str, RuleSet] | None = None

    def __post_init__(self) -> None:
        self.index = CodeIndex.load()
        self._rule_sets = self.rule_sets if self.rule_sets is not None else default_rule_sets()

    def service(self, service_id: str) -> ServiceDefinition:
        try:
            return SERVICES_BY_ID[service_id]
        except KeyError:
            raise UnknownService(f"no CDS service '{service_id}'") from None

    def _reader(self, request: HookRequest) -> FhirReader:
        if self.reader_factory is not None:
            return self.reader_factory(request)
        s = self.settings
        if request.fhir_server is None:
            raise DataUnavailable("data missing from prefetch and no fhirServer to fetch it from")
        try:
            parse_fhir_url(request.fhir_server)
        except UnusableFhirUrl as exc:  # a URL the service does not read is the client's error (400)
            raise UnusableFhirUrl(f"fhirServer: {exc}") from None
        refusal = fhir_server_refusal(request.fhir_server, s.fhir_allowed_origins, s.dev)
        if refusal is not None:
            raise DataUnavailable(refusal)
        return HttpFhirReader(
            request.fhir_server,
            request.access_token,
            timeout_seconds=s.fhir_timeout_seconds,
            deadline_seconds=s.fhir_deadline_seconds,
            max_response_bytes=s.fhir_max_response_bytes,
            loopback_only=not is_allowed_origin(request.fhir_server, s.fhir_allowed_origins),
        )

    def invoke(self, service_id: str, body: Any, language: str) -> dict[str, Any]:
        started = time.perf_counter()
        service = self.service(service_id)
        request = parse_request(body, service)
        resources = gather_resources(request, prefetch_keys(), self._reader, self.settings.fhir_max_pages)
        now = self.clock()
        record, advice = self._advise(service, request, resources, now)
        ctx = RenderContext(
            resources=ResourceContext(
                patient_id=request.patient_id,
                now=now,
                language=language,
                intent="proposal" if service.hook == PATIENT_VIEW else "order",
                encounter_id=request.encounter_id,
                requester=request.user_id if _is_prescriber(request.user_id) else None,
            ),
            draft_order_references=frozenset(
                f"{r['resourceType']}/{r['id']}" for r in request.draft_orders if isinstance(r.get("id"), str)
            ),
        )
        cards = [advice_to_card(a, ctx) for a in advice]
        logger.info(
            "service=%s hookInstance=%s cards=%d skipped_resources=%d ms=%.1f",
            service.id, request.hook_instance, len(cards), record.skipped_resources,
            (time.perf_counter() - started) * 1000,
        )
        return {"cards": cards}

    def rule_sets_of(self, service: ServiceDefinition) -> tuple[RuleSet, ...]:
        return tuple(self._rule_sets[name] for name in service.rule_sets)

    def _advise(
        self, service: ServiceDefinition, request: HookRequest, resources: list[dict[str, Any]], now: datetime
    ) -> tuple[PatientRecord, tuple[Advice, ...]]:
        rule_sets, rules_settings = self.rule_sets_of(service), self.settings.rule_settings
        if service.hook == PATIENT_VIEW:
            evaluation = evaluate_patient(request.patient_id, resources, rule_sets, now, rules_settings, self.index)
            return evaluation.record, evaluation.advice
        record = build_record(request.patient_id, resources, self.index, now)
        orders = read_order_context(service.hook, request.draft_orders, request.selections, self.index)
        return record, tuple(a for rules in rule_sets for a in rules.check_orders(record, orders, now, rules_settings))


def _is_prescriber(user_id: str | None) -> bool:
    return bool(user_id) and str(user_id).startswith(("Practitioner/", "PractitionerRole/"))
