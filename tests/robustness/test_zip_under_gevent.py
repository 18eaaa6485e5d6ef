"""A workspace ZIP of prescriptions built on the real server (``prevention-cds serve``: gevent workers) leaves the
worker that builds it serving its other connections: the build gives them their turn after each document.

One worker, so that the probes share the worker that builds the ZIP. Before the build yielded, a probe waited for
the whole ZIP (about 6 s for 200 prescriptions on 2 shared cores); now for one document at most."""

from __future__ import annotations

import http.client
import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from prevention_cds.app.factory import create_app
from prevention_cds.app.services import services
from prevention_cds.settings import Settings
from support.server_process import ServerProcess, get, server_env, start_server, stop_gracefully

CONTACTS = 120
PROBE_LIMIT_SECONDS = 1.0  # one PDF is about 30 ms; the whole ZIP several seconds


def _api(server: ServerProcess, method: str, path: str, token: str, body: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body, {"Authorization": f"Bearer {token}", "Content-Type": content_type})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.mark.timeout(120)
def test_a_zip_being_built_leaves_the_worker_answering(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    accounts = services(create_app(Settings(database_url=f"sqlite:///{database}", auth_mode="off"))).accounts
    accounts.create("team", "a long enough password", "editor")
    token = accounts.new_token("team")
    server = start_server(server_env(database, WORKERS="1"), tmp_path / "server.log", workers=1)
    try:
        yesterday = (date.today() - timedelta(days=1)).isoformat()
        status, created = _api(server, "POST", "/api/investigations", token, json.dumps({
            "title": "Internat, bâtiment B", "disease": "iim", "serogroup": "B", "confirmed": True,
            "diagnosis_date": yesterday}).encode())
        assert status == 201, created
        rows = "".join(f"Nom{i};Prénom{i};1990-01-{1 + i % 28:02d};household;{yesterday} 20:00\n" for i in range(CONTACTS))
        status, imported = _api(server, "POST", f"/api/investigations/{created['id']}/contacts", token,
                                ("nom;prenom;date_naissance;situation;dernier_contact\n" + rows).encode(), "text/csv")
        assert status == 200, imported
        status, job = _api(server, "POST", f"/api/investigations/{created['id']}/prescriptions-zip", token)
        assert status == 202, job
        probes: list[float] = []  # a /health probe, then the job's status, in turn
        while True:
            started = time.monotonic()
            assert get(server.port, "/health", timeout=30)[0] == 200
            probes.append(time.monotonic() - started)
            status, job = _api(server, "GET", f"/api/exports/{job['id']}", token)
            probes.append(time.monotonic() - started - probes[-1])
            if job["status"] != "running":
                break
        assert job["status"] == "done" and job["done"] == CONTACTS, job
        print(f"{len(probes)} calls during the ZIP (ms): " + ", ".join(f"{p * 1000:.0f}" for p in probes))
        assert len(probes) >= 3, "the ZIP was done before the probes could see it being built"
        assert max(probes) < PROBE_LIMIT_SECONDS, f"a probe waited {max(probes):.1f} s for the ZIP"
    finally:
        stop_gracefully(server)
