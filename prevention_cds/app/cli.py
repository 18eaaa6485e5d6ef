"""The ``prevention-cds`` command: ``serve``, ``evaluate``, ``scan`` and ``check``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prevention_cds.settings import ConfigError, Settings

if TYPE_CHECKING:
    from prevention_cds.evaluate import CdsEvaluator
    from prevention_cds.hooks.catalog import ServiceDefinition

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
    scan = commands.add_parser("scan", help="a bulk FHIR export in: MMR status per patient, aggregates, report")
    scan.add_argument("path", type=Path, help="a Bulk Data export folder (ndjson, ndjson.gz, manifest) or of Bundles")
    scan.add_argument("--out", type=Path, required=True, help="output folder (tables, report.html, summary.json)")
    scan.add_argument("--today", type=date.fromisoformat, help="evaluate as of this date (YYYY-MM-DD, noon Paris)")
    scan.add_argument("--workers", type=int, help="local worker processes (default: one per usable core)")
    scan.add_argument("--dask-scheduler", metavar="ADDRESS", help="run on a Dask cluster (tcp://host:8786)")
    scan.add_argument("--exposure", type=Path, action="append", default=[],
                      help="ndjson of IIM exposure Observations: the IIM rules run too (repeatable)")
    scan.add_argument("--lang", default=None, choices=("fr", "en"), help="language of the report")
    scan.add_argument("--partition-mb", type=int, default=32, help="routed resources per partition, about")
    scan.add_argument("--keep-work", action="store_true", help="keep the partitions (in OUT/.scan-work)")
    scan.add_argument("--quiet", action="store_true", help="no progress")
    user = commands.add_parser("user", help="workspace accounts (in the database of `serve` with the same --port)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    account = argparse.ArgumentParser(add_help=False)
    account.add_argument("username")
    account.add_argument("--port", type=int,
                         help="the instance's port (default 8080, PREVENTION_CDS_PORT): its default database")
    create = user_commands.add_parser("create", parents=[account],
                                      help="create an account (the password is asked, or read from stdin)")
    roles = create.add_mutually_exclusive_group()
    roles.add_argument("--admin", action="store_const", const="admin", dest="role", help="administrator")
    roles.add_argument("--editor", action="store_const", const="editor", dest="role", help="may enter and change")
    roles.add_argument("--reader", action="store_const", const="reader", dest="role", help="may read only (default)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user_commands.add_parser("token", parents=[account], help="a new API token for an account (printed once)")
    user_commands.add_parser("unlock", parents=[account], help="unlock an account locked after failed logins")
    user_commands.add_parser("disable", parents=[account],
                             help="disable an account: its sessions and its API token stop working at once")
    user_commands.add_parser("enable", parents=[account], help="enable a disabled account again")
    role = user_commands.add_parser("role", parents=[account], help="change an account's role")
    role.add_argument("role", choices=("reader", "editor", "admin"))
    password = user_commands.add_parser("password", parents=[account],
                                        help="reset an account's password (its sessions end)")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user_commands.add_parser("revoke", parents=[account], help="revoke an account's API token")
    check = commands.add_parser("check", help="a FHIR server probed with the prefetch queries of every service")
    check.add_argument("--fhir-server", required=True, metavar="URL", help="the FHIR base URL (R4)")
    check.add_argument("--patient", action="append", default=[], metavar="ID",
                       help="a patient to check (repeatable; default: the server's first three)")
    check.add_argument("--token", help="bearer token for the FHIR server (also PREVENTION_CDS_CHECK_TOKEN)")
    check.add_argument("--out", type=Path, default=Path("prevention-cds-check"),
                       help="folder for report.json and the CDS Hooks requests (default: ./prevention-cds-check)")
    check.add_argument("--service-url", default="http://127.0.0.1:8080",
                       help="where the service runs, for the curl lines (default: http://127.0.0.1:8080)")
    check.add_argument("--today", type=date.fromisoformat, help="evaluate as of this date (YYYY-MM-DD, noon Paris)")
    check.add_argument("--lang", default=None, choices=("fr", "en"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve" and not args.dev:
        # gevent workers (prevention_cds/app/server.py): patched before the app and its libraries are imported
        from gevent import monkey

        monkey.patch_all()
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="prevention-cds-metrics-"))
    from prevention_cds.app.observability import configure_logging

    json_lines = args.command == "serve" and not args.dev and os.environ.get("PREVENTION_CDS_LOG_FORMAT") != "text"
    quiet = args.command == "scan" and args.quiet  # docs/scan.md: nothing on stderr but errors
    configure_logging("ERROR" if quiet else os.environ.get("PREVENTION_CDS_LOG_LEVEL", "INFO"), json_lines=json_lines)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "scan":
            return scan(args)
        if args.command == "user":
            return user(args)
        if args.command == "check":
            return check(args)
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


def evaluate(args: argparse.Namespace) -> int:
    from prevention_cds.app.errors import answer_for
    from prevention_cds.errors import CdsError
    from prevention_cds.evaluate import CdsEvaluator, system_clock
    from prevention_cds.fhir_in.bundle_entries import group_by_patient, read_inputs
    from prevention_cds.hooks.bundles import request_body
    from prevention_cds.hooks.catalog import SERVICES_BY_ID
    from prevention_cds.settings import PRACTICE_TIMEZONE

    settings = _settings(True)
    now = datetime.combine(args.today, time(12, 0), tzinfo=PRACTICE_TIMEZONE) if args.today else None
    evaluator = CdsEvaluator(settings, clock=(lambda: now) if now else system_clock)
    service = SERVICES_BY_ID[args.service]
    language = args.lang or settings.default_language
    if not args.path.exists():
        print(f"prevention-cds: {args.path} does not exist", file=sys.stderr)
        return 2
    failures = absent = 0
    groups: list[tuple[str, str, list[dict[str, Any]]]] = []
    for read in read_inputs(args.path):
        for problem in read.problems:  # said, counted under errors, never silently dropped
            print(f"prevention-cds: {read.source}: {problem}: not evaluated", file=sys.stderr)
        failures += len(read.problems)
        grouped = group_by_patient(read.resources)
        absent += grouped.absent_patient_resources
        groups += [(read.source, patient_id, items) for patient_id, items in grouped.patients.items()]
    if absent:
        print(f"prevention-cds: {absent} resource(s) name a patient that is not in the input: not evaluated",
              file=sys.stderr)
    if args.summary:
        summary = summarise(evaluator, service, ((pid, items) for _, pid, items in groups), failures, absent)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 1 if failures else 0
    results: list[dict[str, Any]] = []
    for source, patient_id, items in groups:
        try:
            response = evaluator.invoke(service.id, request_body(service, patient_id, items), language)
        except CdsError as exc:
            failures += 1
            answer = answer_for(exc)
            response = {"error": exc.message, "status": answer.status if answer else None}
        results.append({"source": source, "patientId": patient_id, **response})
    if len(results) == 1 and args.path.is_file():
        print(json.dumps({"cards": results[0].get("cards", [])}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    if not groups:
        print("prevention-cds: no patient in the input (a Patient resource with its id, or a Bundle entry's "
              "fullUrl)", file=sys.stderr)
    return 1 if failures or not groups else 0


def summarise(
    evaluator: CdsEvaluator, service: ServiceDefinition, patients: Iterable[tuple[str, list[dict[str, Any]]]],
    errors: int = 0, absent_patient_resources: int = 0,
) -> dict[str, Any]:
    """``by_status`` (services that run the MMR rules): each patient once, under the most pressing status of the
    advice of the service's rule sets. ``cards_by_outcome``: every card the service answers (one Advice is one
    card), under the id of the rule that gave it. A deceased patient gets no card and is counted apart
    (``deceased``), as the population scan does. ``errors``: the entries or lines that could not be read;
    ``resources_of_absent_patients``: resources naming a patient the input does not hold."""
    from prevention_cds.evaluate import evaluate_patient
    from prevention_cds.rules.mmr.cards.up_to_date import UP_TO_DATE_RULE
    from prevention_cds.rules.status import STATUS_ORDER, vaccination_status

    rule_sets = evaluator.rule_sets_of(service)
    # The up-to-date advice says why nothing is owed (immune, not yet due, complete): always asked for here, and
    # counted as a card only when the deployment shows it.
    shows_up_to_date = evaluator.settings.rule_settings.info_card_when_up_to_date
    rule_settings = replace(evaluator.settings.rule_settings, info_card_when_up_to_date=True)
    now = evaluator.clock()
    statuses = dict.fromkeys(STATUS_ORDER, 0)
    outcomes: Counter[str] = Counter()
    patients_seen = without_card = deceased = 0
    for patient_id, resources in patients:
        evaluation = evaluate_patient(patient_id, resources, rule_sets, now, rule_settings, evaluator.index)
        patients_seen += 1
        if evaluation.record.deceased:
            deceased += 1
            continue
        advice = evaluation.advice
        statuses[vaccination_status(advice).status] += 1
        cards = [a.rule for a in advice if shows_up_to_date or a.rule != UP_TO_DATE_RULE]
        outcomes.update(cards)
        without_card += not cards
    summary: dict[str, Any] = {"patients": patients_seen, "deceased": deceased, "errors": errors,
                               "resources_of_absent_patients": absent_patient_resources}
    if "mmr" in service.rule_sets:
        summary["by_status"] = statuses
    summary["cards_by_outcome"] = dict(sorted(outcomes.items()))
    summary["patients_without_card"] = without_card
    return summary


def user(args: argparse.Namespace) -> int:
    """Accounts of the workspace, in the service's database: PREVENTION_CDS_DATABASE_URL, else the default
    database of the instance on --port (the one `serve --port` opens)."""
    from prevention_cds.adapters.workspace_db import WorkspaceDatabase
    from prevention_cds.evaluate import system_clock
    from prevention_cds.workspace.accounts import Accounts
    from prevention_cds.workspace.errors import WorkspaceError
    from prevention_cds.workspace.i18n import say

    database = WorkspaceDatabase(_settings(False, port=args.port).database_url)
    database.upgrade()
    accounts = Accounts(database, system_clock)
    name, command = args.username, args.user_command
    try:
        if command in ("create", "password"):
            password = _new_password(args.password_stdin)
            if password is None:
                return 2
            if command == "create":
                accounts.create(name, password, args.role or "reader")
                print(f"account {name} created ({args.role or 'reader'})")
            else:
                accounts.set_password(name, password, "cli")
                print(f"password of {name} changed; its sessions are ended")
        elif command == "token":
            print(accounts.new_token(name))
        elif command == "role":
            accounts.set_role(name, args.role, "cli")
            print(f"account {name} is now {args.role}")
        else:
            {"unlock": accounts.unlock, "disable": accounts.disable, "enable": accounts.enable,
             "revoke": accounts.revoke_token}[command](name, "cli")
            print({"unlock": f"account {name} unlocked",
                   "disable": f"account {name} disabled; its sessions and its API token no longer work",
                   "enable": f"account {name} enabled", "revoke": f"API token of {name} revoked"}[command])
    except WorkspaceError as exc:
        print(f"prevention-cds: {say(exc.message, 'en')}", file=sys.stderr)
        return 2
    return 0


def _new_password(from_stdin: bool) -> str | None:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Mot de passe / password: ")
    if getpass.getpass("Confirmer / confirm: ") != password:
        print("prevention-cds: the passwords differ", file=sys.stderr)
        return None
    return password


def scan(args: argparse.Namespace) -> int:
    """Exit 0 when every line was read, 1 when some were skipped (listed in errors.csv) or a file the manifest lists
    is missing, 2 when nothing could run."""
    try:
        from prevention_cds.scan.errors import ScanInputError
        from prevention_cds.scan.progress import progress_for
        from prevention_cds.scan.runner import MIB, ScanOptions, run_scan
    except ImportError as exc:
        print(f"prevention-cds: scan needs the scan extra (pip install 'prevention-cds[scan]'): {exc}", file=sys.stderr)
        return 2

    settings = _settings(True)
    if args.workers is not None and args.workers < 1:
        print("prevention-cds: --workers must be at least 1", file=sys.stderr)
        return 2
    options = ScanOptions(
        source=args.path, out=args.out, today=args.today, workers=args.workers, dask_scheduler=args.dask_scheduler,
        exposures=tuple(args.exposure), language=args.lang or settings.default_language,
        rule_settings=settings.rule_settings, partition_bytes=max(1, args.partition_mb) * MIB,
        keep_work=args.keep_work,
    )
    try:
        outcome = run_scan(options, progress_for(args.quiet))
    except ScanInputError as exc:
        print(f"prevention-cds: {exc}", file=sys.stderr)
        return 2
    summary = outcome.summary
    print(json.dumps({"out": str(args.out), "patients": summary["patients"], "mmr_status": summary["mmr_status"],
                      "skipped_lines": outcome.skipped_lines, "seconds": summary["run"]["total_seconds"]},
                     ensure_ascii=False, indent=2))
    return 1 if outcome.skipped_lines or summary["input"]["missing_files"] else 0


def check(args: argparse.Namespace) -> int:
    """Exit 0 when every query of every patient was answered, 1 otherwise, 2 when the check cannot run."""
    from prevention_cds.adapters.fhir_client import fhir_server_refusal
    from prevention_cds.check.report import render_text
    from prevention_cds.check.runner import CheckOptions, run_check
    from prevention_cds.evaluate import CdsEvaluator
    from prevention_cds.settings import PRACTICE_TIMEZONE

    settings = _settings(True)
    server = args.fhir_server.rstrip("/")
    refusal = fhir_server_refusal(server, (server,), dev=True)  # the tester's own server: only its form is checked
    if refusal is not None:
        print(f"prevention-cds: --fhir-server: {refusal}", file=sys.stderr)
        return 2
    now = (datetime.combine(args.today, time(12, 0), tzinfo=PRACTICE_TIMEZONE) if args.today
           else datetime.now(PRACTICE_TIMEZONE))
    evaluator = CdsEvaluator(settings, clock=lambda: now)
    options = CheckOptions(
        fhir_server=server, patients=tuple(args.patient),
        token=args.token or os.environ.get("PREVENTION_CDS_CHECK_TOKEN") or None, out=args.out,
        service_url=args.service_url, language=args.lang or settings.default_language, settings=settings,
    )
    report = run_check(options, evaluator, now)
    print(render_text(report, args.service_url))
    print(f"report: {args.out / 'report.json'}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
