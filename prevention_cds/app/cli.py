"""The ``prevention-cds`` command: ``serve`` and ``evaluate``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prevention_cds.settings import ConfigError, Settings

if TYPE_CHECKING:
    from prevention_cds.evaluate import RuleSet
    from prevention_cds.rules.advice import Advice
    from prevention_cds.rules.facts import OrderContext, PatientRecord
    from prevention_cds.rules.ruleset import RuleSettings

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
                          help="print counts instead of cards: MMR status per patient (due, overdue, complete, "
                               "contraindicated) and cards per outcome (iim.prophylaxis.rifampicin, "
                               "iim.weight-needed, iim.not-a-contact, iim.window-closed...)")
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
        from prevention_cds.app.services import services
        from prevention_cds.app.warmup import warm_up

        warm_up(services(app).evaluator)  # what gunicorn's master does: no file read afterwards
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as cleanly as gunicorn does
        app.run(host=settings.host, port=settings.port, debug=False, threaded=True)
        return 0
    from prevention_cds.app.server import run_gunicorn

    run_gunicorn(app, settings)
    return 0


class _OutcomeRecorder:
    """A rule set that notes the rule id of each Advice it returns (one Advice is one card, rules/advice.py), so
    ``--summary`` counts cards by outcome while the evaluation stays the one HTTP runs."""

    def __init__(self, rules: RuleSet, seen: list[str]) -> None:
        self._rules, self._seen = rules, seen

    def _noted(self, advice: tuple[Advice, ...]) -> tuple[Advice, ...]:
        self._seen.extend(a.rule for a in advice)
        return advice

    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
        return self._noted(self._rules.evaluate(record, now, settings))

    def check_orders(
        self, record: PatientRecord, orders: OrderContext, now: datetime, settings: RuleSettings
    ) -> tuple[Advice, ...]:
        return self._noted(self._rules.check_orders(record, orders, now, settings))


def evaluate(args: argparse.Namespace) -> int:
    from prevention_cds.app.errors import answer_for
    from prevention_cds.errors import CdsError
    from prevention_cds.evaluate import CdsEvaluator, default_rule_sets, system_clock
    from prevention_cds.hooks.bundles import group_by_patient, read_inputs, request_body
    from prevention_cds.hooks.catalog import SERVICES_BY_ID
    from prevention_cds.settings import PRACTICE_TIMEZONE

    settings = _settings(True)
    now = datetime.combine(args.today, time(12, 0), tzinfo=PRACTICE_TIMEZONE) if args.today else None
    seen: list[str] = []
    rule_sets: dict[str, RuleSet] = {name: _OutcomeRecorder(rules, seen) for name, rules in default_rule_sets().items()}
    evaluator = CdsEvaluator(settings, clock=(lambda: now) if now else system_clock, rule_sets=rule_sets)
    service = SERVICES_BY_ID[args.service]
    language = args.lang or settings.default_language
    if not args.path.exists():
        print(f"prevention-cds: {args.path} does not exist", file=sys.stderr)
        return 2
    failures = 0
    results: list[dict[str, Any]] = []
    outcomes: list[tuple[str, ...]] = []  # the rule id of each card, per result
    for source, resources in read_inputs(args.path):
        for patient_id, items in group_by_patient(resources).items():
            seen.clear()
            try:
                response = evaluator.invoke(service.id, request_body(service, patient_id, items), language)
            except CdsError as exc:
                failures += 1
                answer = answer_for(exc)
                response = {"error": exc.message, "status": answer.status if answer else None}
            results.append({"source": source, "patientId": patient_id, **response})
            outcomes.append(tuple(seen) if "cards" in response else ())
    if args.summary:
        summary = summarise(results, outcomes, with_mmr_status="mmr" in service.rule_sets)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif len(results) == 1 and args.path.is_file():
        print(json.dumps({"cards": results[0].get("cards", [])}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    return 1 if failures else 0


STATUS_ORDER = ("contraindicated", "overdue", "due", "immune", "complete")


def summarise(
    results: list[dict[str, Any]], outcomes: list[tuple[str, ...]], *, with_mmr_status: bool = True
) -> dict[str, Any]:
    """``by_status`` (services with the MMR rules): each patient once, under the most pressing forecast status of
    its cards (no card: complete). ``cards_by_outcome``: every card, counted under the id of the rule that gave it
    (``outcomes``, one tuple of rule ids per result)."""
    summary: dict[str, Any] = {"patients": len(results), "errors": sum("error" in r for r in results)}
    if with_mmr_status:
        summary["by_status"] = mmr_status_counts(results)
    by_outcome = Counter(rule for rules in outcomes for rule in rules)
    summary["cards_by_outcome"] = dict(sorted(by_outcome.items()))
    summary["patients_without_card"] = sum(1 for r in results if "error" not in r and not r.get("cards"))
    return summary


def mmr_status_counts(results: list[dict[str, Any]]) -> dict[str, int]:
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
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
