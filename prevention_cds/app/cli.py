"""The ``prevention-cds`` command: ``serve`` and ``evaluate``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from prevention_cds.settings import ConfigError, Settings

# Service modules are imported inside the commands: `serve` must set PROMETHEUS_MULTIPROC_DIR before
# prometheus_client is first imported, so that metrics add up over the gunicorn workers.
SERVICE_IDS = ("iim-prophylaxis", "prevention-order-select", "prevention-order-sign", "ror-vaccination")

logger = logging.getLogger("prevention_cds")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prevention-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the CDS Hooks service")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1, PREVENTION_CDS_HOST)")
    serve.add_argument("--port", type=int, help="TCP port (default 8080, PREVENTION_CDS_PORT)")
    serve.add_argument("--dev", action="store_true",
                       help="Flask's development server; authentication off unless set; CORS for any origin")
    evaluate = commands.add_parser("evaluate", help="FHIR Bundle(s) in, the cards JSON out")
    evaluate.add_argument("path", type=Path, help="a Bundle file, a folder of Bundle files, or a bulk ndjson folder")
    evaluate.add_argument("--service", default="ror-vaccination", choices=SERVICE_IDS)
    evaluate.add_argument("--today", type=date.fromisoformat, help="evaluate as of this date (YYYY-MM-DD, noon Paris)")
    evaluate.add_argument("--lang", default=None, choices=("fr", "en"))
    evaluate.add_argument("--summary", action="store_true",
                          help="print per-patient counts (due, overdue, complete, contraindicated) instead of cards")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve" and not args.dev:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prevention-cds-metrics-"))
    from prevention_cds.app.observability import configure_logging

    json_lines = args.command == "serve" and not args.dev and os.environ.get("PREVENTION_CDS_LOG_FORMAT") != "text"
    configure_logging(os.environ.get("PREVENTION_CDS_LOG_LEVEL", "INFO"), json_lines=json_lines)
    try:
        if args.command == "serve":
            return serve(args)
        return evaluate(args)
    except ConfigError as exc:
        print(f"prevention-cds: {exc}", file=sys.stderr)
        return 2


def _settings(dev: bool, **overrides: Any) -> Settings:
    if dev and not os.environ.get("PREVENTION_CDS_AUTH_MODE"):
        overrides.setdefault("auth_mode", "off")
    return Settings.from_env(dev=dev, **{k: v for k, v in overrides.items() if v is not None})


def serve(args: argparse.Namespace) -> int:
    settings = _settings(args.dev, host=args.host, port=args.port)
    if settings.auth_mode == "off":
        logger.warning("AUTHENTICATION IS OFF: any caller can query this service. Use it for local development only.")
    from prevention_cds.app.factory import create_app

    app = create_app(settings)
    if settings.dev:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as cleanly as gunicorn does
        app.run(host=settings.host, port=settings.port, debug=False, threaded=True)
        return 0
    from prevention_cds.app.server import run_gunicorn

    run_gunicorn(app, settings)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from prevention_cds.app.errors import answer_for
    from prevention_cds.errors import CdsError
    from prevention_cds.evaluate import CdsEvaluator, system_clock
    from prevention_cds.fhir_in.record import LOCAL_TIMEZONE
    from prevention_cds.hooks.bundles import group_by_patient, read_inputs, request_body
    from prevention_cds.hooks.catalog import SERVICES_BY_ID

    settings = _settings(True)
    now = datetime.combine(args.today, time(12, 0), tzinfo=LOCAL_TIMEZONE) if args.today else None
    evaluator = CdsEvaluator(settings, clock=(lambda: now) if now else system_clock)
    service = SERVICES_BY_ID[args.service]
    language = args.lang or settings.default_language
    if not args.path.exists():
        print(f"prevention-cds: {args.path} does not exist", file=sys.stderr)
        return 2
    failures = 0
    results: list[dict[str, Any]] = []
    for source, resources in read_inputs(args.path):
        for patient_id, items in group_by_patient(resources).items():
            try:
                response = evaluator.invoke(service.id, request_body(service, patient_id, items), language)
            except CdsError as exc:
                failures += 1
                answer = answer_for(exc)
                response = {"error": exc.message, "status": answer.status if answer else None}
            results.append({"source": source, "patientId": patient_id, **response})
    if args.summary:
        print(json.dumps(summarise(results), ensure_ascii=False, indent=2))
    elif len(results) == 1 and args.path.is_file():
        print(json.dumps({"cards": results[0].get("cards", [])}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    return 1 if failures else 0


STATUS_ORDER = ("contraindicated", "overdue", "due", "immune", "complete")


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each patient counted once, under the most pressing forecast status of its cards (no card: complete)."""
    counts = dict.fromkeys((*STATUS_ORDER, "other-card", "error"), 0)
    for result in results:
        if "error" in result:
            counts["error"] += 1
            continue
        statuses = {
            coding["code"]
            for card in result.get("cards", [])
            for suggestion in card.get("suggestions", [])
            for action in suggestion.get("actions", [])
            if (action.get("resource") or {}).get("resourceType") == "ImmunizationRecommendation"
            for recommendation in action["resource"]["recommendation"]
            for coding in recommendation["forecastStatus"]["coding"]
        }
        chosen = next((s for s in STATUS_ORDER if s in statuses), None)
        if chosen is None:
            chosen = "other-card" if result.get("cards") else "complete"
        counts[chosen] += 1
    return {"patients": len(results), "by_status": counts}


if __name__ == "__main__":
    raise SystemExit(main())
