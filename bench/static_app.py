"""Benchmark-only server: the service's app plus one static-card route, for ``bench/patient_view.py``.

``python -m bench.static_app`` starts what ``prevention-cds serve`` starts (the same settings from the
``PREVENTION_CDS_*`` variables, the same JSON logging, multi-process metrics and ``run_gunicorn``, so the same
gunicorn options, server hooks and heap settling before the fork) with one more route,
``POST /bench/static-card``: it reads the request body with the service's own reader (``read_json``: the size
cap, then msgspec's decoder, as a CDS Hooks call is read), then answers a fixed ``{"cards": [...]}``. It is the
baseline of the benchmark: the same server, the same settings, the same hooks (request ids, CORS, error
handlers), the same body read the same way, no evaluation. The route exists only here; it is never
added to the service.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, jsonify, request

if TYPE_CHECKING:
    from prevention_cds.settings import Settings

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


def build_app(settings: Settings | None = None) -> Flask:
    from prevention_cds.app.body import read_json
    from prevention_cds.app.factory import create_app
    from prevention_cds.app.services import services
    from prevention_cds.settings import Settings

    app = create_app(settings or Settings.from_env())

    @app.post("/bench/static-card")
    def static_card() -> Response:
        body = read_json(request, services(current_app).settings.max_body_bytes)  # as a CDS Hooks call is read
        if not isinstance(body, dict):
            return Response(status=400)
        return jsonify(STATIC_CARDS)

    return app


def main() -> None:
    """What ``prevention-cds serve`` (prevention_cds.app.cli.serve) does, with the benchmark app."""
    from gevent import monkey

    monkey.patch_all()  # as in prevention_cds.app.cli.main: gevent workers (prevention_cds/app/server.py)
    # as in prevention_cds.app.cli.main: before prometheus_client is first imported
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prevention-cds-bench-metrics-"))
    from prevention_cds.app.observability import configure_logging
    from prevention_cds.app.server import run_gunicorn
    from prevention_cds.settings import Settings

    configure_logging(os.environ.get("PREVENTION_CDS_LOG_LEVEL", "INFO"), json_lines=True)
    settings = Settings.from_env()
    run_gunicorn(build_app(settings), settings)


if __name__ == "__main__":
    main()
