"""The service layer: one CDS Hooks call from request body to response, the same for HTTP and the CLI.

It completes the prefetch, builds the patient record, runs the service's rule sets and renders the cards; the
``$immds-forecast`` operation (``CdsEvaluator.forecast``) builds the record the same way from the resources of its
Parameters and answers the MMR forecast on the assessment date.
:func:`evaluate_patient` is the step every caller shares (HTTP, the CLI, the infection-control workspace, the
population scan): FHIR resources of one patient → record → the rule sets' advice. The
record is the context patient's only (another patient's resources are set aside and counted); a deceased patient
gets no card (the log says so); each card carries what of the record its rule set could not use
(``rules/record_notes.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any, Protocol

from prevention_cds.adapters.fhir_client import (
    HttpFhirReader,
    UnusableFhirUrl,
    fhir_server_refusal,
    is_allowed_origin,
    parse_fhir_url,
)
from prevention_cds.errors import DataUnavailable, RefusedInput, UnknownService
from prevention_cds.fhir_in.draft_orders import read_order_context
from prevention_cds.fhir_in.forecast_parameters import ASSESSMENT_DATE, parameter_path, read_forecast_parameters
from prevention_cds.fhir_in.record import build_record
from prevention_cds.fhir_out.case_links import with_case_links
from prevention_cds.fhir_out.fhir_resources import ResourceContext
from prevention_cds.fhir_out.forecast import forecast_parameters
from prevention_cds.fhir_out.render import ExplanationLink, RenderContext, advice_to_card
from prevention_cds.hooks.catalog import PATIENT_VIEW, SERVICES_BY_ID, ServiceDefinition, prefetch_keys
from prevention_cds.hooks.prefetch import FhirReader, gather_resources
from prevention_cds.hooks.request import HookRequest, parse_request
from prevention_cds.rules.advice import Advice
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import OrderContext, PatientRecord
from prevention_cds.rules.iim import IimRules
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.rules.mmr.forecast import mmr_forecast
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.record_notes import exposure_date_advice, unreadable_order_advice, with_record_notes
from prevention_cds.rules.ruledata import RuleDataError
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


# The disease whose index case a patient-view service links to a workspace investigation and its contacts' form.
CASE_DISEASES = {"iim-prophylaxis": Concept.IIM_DISEASE, "ror-vaccination": Concept.MEASLES}


def default_rule_sets() -> dict[str, RuleSet]:
    return {"mmr": MmrRules(), "iim": IimRules()}


@dataclass(frozen=True)
class PatientEvaluation:
    record: PatientRecord
    advice: tuple[Advice, ...]  # none for a deceased patient


def evaluate_patient(
    patient_id: str,
    resources: Iterable[dict[str, Any]],
    rule_sets: Mapping[str, RuleSet],
    now: datetime,
    settings: RuleSettings,
    index: CodeIndex,
    orders: OrderContext | None = None,
) -> PatientEvaluation:
    """One patient's FHIR resources through the record builder and the rule sets (by rule set id: "mmr", "iim"):
    their patient-view advice, or their order checks when ``orders`` is given; none for a deceased patient. Each
    advice carries what of the record its rule set could not use."""
    record = build_record(patient_id, resources, index, now)
    if record.deceased:
        return PatientEvaluation(record, ())
    if orders is not None:
        checked = [a for rules in rule_sets.values() for a in rules.check_orders(record, orders, now, settings)]
        checked += unreadable_order_advice(orders)
        return PatientEvaluation(record, with_record_notes(checked, record, orders))
    advice = [
        a for name, rules in rule_sets.items()
        for a in (*rules.evaluate(record, now, settings), *exposure_date_advice(record, name))
    ]
    return PatientEvaluation(record, with_record_notes(advice, record))


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
            raise DataUnavailable("the call gives no fhirServer")
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

    def invoke(
        self,
        service_id: str,
        body: Any,
        language: str,
        base_url: str | None = None,
        explanation_link: ExplanationLink | None = None,
    ) -> dict[str, Any]:
        """The cards of one call. ``base_url``: where the workspace is (the request's, or
        PREVENTION_CDS_PUBLIC_BASE_URL), for the link of an index case's card; ``explanation_link`` gives each card
        its link to its explanation page. Neither (the command line) adds no link."""
        started = time.perf_counter()
        service = self.service(service_id)
        request = parse_request(body, service)
        resources = gather_resources(request, prefetch_keys(), self._reader, self.settings.fhir_max_pages)
        now = self.clock()
        orders = (
            None if service.hook == PATIENT_VIEW
            else read_order_context(
                service.hook, request.draft_orders, request.selections, self.index, request.patient_id, resources
            )
        )
        rule_sets = self.rule_sets_of(service)
        evaluation = evaluate_patient(
            request.patient_id, resources, rule_sets, now, self.settings.rule_settings, self.index, orders
        )
        record, advice = evaluation.record, list(evaluation.advice)
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
            explanation_link=explanation_link,
        )
        cards = [advice_to_card(a, ctx) for a in advice]
        if record.deceased:
            logger.info("service=%s hookInstance=%s: deceased patient, no card", service.id, request.hook_instance)
        base = self.settings.public_base_url or base_url
        if base and service.id in CASE_DISEASES:
            cards = with_case_links(cards, [a.rule for a in advice], record, CASE_DISEASES[service.id], now.date(),
                                    base, language)
        logger.info(
            "service=%s hookInstance=%s cards=%d skipped_resources=%d unreadable_values=%d other_patient_resources=%d "
            "ms=%.1f",
            service.id, request.hook_instance, len(cards), record.skipped_resources, len(record.unreadable),
            sum(count for _, count in record.other_patients), (time.perf_counter() - started) * 1000,
        )
        return {"cards": cards}

    def forecast(self, body: Any, language: str) -> dict[str, Any]:
        """``$immds-forecast``: the Parameters of a request to the Parameters of the answer — every MMR dose of the
        record evaluated and every dose still owed on the assessment date, through the record builder and the MMR
        rules of the ``ror-vaccination`` service. Raises RefusedInput (an InvalidRequest) naming each problem."""
        started = time.perf_counter()
        request = read_forecast_parameters(body)
        _check_rules_in_force(request.assessment_date)
        now = assessment_moment(request.assessment_date, self.clock())
        record = build_record(request.patient_id, request.resources, self.index, now)
        forecast = mmr_forecast(record, now)
        answer = forecast_parameters(forecast, request.patient_id, language)
        owed = forecast.recommendation.doses if forecast.recommendation is not None else ()
        logger.info(
            "forecast evaluations=%d recommendations=%d computed=%s skipped_resources=%d unreadable_values=%d "
            "other_patient_resources=%d ms=%.1f",
            len(forecast.evaluations), len(owed), forecast.recommendation is not None, record.skipped_resources,
            len(record.unreadable), sum(count for _, count in record.other_patients),
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def rule_sets_of(self, service: ServiceDefinition) -> dict[str, RuleSet]:
        return {name: self._rule_sets[name] for name in service.rule_sets}


def _is_prescriber(user_id: str | None) -> bool:
    return bool(user_id) and str(user_id).startswith(("Practitioner/", "PractitionerRole/"))


def assessment_moment(day: date, now: datetime) -> datetime:
    """The moment a forecast is assessed at: ``now`` when the assessment date is today (the forecast then agrees
    with the cards of the same moment), else the start of the assessment date (practice time)."""
    if now.astimezone(PRACTICE_TIMEZONE).date() == day:
        return now
    return datetime.combine(day, dt_time(), tzinfo=PRACTICE_TIMEZONE)


def _check_rules_in_force(day: date) -> None:
    """The French rules the forecast applies have values in force on ``day`` (they start at a date)."""
    try:
        MmrParameters.on(day)
    except RuleDataError:
        where = f"{parameter_path(ASSESSMENT_DATE)}.valueDate"
        problem = "the French MMR rules this service applies are not in force on that day"
        raise RefusedInput([(where, problem)]) from None
