"""Benchmark-only WSGI app: the service's app plus one static-card route, for ``bench/patient_view.py``.

``gunicorn bench.static_app:app`` serves the real service (``create_app(Settings.from_env())``, so every
``PREVENTION_CDS_*`` variable applies) and, in the same process, ``POST /bench/static-card``: it reads and
JSON-parses the request body, then answers a fixed ``{"cards": [...]}``. It is the baseline of the
benchmark: the same server, the same settings, the same hooks (request ids, CORS, error handlers), the same
body size, no evaluation. The route exists only here; it is never added to the service.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from flask import Flask, Response, jsonify, request

from service.config import Settings
from service.http.app import create_app

STATIC_CARDS: dict[str, Any] = {
    "cards": [
        {
            "uuid": "00000000-0000-4000-8000-000000000001",
            "summary": "Static benchmark card",
            "indicator": "info",
            "source": {"label": "prevention-cds benchmark"},
        }
    ]
}


def configure_logging_like_cli() -> None:
    """The handler and level ``prevention-cds serve`` installs, so the per-call INFO log line costs the same."""
    logging.basicConfig(level=os.environ.get("PREVENTION_CDS_LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


def build_app(settings: Settings | None = None) -> Flask:
    app = create_app(settings or Settings.from_env())

    @app.post("/bench/static-card")
    def static_card() -> Response:
        body = json.loads(request.get_data())  # read and parse the whole body, as the service does
        if not isinstance(body, dict):
            return Response(status=400)
        return jsonify(STATIC_CARDS)

    return app


def __getattr__(name: str) -> Any:
    """``bench.static_app:app`` is built on first access (by gunicorn), not when the module is imported."""
    if name == "app":
        configure_logging_like_cli()
        value = build_app()
        globals()["app"] = value
        return value
    raise AttributeError(name)
