"""The workspace's use cases on a fresh SQLite database, "today" pinned, and an open IIM investigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import WorkspaceDatabase
from prevention_cds.settings import Settings
from prevention_cds.workspace.service import Actor, Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    db = WorkspaceDatabase(f"sqlite:///{tmp_path / 'ws.sqlite3'}")
    db.upgrade()
    return Workspace(db, Settings().rule_settings, lambda: FROZEN_NOW)


@pytest.fixture
def investigation_id(workspace: Workspace) -> str:
    return workspace.create_investigation(Actor("nurse", "editor"),
                                          {"title": "t", "disease": "iim", "serogroup": "C"}).id
