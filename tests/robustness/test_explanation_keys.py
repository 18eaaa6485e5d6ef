"""Without ``PREVENTION_CDS_EXPLANATION_KEYS`` a card's explanation link opens on every worker, after a restart
and on another instance of the same database: the key is generated once and kept in the service's database, as
the workspace's session key is.

The real server (``python -m prevention_cds.app.cli serve``, gunicorn with 3 gthread workers) on a SQLite file:
one card's link opened on fresh connections (each may land on any worker), then again after a SIGKILL and a
restart, and on a second server started on the same database; a server on another database refuses it.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fhir_factory import hook_request, patient
from support.server_process import ServerProcess, kill_group, server_env, start_server, stop_gracefully

WORKERS = 3
OPENINGS = 12  # fresh connections: the workers take them in turn
BUDGET_SECONDS = 50.0


def _card_link(server: ServerProcess) -> str:
    body = json.dumps(hook_request("patient-view", [patient("p1", "1990-05-04")])).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("POST", "/cds-services/ror-vaccination", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200, answer
    (link,) = [link["url"] for card in answer["cards"] for link in card["links"] if "/explanations/" in link["url"]]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _open(server: ServerProcess, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.timeout(60)
def test_a_link_opens_on_every_worker_after_a_restart_and_on_another_instance(tmp_path: Path) -> None:
    end = time.monotonic() + BUDGET_SECONDS
    database, log = tmp_path / "service.sqlite3", tmp_path / "server.log"
    first = start_server(server_env(database, WORKERS=str(WORKERS)), log, budget_end=end, workers=WORKERS)
    try:
        link = _card_link(first)
        assert [_open(first, link) for _ in range(OPENINGS)] == [200] * OPENINGS
        second = start_server(server_env(database, WORKERS=str(WORKERS)), log, budget_end=end, workers=WORKERS)  # another instance, the same database
        try:
            assert _open(second, link) == 200
        finally:
            stop_gracefully(second)
    finally:
        kill_group(first)
    restarted = start_server(server_env(database, WORKERS=str(WORKERS)), log, budget_end=end, workers=WORKERS)
    try:
        assert _open(restarted, link) == 200
    finally:
        stop_gracefully(restarted)
    elsewhere = start_server(server_env(tmp_path / "other.sqlite3", WORKERS="1"), log, budget_end=end, workers=1)
    try:
        assert _open(elsewhere, link) == 404  # sealed with another service's key: « Lien invalide »
    finally:
        stop_gracefully(elsewhere)
