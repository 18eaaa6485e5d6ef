"""Discovery, invocation and feedback endpoints."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from prevention_cds.adapters.feedback_store import FeedbackEntry
from prevention_cds.app.body import read_json
from prevention_cds.app.explanation_links import explanation_links
from prevention_cds.app.observability import CARDS
from prevention_cds.app.services import services
from prevention_cds.fhir_out.i18n import negotiate_language
from prevention_cds.hooks.catalog import discovery_document
from prevention_cds.hooks.feedback import validate_feedback

blueprint = Blueprint("cds_hooks", __name__)


def _language() -> str:
    return negotiate_language(request.headers.get("Accept-Language"), services(current_app).settings.default_language)


def _json(document: Any, language: str | None = None) -> Response:
    response = jsonify(document)
    if language:
        response.headers["Content-Language"] = language
    return response


@blueprint.get("/cds-services")
def discovery() -> Response:
    language = _language()
    return _json(discovery_document(language), language)


@blueprint.post("/cds-services/<service_id>")
def invoke(service_id: str) -> Response:
    evaluator = services(current_app).evaluator
    evaluator.service(service_id)  # 404 before reading the body
    body = read_json(request, services(current_app).settings.max_body_bytes)
    if isinstance(body, dict) and isinstance(body.get("hookInstance"), str):
        g.hook_instance = body["hookInstance"][:100]  # for the logs of this call
    language = _language()
    links, base = explanation_links(current_app), services(current_app).settings.public_base_url or request.url_root
    response = evaluator.invoke(
        service_id, body, language, request.url_root,
        explanation_link=lambda explanation, lang: links.url(base, explanation, lang),
    )
    for card in response["cards"]:
        CARDS.labels(service_id, card["indicator"]).inc()
    return _json(response, language)


@blueprint.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    installed = services(current_app)
    installed.evaluator.service(service_id)
    body = read_json(request, installed.settings.max_body_bytes)
    validate_feedback(body)
    entries = [FeedbackEntry.from_json(item) for item in body["feedback"]]
    installed.feedback_store.record(service_id, entries)
    return _json({})
