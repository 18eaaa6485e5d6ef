"""The first admin from the command line, and the schema: Alembic's migrations match the models, run on SQLite and
PostgreSQL, twice without harm, beside the feedback and JWT replay tables."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from conftest import FROZEN_NOW
from prevention_cds.adapters.auth.replay import SqlReplayStore
from prevention_cds.adapters.feedback_store import FeedbackEntry, SqlFeedbackStore
from prevention_cds.adapters.workspace_db import AuditEntry, Base, WorkspaceDatabase
from prevention_cds.workspace.accounts import Accounts
from support.server_process import server_env, start_server, stop_gracefully


def _cli(*args: str, stdin: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"PREVENTION_CDS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120)


def test_user_create_admin_then_login(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    created = _cli("user", "create", "chef", "--admin", "--password-stdin", stdin="un mot de passe solide\n",
                   database_url=url)
    assert created.returncode == 0, created.stderr
    again = _cli("user", "create", "chef", "--admin", "--password-stdin", stdin="un mot de passe solide\n",
                 database_url=url)
    assert again.returncode == 2 and "already exists" in again.stderr
    short = _cli("user", "create", "x", "--password-stdin", stdin="court\n", database_url=url)
    assert short.returncode == 2 and "at least 12" in short.stderr
    actor = Accounts(WorkspaceDatabase(url), lambda: FROZEN_NOW).authenticate("chef", "un mot de passe solide")
    assert actor is not None and actor.role == "admin"
    token = _cli("user", "token", "chef", stdin="", database_url=url)
    assert token.returncode == 0 and len(token.stdout.strip()) > 30


def _workspace_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "ws_")
    return str(table).startswith("ws_")


def test_migrations_match_the_models_and_keep_the_other_tables(database_url: str) -> None:
    feedback = SqlFeedbackStore(database_url)
    replay = SqlReplayStore(database_url)
    database = WorkspaceDatabase(database_url)
    database.upgrade()
    database.upgrade()  # a second start-up: nothing to do
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _workspace_object})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert {"feedback", "seen_jwt", "alembic_version", "ws_contact", "ws_user", "ws_audit"} <= tables
    assert feedback.record("iim-prophylaxis", [FeedbackEntry("c1", "accepted", "2026-11-21T10:00:00Z")]) == 1
    assert replay.add("https://ehr.example.org", "jti-1", 2e9, 1e9)


def test_user_create_on_a_port_lands_in_the_database_serve_on_that_port_opens(tmp_path: Path) -> None:
    """No PREVENTION_CDS_DATABASE_URL: each instance's default database is named by its port; `user --port N`
    writes where `serve --port N` reads, and the account logs in there."""
    env = server_env(tmp_path / "unused.sqlite3")
    del env["PREVENTION_CDS_DATABASE_URL"]
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    server = start_server(env, tmp_path / "server.log", workers=1)
    try:
        cli = [sys.executable, "-m", "prevention_cds.app.cli", "user"]
        created = subprocess.run([*cli, "create", "chef", "--admin", "--password-stdin", "--port", str(server.port)],
                                 input="un mot de passe solide\n", env=env, capture_output=True, text=True,
                                 timeout=120)
        assert created.returncode == 0, created.stderr
        assert (tmp_path / "data" / "prevention-cds" / f"prevention-cds-{server.port}.sqlite3").exists()
        assert not (tmp_path / "data" / "prevention-cds" / "prevention-cds-8080.sqlite3").exists()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/workspace/login")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        form = urllib.parse.urlencode({"username": "chef", "password": "un mot de passe solide",
                                       "csrf_token": token[1]})
        connection.request("POST", "/workspace/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 302 and answer.getheader("Location", "").endswith("/workspace/")
    finally:
        stop_gracefully(server)


def test_account_management_from_the_command_line_is_audited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    assert _cli("user", "create", "ide", "--editor", "--password-stdin", stdin="un mot de passe solide\n",
                database_url=url).returncode == 0
    accounts = Accounts(WorkspaceDatabase(url), lambda: FROZEN_NOW)
    token = _cli("user", "token", "ide", stdin="", database_url=url).stdout.strip()
    assert accounts.by_token(token) is not None
    assert _cli("user", "revoke", "ide", stdin="", database_url=url).returncode == 0
    assert accounts.by_token(token) is None
    assert _cli("user", "role", "ide", "reader", stdin="", database_url=url).returncode == 0
    assert _cli("user", "password", "ide", "--password-stdin", stdin="un autre mot de passe\n",
                database_url=url).returncode == 0
    actor = accounts.authenticate("ide", "un autre mot de passe")
    assert actor is not None and actor.role == "reader"
    assert _cli("user", "disable", "ide", stdin="", database_url=url).returncode == 0
    assert accounts.authenticate("ide", "un autre mot de passe") is None
    assert _cli("user", "enable", "ide", stdin="", database_url=url).returncode == 0
    assert accounts.authenticate("ide", "un autre mot de passe") is not None
    unknown = _cli("user", "disable", "personne", stdin="", database_url=url)
    assert unknown.returncode == 2 and "nknown" in unknown.stderr
    with WorkspaceDatabase(url).session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.target == "ide")
                                                     .order_by(AuditEntry.id))]
    assert actions == ["account.create", "account.token", "account.revoke-token", "account.role", "account.password",
                       "account.disable", "account.enable"]
