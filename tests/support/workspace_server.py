"""The workspace's JSON API on the real server (``support.server_process``): an editor's API token made in the
server's database before it starts, an investigation of yesterday's IIM case and a spreadsheet of its contacts."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prevention_cds.app.factory import create_app
from prevention_cds.app.services import services
from prevention_cds.settings import Settings
from support.server_process import ServerProcess, server_env, start_server, stop_gracefully

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def editor_token(database: Path) -> str:
    """An editor account in the SQLite file ``database`` (created and migrated), and its API token."""
    accounts = services(create_app(Settings(database_url=f"sqlite:///{database}", auth_mode="off"))).accounts
    accounts.create("team", "a long enough password", "editor")
    return accounts.new_token("team")


def api(server: ServerProcess, method: str, path: str, token: str, body: bytes | None = None,
        content_type: str = "application/json") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body, {"Authorization": f"Bearer {token}", "Content-Type": content_type})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def new_investigation(server: ServerProcess, token: str) -> str:
    status, created = api(server, "POST", "/api/investigations", token, json.dumps({
        "title": "Internat, bâtiment B", "disease": "iim", "serogroup": "B", "confirmed": True,
        "diagnosis_date": YESTERDAY}).encode())
    assert status == 201, created
    return str(created["id"])


def contacts_csv(count: int) -> bytes:
    """``count`` adults of one household seen yesterday evening, each a different person."""
    rows = "".join(f"Nom{i};Prénom{i};1990-01-{1 + i % 28:02d};household;{YESTERDAY} 20:00\n"
                   for i in range(count))
    return ("nom;prenom;date_naissance;situation;dernier_contact\n" + rows).encode()


def import_contacts(server: ServerProcess, token: str, investigation_id: str, count: int) -> dict[str, Any]:
    status, imported = api(server, "POST", f"/api/investigations/{investigation_id}/contacts", token,
                           contacts_csv(count), "text/csv")
    assert status == 200, imported
    return dict(imported)


@contextmanager
def one_worker_investigation(tmp_path: Path) -> Iterator[tuple[ServerProcess, str, str]]:
    """The real server with one worker (probes then share the worker of the action under test), an editor's API
    token and a new investigation: ``(server, token, investigation id)``; the server stopped gracefully after."""
    database = tmp_path / "db.sqlite3"
    token = editor_token(database)
    server = start_server(server_env(database, WORKERS="1"), tmp_path / "server.log", workers=1)
    try:
        yield server, token, new_investigation(server, token)
    finally:
        stop_gracefully(server)
