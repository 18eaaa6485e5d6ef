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
    user = commands.add_parser("user", help="workspace accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create an account (the password is asked, or read from stdin)")
    create.add_argument("username")
    roles = create.add_mutually_exclusive_group()
    roles.add_argument("--admin", action="store_const", const="admin", dest="role", help="administrator")
    roles.add_argument("--editor", action="store_const", const="editor", dest="role", help="may enter and change")
    roles.add_argument("--reader", action="store_const", const="reader", dest="role", help="may read only (default)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    token = user_commands.add_parser("token", help="a new API token for an account (printed once)")
    token.add_argument("username")
    unlock = user_commands.add_parser("unlock", help="unlock an account locked after failed logins")
    unlock.add_argument("username")
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
        if args.command == "user":
            return user(args)
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
    from prevention_cds.evaluate import CdsEvaluator, system_clock
    from prevention_cds.fhir_in.record import LOCAL_TIMEZONE
    from prevention_cds.hooks.bundles import group_by_patient, read_inputs, request_body
    from prevention_cds.hooks.catalog import SERVICES_BY_ID
    from prevention_cds.hooks.errors import ProtocolError

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
            except ProtocolError as exc:
                failures += 1
                response = {"error": exc.message, "status": exc.status}
            results.append({"source": source, "patientId": patient_id, **response})
    if args.summary:
        print(json.dumps(summarise(results), ensure_ascii=False, indent=2))
    elif len(results) == 1 and args.path.is_file():
        print(json.dumps({"cards": results[0].get("cards", [])}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    return 1 if failures else 0


def user(args: argparse.Namespace) -> int:
    """Accounts of the workspace, in the service's database (PREVENTION_CDS_DATABASE_URL)."""
    import getpass

    from prevention_cds.adapters.workspace_db import WorkspaceDatabase
    from prevention_cds.evaluate import system_clock
    from prevention_cds.workspace.accounts import Accounts
    from prevention_cds.workspace.errors import WorkspaceError
    from prevention_cds.workspace.i18n import say

    database = WorkspaceDatabase(Settings.from_env().database_url)
    database.upgrade()
    accounts = Accounts(database, system_clock)
    try:
        if args.user_command == "create":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass("Mot de passe / password: ")
                if getpass.getpass("Confirmer / confirm: ") != password:
                    print("prevention-cds: the passwords differ", file=sys.stderr)
                    return 2
            accounts.create(args.username, password, args.role or "reader")
            print(f"account {args.username} created ({args.role or 'reader'})")
        elif args.user_command == "token":
            print(accounts.new_token(args.username))
        else:
            accounts.unlock(args.username, "cli")
            print(f"account {args.username} unlocked")
    except WorkspaceError as exc:
        print(f"prevention-cds: {say(exc.message, 'en')}", file=sys.stderr)
        return 2
    return 0


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
