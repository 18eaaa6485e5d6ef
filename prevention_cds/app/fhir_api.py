"""The service's FHIR endpoint, ``/fhir``: its CapabilityStatement, the conformance resources of the FHIR package
(the Questionnaires an EHR renders to capture an exposure, their profile, CodeSystems, ValueSets and the
OperationDefinitions), the SDC ``$extract`` operation that turns an answered exposure Questionnaire into the exposure
Observation, and the ``$immds-forecast`` operation (HL7 Immunization Decision Support Forecast) that answers the MMR
forecast of a patient on a date: each dose evaluated, every dose still owed with its dates.

Every answer is FHIR JSON (``application/fhir+json``; a client whose Accept allows no JSON gets 406); every error
an OperationOutcome. Neither operation stores
anything: the EHR stores what they return.
"""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from prevention_cds import terminology
from prevention_cds.app.body import read_json
from prevention_cds.app.services import services
from prevention_cds.errors import RefusedInput
from prevention_cds.fhir_in.questionnaire_response import read_extract_input, read_questionnaire_response
from prevention_cds.fhir_out.capability import FHIR_JSON, FhirOperation, capability_statement
from prevention_cds.fhir_out.capture_links import FHIR_PATH
from prevention_cds.fhir_out.extraction import extracted_resource
from prevention_cds.fhir_out.i18n import negotiate_language

PREFIX = FHIR_PATH  # the path the capture links of the cards point to
# Resource types of the package served read-only (examples are in the package, not served)
SERVED_TYPES = (
    "CodeSystem", "ImplementationGuide", "OperationDefinition", "Questionnaire", "StructureDefinition", "ValueSet",
)
EXTRACT = FhirOperation(
    name="extract",
    resource_type="QuestionnaireResponse",
    definition="http://hl7.org/fhir/uv/sdc/OperationDefinition/QuestionnaireResponse-extract",
    documentation="Definition-based extraction of a completed response to one of the service's exposure "
    "Questionnaires: answers the exposure Observation (not stored), or an OperationOutcome naming each problem.",
)
FORECAST = FhirOperation(
    name="immds-forecast",
    definition=f"{terminology.CANONICAL_BASE}/OperationDefinition/immds-forecast",
    documentation="HL7 Immunization Decision Support Forecast for MMR (French schedule): the Parameters of the IG "
    "(assessmentDate, patient, immunization) and of the project (condition, allergyIntolerance, observation, "
    "medication records) answer one ImmunizationEvaluation per MMR dose and the ImmunizationRecommendation of every "
    "dose still owed, with its dates.",
)
OPERATIONS: tuple[FhirOperation, ...] = (EXTRACT, FORECAST)
# the paths whose calls carry patient data: authenticated like /cds-services (app/factory.py)
AUTHENTICATED_PATHS = tuple(f"{PREFIX}/{operation.path}" for operation in OPERATIONS)

blueprint = Blueprint("fhir", __name__, url_prefix=PREFIX)


class ResourceTypeConverter(BaseConverter):
    """A FHIR resource type's name: so that ``/fhir/$immds-forecast`` is an operation, never a type to search."""

    regex = "[A-Z][A-Za-z]{0,63}"


class ResourceIdConverter(BaseConverter):
    """A FHIR id (R4 ``id`` datatype): ``$extract`` after a type is an operation, never an id to read."""

    regex = "[A-Za-z0-9.-]{1,64}"


@blueprint.record_once
def _converters(state: BlueprintSetupState) -> None:
    # before the routes below are added to the app's map (deferred in the order they are recorded)
    state.app.url_map.converters.update(fhir_type=ResourceTypeConverter, fhir_id=ResourceIdConverter)


JSON_MEDIA_TYPES = (FHIR_JSON, "application/json")  # the only formats answered (FHIR R4 http.html, "Content Types")


