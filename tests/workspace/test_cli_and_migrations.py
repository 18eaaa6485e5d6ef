"""The first admin from the command line, and the schema: Alembic's migrations match the models, run on SQLite and
PostgreSQL, twice without harm, beside the feedback and JWT replay tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from conftest import FROZEN_NOW
from prevention_cds.adapters.auth.replay import SqlReplayStore
from prevention_cds.adapters.feedback_store import FeedbackEntry, SqlFeedbackStore
from prevention_cds.adapters.workspace_db import Base, WorkspaceDatabase
from prevention_cds.workspace.accounts import Accounts


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
