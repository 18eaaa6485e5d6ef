"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from prevention_cds.app.observability import metrics_payload
from prevention_cds.app.services import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
@blueprint.get("/health/live")
def live() -> Response:
    return jsonify({"status": "ok"})


@blueprint.get("/health/ready")
def ready() -> tuple[Response, int]:
    database = services(current_app).feedback_store.ping()
    return jsonify({"status": "ok" if database else "unavailable", "database": database}), 200 if database else 503


@blueprint.get("/metrics")
def metrics() -> Response:
    return Response(metrics_payload(), mimetype="text/plain; version=0.0.4")
