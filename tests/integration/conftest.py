"""Fixtures for integration tests against a real FHIR server (Medplum in memory, see tests/fhir_server_harness.py).

Without the server installed the tests are skipped, except when the environment variable ``CI`` is set: then
they fail, so CI can never silently skip them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parents[1])  # for fhir_server_harness
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from fhir_server_harness import INSTALL_COMMAND, MedplumServer  # noqa: E402


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
