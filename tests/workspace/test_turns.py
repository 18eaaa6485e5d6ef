"""Long actions give way (``Workspace.give_way``: on the server, the worker's other connections get their turn):
two imports interleaved in one worker end as two imports in two workers do, the second to commit refused whole,
nothing half-written. Greenlets switching at every turn stand for the gevent worker."""

from __future__ import annotations

from typing import Any

import gevent
import pytest
from sqlalchemy import event, func, select

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import Contact, ContactEvent, ImportRecord, WorkspaceDatabase
from prevention_cds.settings import Settings
from prevention_cds.workspace.errors import Conflict
from prevention_cds.workspace.service import CONTACTS_PER_TURN, Actor, Workspace

NURSE = Actor("nurse", "editor")
CONTACTS = 4 * CONTACTS_PER_TURN
CSV = ("nom;prenom;date_naissance;situation;dernier_contact\n" + "".join(
    f"Nom{i};Prénom{i};1990-01-{1 + i:02d};household;2026-11-19 20:00\n" for i in range(CONTACTS))).encode()


def test_two_imports_interleaved_in_one_worker_end_as_in_two_workers(database_url: str) -> None:
    db = WorkspaceDatabase(database_url)
    db.upgrade()
    turns: list[str] = []

    def switch() -> None:  # the other import runs until its own turn
        turns.append(gevent.getcurrent().name)
        gevent.sleep(0)

    workspace = Workspace(db, Settings().rule_settings, lambda: FROZEN_NOW, give_way=switch)
    investigation_id = workspace.create_investigation(NURSE, {"title": "t", "disease": "iim", "serogroup": "C"}).id
    outcomes: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = workspace.import_contacts(NURSE, investigation_id, CSV, "text/csv")
        except Conflict as refused:
            outcomes[name] = refused

    imports = [gevent.spawn(run, name) for name in ("first", "second")]
    for greenlet, name in zip(imports, ("first", "second"), strict=True):
        greenlet.name = name
    gevent.joinall(imports, raise_error=True)

    assert turns[:4] == ["first", "second", "first", "second"], turns  # the two loops did interleave
    assert outcomes["first"].counts["created"] == CONTACTS
    assert isinstance(outcomes["second"], Conflict)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == CONTACTS
        assert session.scalar(select(func.count()).select_from(ContactEvent)) == CONTACTS
        assert session.scalar(select(func.count()).select_from(ImportRecord)) == 1


@pytest.mark.parametrize("action", ["import", "case change"])
def test_nothing_is_written_while_an_action_gives_way(database_url: str, action: str) -> None:
    """A turn taken with a write pending would hold the write lock across it (SQLite: the whole worker stuck in
    another greenlet's busy wait): every INSERT / UPDATE of the action comes after its last turn."""
    db = WorkspaceDatabase(database_url)
    db.upgrade()
    workspace = Workspace(db, Settings().rule_settings, lambda: FROZEN_NOW)
    investigation_id = workspace.create_investigation(NURSE, {"title": "t", "disease": "iim", "serogroup": "C"}).id
    if action == "case change":
        workspace.import_contacts(NURSE, investigation_id, CSV, "text/csv")
    statements: list[str] = []
    writes_at_turns: list[int] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2].split()[0].upper()))
    workspace.give_way = lambda: writes_at_turns.append(sum(s in ("INSERT", "UPDATE") for s in statements))
    if action == "import":
        workspace.import_contacts(NURSE, investigation_id, CSV.replace(b"Nom", b"Autre"), "text/csv")
    else:
        workspace.update_case(NURSE, investigation_id, {"serogroup": "W"})
    assert writes_at_turns == [0] * (CONTACTS // CONTACTS_PER_TURN)
    assert "INSERT" in statements or "UPDATE" in statements  # written after the turns
