"""In a real browser (Playwright, Debian's chromium): the school's file sent again keeps the allergy and the weight
corrected by hand and says so, contact by contact; a contact and a group entered by mistake are deleted; a closed
investigation is reopened; logging out voids the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from conftest import FROZEN_NOW
from prevention_cds.adapters.workspace_db import AuditEntry
from prevention_cds.app.services import services
from prevention_cds.workspace.contacts import as_row
from prevention_cds.workspace.service import Actor
from support.workspace import PASSWORD, Clock, workspace_app

EDITOR = Actor("editor", "editor")
SCHOOL_FILE = ("nom;prenom;date_naissance;sexe;poids_kg;date_pesee;situation;dernier_contact;allergies;telephone\n"
               "Arnaud;Zoé;2018-02-11;F;26;;household;2026-11-19;;06 00 00 00 11\n"
               "Bernard;Lucas;12/07/2018;M;24,5;01/11/2026;household;2026-11-19;;06 00 00 00 12\n")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def test_reimport_delete_reopen_and_logout_in_the_browser(browser: Any, live_server: Callable[[Flask], str],
                                                           app: Flask, tmp_path: Path) -> None:
    ws = services(app).workspace
    investigation = ws.create_investigation(EDITOR, {"title": "CE2 B", "disease": "iim", "serogroup": "C"})
    school_file = tmp_path / "ce2.csv"
    school_file.write_text(SCHOOL_FILE, encoding="utf-8")
    ws.import_contacts(EDITOR, investigation.id, school_file.read_bytes(), "text/csv")
    zoe = next(r.contact for r in ws.contact_rows(investigation.id) if r.contact.last_name == "Arnaud")
    ws.update_contact(EDITOR, investigation.id, zoe.id, as_row(zoe) | {"allergies": "rifampicine", "poids_kg": "27",
                                                                       "date_pesee": "2026-11-20"})
    ws.add_group(EDITOR, investigation.id, {"name": "Erreur", "setting": "household", "last_contact": "2026-11-19"})

    base = live_server(app)
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/workspace/login")
    page.get_by_label("Identifiant").fill("editor")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    url = f"{base}/workspace/investigations/{investigation.id}"
    page.goto(url)

    page.get_by_label("Fichier CSV").set_input_files(str(school_file))
    page.get_by_role("button", name="Importer").click()
    assert "1 contact à vérifier" in page.locator("#import-counts").inner_text()
    kept = page.locator("#import-kept").inner_text()
    assert "Arnaud Zoé" in kept and "corrigé à la main, gardé : poids_kg" in kept
    page.locator("#import-kept").get_by_role("link", name="Arnaud Zoé").click()
    assert "rifampicine" in page.locator("main").inner_text()  # the allergy is still there

    page.goto(url)
    page.get_by_role("link", name="BERNARD Lucas", exact=True).click()
    page.get_by_role("button", name="Supprimer le contact (saisi par erreur)").click()
    assert page.url.rstrip("/").endswith(investigation.id)
    assert page.locator("#contacts tbody tr").count() == 1 and "BERNARD" not in page.locator("#contacts").inner_text()

    page.get_by_role("button", name="Supprimer le groupe Erreur").click()
    assert "Erreur" not in page.locator("#groups").inner_text()

    page.get_by_role("button", name="Clôturer l'investigation").click()
    assert page.get_by_label("Fichier CSV").count() == 0
    page.get_by_role("button", name="Rouvrir l'investigation").click()
    assert page.get_by_label("Fichier CSV").count() == 1

    cookies = context.cookies()
    page.get_by_role("button", name="Se déconnecter").click()
    other = browser.new_context(locale="fr-FR")
    other.add_cookies(cookies)  # the cookie saved before the logout
    stolen = other.new_page()
    stolen.goto(url)
    assert "/workspace/login" in stolen.url
    response = page.request.get(url)
    assert response.headers["cache-control"] == "no-store"
    other.close()
    context.close()
    with ws.db.session() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"contact.import-kept", "contact.delete", "group.delete", "investigation.close", "investigation.reopen",
            "logout"} <= actions