@blueprint.before_request
def _json_only() -> Response | None:
    """406 when the client's Accept allows no JSON (``application/fhir+xml``): never JSON it did not ask for."""
    accepted = request.accept_mimetypes
    if accepted and accepted.best_match(JSON_MEDIA_TYPES) is None:
        return fhir_json(_outcome("not-supported", [(None, f"this endpoint answers {' or '.join(JSON_MEDIA_TYPES)} "
                                                           "only (the Accept header allows neither)")]), 406)
    return None


def fhir_json(document: Any, status: int = 200) -> Response:
    response = jsonify(document)
    response.status_code = status
    response.content_type = FHIR_JSON
    return response


def _outcome(code: str, issues: list[tuple[str | None, str]]) -> dict[str, Any]:
    found = []
    for where, text in issues:
        issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
        if where:
            issue["expression"] = [where]
        found.append(issue)
    return {"resourceType": "OperationOutcome", "issue": found}


def _software_version() -> str:
    try:
        return version("prevention-cds")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _now() -> datetime:
    return services(current_app).evaluator.clock()


def _base_url() -> str:
    public = services(current_app).settings.public_base_url
    return (public.rstrip("/") if public else request.url_root.rstrip("/")) + PREFIX


@blueprint.get("/metadata")
def metadata() -> Response:
    settings = services(current_app).settings
    statement = capability_statement(
        _base_url(), _software_version(), OPERATIONS, SERVED_TYPES, _now().date().isoformat(),
        authenticated=settings.auth_mode != "off", cors=bool(settings.cors_allowed_origins),
    )
    return fhir_json(statement)


def _served(resource_type: str) -> list[dict[str, Any]]:
    if resource_type not in SERVED_TYPES:
        return []
    return [r for r in terminology.all_resources() if r["resourceType"] == resource_type]


@blueprint.get("/<fhir_type:resource_type>/<fhir_id:resource_id>")
def read(resource_type: str, resource_id: str) -> Response:
    found = next((r for r in _served(resource_type) if r["id"] == resource_id), None)
    if found is None:
        issue = (None, f"no {resource_type} with this id" if resource_type in SERVED_TYPES
                 else f"{resource_type} is not served here (served: {', '.join(SERVED_TYPES)})")
        return fhir_json(_outcome("not-found", [issue]), 404)
    return fhir_json(found)


@blueprint.get("/<fhir_type:resource_type>")
def search(resource_type: str) -> Response:
    if resource_type not in SERVED_TYPES:
        issue = (None, f"{resource_type} is not served here (served: {', '.join(SERVED_TYPES)})")
        return fhir_json(_outcome("not-found", [issue]), 404)
    unknown = sorted(set(request.args) - {"url", "_format"})
    if unknown:
        return fhir_json(_outcome("not-supported", [(None, f"search parameter not supported: {unknown[0]}")]), 400)
    wanted = request.args.get("url")
    matches = [r for r in _served(resource_type) if wanted is None or r["url"] == wanted.partition("|")[0]]
    return fhir_json({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [{"fullUrl": f"{_base_url()}/{resource_type}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                  for r in matches],
    })


@blueprint.post("/QuestionnaireResponse/$extract")
def extract() -> Response:
    body = read_json(request, services(current_app).settings.max_body_bytes)
    return fhir_json(extract_exposure(body, _now()))


def extract_exposure(body: Any, now: datetime) -> dict[str, Any]:
    """The exposure Observation of a ``$extract`` body (a QuestionnaireResponse, or Parameters holding one).
    Raises InvalidRequest (AnswersRefused naming each problem)."""
    extraction = read_questionnaire_response(read_extract_input(body), now)
    return extracted_resource(extraction.profile, [(v.element, v.value_type, v.value) for v in extraction.values])


@blueprint.post(f"/{FORECAST.path}")
def forecast() -> Response:
    installed = services(current_app)
    body = read_json(request, installed.settings.max_body_bytes)
    language = negotiate_language(request.headers.get("Accept-Language"), installed.settings.default_language)
    response = fhir_json(installed.evaluator.forecast(body, language))
    response.headers["Content-Language"] = language
    return response


@blueprint.errorhandler(RefusedInput)
def refused(error: RefusedInput) -> Response:
    return fhir_json(_outcome("invalid", list(error.problems)), 400)
