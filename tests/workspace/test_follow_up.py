"""The follow-up of a contact closes the measures owed when it was closed: a vaccine owed since (the serogroup
became known) is still to do, until it is marked taken or declined too."""

from __future__ import annotations

from pathlib import Path

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import WorkspaceDatabase
from prevention_cds.settings import Settings
from prevention_cds.workspace.service import Actor, Workspace

NURSE = Actor("nurse", "editor")


def test_a_vaccine_owed_after_the_antibiotic_was_taken_is_still_to_do(tmp_path: Path) -> None:
    db = WorkspaceDatabase(f"sqlite:///{tmp_path / 'ws.sqlite3'}")
    db.upgrade()
    workspace = Workspace(db, Settings().rule_settings, lambda: FROZEN_NOW)
    investigation = workspace.create_investigation(NURSE, {"title": "t", "disease": "iim", "serogroup": "unknown",
                                                           "confirmed": "true"})
    contact = workspace.add_contact(NURSE, investigation.id, {
        "nom": "Martin", "prenom": "Paul", "date_naissance": "2010-05-01", "poids_kg": "45",
        "situation": "household", "dernier_contact": "2026-11-20 18:00"})

    def status() -> str:
        (row,) = workspace.contact_rows(investigation.id)
        return row.status

    assert status() == "todo"
    workspace.set_state(NURSE, investigation.id, contact.id, "taken")
    assert status() == "done"
    workspace.update_case(NURSE, investigation.id, {"serogroup": "W"})  # ACWY now owed
    (row,) = workspace.contact_rows(investigation.id)
    assert row.decision["vaccine"] is not None and row.contact.state == "taken"
    assert status() == "todo" and [r.contact.id for r in workspace.contact_rows(investigation.id, status="todo")]
    workspace.set_state(NURSE, investigation.id, contact.id, "reached")
    assert status() == "todo"
    workspace.set_state(NURSE, investigation.id, contact.id, "taken")  # the vaccine given too
    assert status() == "done"
