"""Shared fixtures: a frozen clock, the Flask app on a temporary SQLite database, the real FHIR server, a real
PostgreSQL server, and two guards: one fails any test during which a request got a 500 or the cards layer logged
an error (a missing message, a parameter missing from a template); the other fails any test (or the collection)
during which the service built a FHIR resource that is not valid R4B or does not conform to its profiles."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fhir_server_harness import INSTALL_COMMAND, MedplumServer
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import PRACTICE_TIMEZONE, Settings
from support.card_brevity import Measured, watch_rule_sets
from support.emitted import EmittedResources, watch_builders

pytest_plugins = ["support.browser"]  # the `browser` fixture of the page tests

# A deliberately non-UTC "today": 21 November 2026, 10:00 in Paris.
FROZEN_NOW = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
TEST_DATA = Path(__file__).resolve().parent / "data"  # copies with licence and provenance (tests/data/README.md)
SYNTHEA_BUNDLES = TEST_DATA / "synthea-r4-bundles"
SYNTHEA_BULK = TEST_DATA / "synthea-bulk-100"
RXNORM_SANDBOX = TEST_DATA / "rxnorm-sandbox"
EHR_ORIGIN = "https://ehr.example.org"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'feedback.sqlite3'}",
        auth_mode="off",
        cors_allowed_origins=(EHR_ORIGIN,),
        fhir_timeout_seconds=2.0,
        fhir_deadline_seconds=4.0,
        dev=True,
    )


@pytest.fixture
def patient_client(settings: Settings) -> FlaskClient:
    """For functional tests against the real FHIR server: timeouts generous enough for a loaded machine (the
    timeout behaviour itself is tested with the tight ``settings``)."""
    relaxed = settings.with_changes(fhir_timeout_seconds=30.0, fhir_deadline_seconds=60.0)
    return create_app(relaxed, evaluator=CdsEvaluator(relaxed, clock=lambda: FROZEN_NOW)).test_client()


@pytest.fixture
def evaluator(settings: Settings) -> CdsEvaluator:
    return CdsEvaluator(settings, clock=lambda: FROZEN_NOW)


@pytest.fixture
def app(settings: Settings, evaluator: CdsEvaluator) -> Flask:
    return create_app(settings, evaluator=evaluator)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- every resource the service builds, in any test, is validated (support/emitted.py) ---

_WATCH = ExitStack()
_EMITTED: list[EmittedResources] = []
_CARDS: list[Measured] = []  # every advice, measured as a card and its explanation page (support/card_brevity.py)


def pytest_configure(config: pytest.Config) -> None:
    # before the test modules are imported: some build their cases (and resources) at import time
    _EMITTED.append(_WATCH.enter_context(watch_builders()))
    _CARDS.append(_WATCH.enter_context(watch_rule_sets()))
    config.add_cleanup(_WATCH.close)


def _invalid(problems: list[str]) -> str:
    return f"{len(problems)} problem(s) in emitted FHIR resources:\n" + "\n".join(problems[:20])


def pytest_collection_finish(session: pytest.Session) -> None:
    problems = _EMITTED[0].take_problems()
    if problems:
        raise pytest.UsageError("while collecting: " + _invalid(problems))
    cards = _CARDS[0].take_problems()
    if cards:
        raise pytest.UsageError("while collecting: cards too long or naming project files:\n" + "\n".join(cards))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"emitted FHIR resources validated (R4B and profiles): {_EMITTED[0].count}")
    cards = _CARDS[0]
    terminalreporter.write_line(
        f"cards measured: {cards.cards}; longest French detail {cards.longest} characters "
        f"({cards.longest_rule}, {cards.longest_test or 'at collection'}); with every decisive line shown "
        f"{cards.longest_whole} ({cards.longest_whole_test}); "
        f"{cards.fitted} with decisive lines left to the explanation page, in {sorted(cards.fitted_tests)}; "
        f"longest explanation link {cards.longest_link} characters"
    )


@pytest.fixture(autouse=True)
def emitted_resources_are_valid() -> Iterator[None]:
    yield
    problems = _EMITTED[0].take_problems()
    assert not problems, _invalid(problems)


@pytest.fixture(autouse=True)
def cards_are_short_and_name_no_project_file() -> Iterator[None]:
    yield
    problems = _CARDS[0].take_problems()
    assert not problems, f"{len(problems)} card problem(s):\n" + "\n".join(problems[:20])


@pytest.fixture(autouse=True)
def no_internal_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No request of the suite may get a 500 (the app logs each one), and the cards layer may log no error."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR
           and (r.name.startswith("prevention_cds.fhir_out") or r.name == "prevention_cds.app.factory")]
    assert not bad, "internal errors: " + "; ".join(r.getMessage() for r in bad)


# --- a real FHIR server (Medplum in memory): skipped without it, except under CI where it must run ---


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: integration tests must not be skipped)", pytrace=False)
    pytest.skip(reason)


def _require_server() -> None:
    if not MedplumServer.available():
        _skip_or_fail(f"Medplum FHIR test server not installed (run: {INSTALL_COMMAND})")


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[MedplumServer]:
    """One FHIR server shared by the whole session: tests must not assume it is empty."""
    _require_server()
    with MedplumServer() as server:
        yield server


@pytest.fixture
def fhir_server_factory() -> Iterator[Callable[..., MedplumServer]]:
    """Starts extra servers, e.g. ``fhir_server_factory(require_bearer="token")``; stopped after the test."""
    _require_server()
    started: list[MedplumServer] = []

    def start(*, require_bearer: str | None = None, default_count: int | None = None) -> MedplumServer:
        server = MedplumServer(require_bearer=require_bearer, default_count=default_count).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- a real PostgreSQL server (pgserver: PostgreSQL's binaries in a wheel of the test extras) ---

@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One PostgreSQL server for the session, in a folder of its own (pgserver runs it as a user of its own
    when the tests run as root, and opens the folder's parents to that user: not pytest's private tmp)."""
    try:
        import pgserver
    except ImportError:
        _skip_or_fail("PostgreSQL test server not installed (pip install -e '.[test]')")
    folder = tempfile.mkdtemp(prefix="prevention-cds-postgres-")
    server = pgserver.get_server(folder, cleanup_mode="stop")  # type: ignore[attr-defined]
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The service's database on each supported backend: a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:16]}"
    server.psql(f"CREATE DATABASE {name};")
    socket_folder = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return f"postgresql+psycopg://postgres@/{name}?host={socket_folder}"
