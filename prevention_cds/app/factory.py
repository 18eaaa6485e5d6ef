"""The Flask application factory. Nothing happens at import time."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from prevention_cds.adapters.auth import (
    AuthenticationRefused,
    JwtVerifier,
    SqlReplayStore,
    build_verifier,
    expected_audience,
)
from prevention_cds.adapters.feedback_store import FeedbackStore, SqlFeedbackStore
from prevention_cds.adapters.workspace_db import WorkspaceDatabase
from prevention_cds.app import (
    cors,
    explanation_page,
    fhir_api,
    health,
    hooks,
    workspace_api,
    workspace_auth,
    workspace_pages,
)
from prevention_cds.app.errors import ANSWERS, ErrorAnswer, operation_outcome, outcome_of
from prevention_cds.app.explanation_links import ExplanationLinks, install_links, new_key
from prevention_cds.app.json_response import ResponseJsonProvider
from prevention_cds.app.observability import (
    AUTH_REJECTIONS,
    FHIR_FETCH_FAILURES,
    LATENCY,
    REQUESTS,
    trace_without_values,
)
from prevention_cds.app.services import Services, install
from prevention_cds.errors import PrefetchIncomplete
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.hooks.catalog import SERVICES_BY_ID
from prevention_cds.settings import PREFIX, ConfigError, Settings
from prevention_cds.workspace.accounts import Accounts
from prevention_cds.workspace.service import Workspace

logger = logging.getLogger(__name__)
EXPLANATION_KEY_NAME = "explanation-links"  # the explanation links' key in the database (table ws_secret)


def create_app(
    settings: Settings | None = None,
    *,
    evaluator: CdsEvaluator | None = None,
    feedback_store: FeedbackStore | None = None,
    verifier: JwtVerifier | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("prevention_cds")
    app.json = ResponseJsonProvider(app)
    evaluator = evaluator or CdsEvaluator(settings)
    database = WorkspaceDatabase(settings.database_url)
    database.upgrade()  # the workspace's tables, migrated before the first request
    install(app, Services(
        settings=settings,
        evaluator=evaluator,
        feedback_store=feedback_store or SqlFeedbackStore(settings.database_url),
        workspace=Workspace(database, settings.rule_settings, evaluator.clock),
        accounts=Accounts(database, evaluator.clock),
    ))
    install_links(app, ExplanationLinks.from_settings(
        settings, evaluator.clock, lambda: database.secret(EXPLANATION_KEY_NAME, new_key)))

    _init_request_ids(app)  # first: a call refused before any other step (a 401) still gets and logs its id
    _init_authentication(app, settings, verifier or _verifier(settings))
    app.register_blueprint(hooks.blueprint)
    app.register_blueprint(health.blueprint)
    _init_workspace(app, settings, database)
    app.register_blueprint(fhir_api.blueprint)
    app.register_blueprint(explanation_page.blueprint)
    cors.init_cors(app, settings.cors_allowed_origins or (("*",) if settings.dev else ()))
    _init_errors(app)
    return app


def _init_workspace(app: Flask, settings: Settings, database: WorkspaceDatabase) -> None:
    """The infection-control workspace: its pages and API behind a login."""
    workspace_auth.init_sessions(app, database, settings)
    app.register_blueprint(workspace_auth.blueprint)
    app.register_blueprint(workspace_pages.blueprint)
    app.register_blueprint(workspace_api.blueprint)


def _verifier(settings: Settings) -> JwtVerifier | None:
    """The settings' verifier, its replay store in the database so that every worker refuses a token any of
    them accepted (none when authentication is off)."""
    if settings.auth_mode == "off":
        return None
    return build_verifier(settings.auth_mode, settings.trusted_issuers_file, SqlReplayStore(settings.database_url))


def _require_public_base_url(settings: Settings) -> None:
    """In ``required`` mode the audience is the configured public URL: computed from the request, it would
    follow the ``Host`` header a caller chooses, and a token signed for another service could pass."""
    if settings.auth_mode == "required" and not settings.public_base_url:
        raise ConfigError(
            f"{PREFIX}AUTH_MODE=required needs {PREFIX}PUBLIC_BASE_URL, the external base URL EHRs call (e.g. "
            "https://cds.example.org): the JWT audience is checked against it (see docs/authentication.md)"
        )


def _init_authentication(app: Flask, settings: Settings, verifier: JwtVerifier | None) -> None:
    """Every /cds-services call, and every FHIR operation that receives patient data, carries a JWT whose audience
    is the exact URL called (CDS Hooks §Security). CORS preflights, /health and the FHIR conformance resources are
    not authenticated."""
    _require_public_base_url(settings)
    if verifier is None:
        logger.warning("authentication is off (PREVENTION_CDS_AUTH_MODE=off): every caller is trusted")
        return

    @app.before_request
    def authenticate() -> None:
        if request.method == "OPTIONS" or not request.path.startswith(("/cds-services", *fhir_api.AUTHENTICATED_PATHS)):
            return
        audience = expected_audience(settings.public_base_url, request.url_root, request.path)
        try:
            g.caller = verifier.verify(request.headers.get("Authorization"), audience)
        except AuthenticationRefused:
            AUTH_REJECTIONS.inc()
            raise


def _init_request_ids(app: Flask) -> None:
    @app.before_request
    def assign() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else str(uuid.uuid4())

    @app.after_request
    def expose(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        endpoint = request.endpoint or "none"
        service_id = (request.view_args or {}).get("service_id")
        service = service_id if service_id in SERVICES_BY_ID else "-"
        REQUESTS.labels(endpoint, service, str(response.status_code)).inc()
        if "started" in g:
            LATENCY.labels(endpoint, service).observe(time.perf_counter() - g.started)
        return response


def _error(status: int, body: dict[str, Any]) -> tuple[Response, int]:
    response = jsonify(body)
    response.content_type = "application/fhir+json"
    return response, status


def _refusal_handler(answer: ErrorAnswer) -> Callable[[Exception], tuple[Response, int]]:
    def refused(error: Exception) -> tuple[Response, int]:
        logger.info("answered %d: %s", answer.status, error)
        if isinstance(error, PrefetchIncomplete):
            FHIR_FETCH_FAILURES.inc()
        response, status = _error(answer.status, outcome_of(error, answer))
        response.headers.extend(answer.headers)
        return response, status

    return refused


def _unknown_service_in_path() -> bool:
    """The path names a CDS service (it matches a POST route with a service id) that does not exist: whatever
    the method, the answer is 404, as for a POST."""
    try:
        _, arguments = current_app.url_map.bind_to_environ(request.environ).match(request.path, method="POST")
    except HTTPException:
        return False
    service_id = arguments.get("service_id")
    return isinstance(service_id, str) and service_id not in SERVICES_BY_ID


def _init_errors(app: Flask) -> None:
    # Flask picks the handler of the error's nearest registered class, as answer_for does
    for kind, answer in ANSWERS.items():
        app.register_error_handler(kind, _refusal_handler(answer))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        if status == 405 and _unknown_service_in_path():
            return _error(404, operation_outcome("not-found", "no such CDS service"))
        codes = {404: "not-found", 405: "not-supported", 413: "too-costly"}
        response, status = _error(status, operation_outcome(codes.get(status, "invalid"), error.name))
        for name, value in error.get_headers():  # a 405's Allow (RFC 9110 §15.5.6), a 401's WWW-Authenticate...
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[Response, int]:
        # a bug: logged with where it happened (no exception message: it may hold request data), answered
        # without any of it
        logger.error("internal error on %s %s: %s", request.method, request.path, trace_without_values(error))
        return _error(500, operation_outcome("exception", "internal error"))
