"""The infection-control nurse's scenario in a real browser (Playwright, Debian's chromium): log in, create an
IIM investigation, add the class group, import the 25-contact file, see the results, filter them, change a state,
learn the serogroup (W) and see what changed, download a PDF prescription and the CSV line list and check them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from conftest import FROZEN_NOW
from support.workspace import IIM_FILE, PASSWORD, Clock, workspace_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def test_nurse_scenario_end_to_end(browser: Any, live_server: Callable[[Flask], str], app: Flask,
                                   tmp_path: Path) -> None:
    base = live_server(app)
    context = browser.new_context(accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)

    page.goto(f"{base}/workspace/")
    assert "/workspace/login" in page.url  # anonymous: sent to the login page
    page.get_by_label("Identifiant").fill("editor")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Nouvelle investigation").click()

    page.get_by_label("Titre").fill("École Jules-Ferry, CM2 B")
    page.get_by_label("Infection invasive à méningocoque (IIM)").check()
    page.get_by_label("Sérogroupe").select_option("unknown")
    page.get_by_label("Date du diagnostic").fill("2026-11-20")
    page.get_by_label("Cas confirmé").check()
    page.get_by_label("Équipe (établissement, service)").fill("EOH CHU Exemple")
    page.get_by_role("button", name="Créer l'investigation").click()
    assert page.locator("h1").inner_text() == "École Jules-Ferry, CM2 B"

    page.get_by_label("Nom du groupe").fill("CM2 B")
    page.get_by_label("Situation de contact").select_option("other")
    page.get_by_label("Dernier contact (AAAA-MM-JJ HH:MM)").fill("2026-11-19 16:30")
    page.get_by_role("button", name="Ajouter le groupe").click()

    page.get_by_label("Fichier CSV").set_input_files(str(IIM_FILE))
    page.get_by_label("Groupe (situation").select_option(label="CM2 B")
    page.get_by_role("button", name="Importer").click()
    assert "25 ajoutés" in page.locator("#import-counts").inner_text()
    assert page.locator("#count-all").inner_text() == "25"
    assert page.locator("#contacts tbody tr").count() == 25
    lina = page.locator("#contacts tr", has_text="ABADIE Lina")
    # 10 years, 32 kg: one 300 mg capsule a dose (within 10 % of 320 mg), 4 for the course
    assert "300 mg" in lina.inner_text() and "4 gélules" in lina.inner_text() and "mL" not in lina.inner_text()
    assert "poids nécessaire" in page.locator("#contacts tr", has_text="CARON Jade").inner_text()
    assert "hors délai" in page.locator("#contacts tr", has_text="HENRY Tom").inner_text()

    page.get_by_role("link", name="Bloqué").first.click()  # the filter
    assert page.locator("#contacts tbody tr").count() == 2

    page.get_by_role("link", name="Tous").first.click()
    row = page.locator("#contacts tr", has_text="ABADIE Lina")
    row.get_by_label("Suivi").select_option("prescribed")
    row.get_by_role("button", name="Enregistrer").click()
    row = page.locator("#contacts tr", has_text="ABADIE Lina")
    assert "editor" in row.inner_text()
    assert row.get_by_label("Suivi").input_value() == "prescribed"

    page.get_by_role("link", name="CARON Jade", exact=True).click()  # her weight comes in
    page.get_by_role("link", name="Modifier le contact").click()
    page.get_by_label("Poids (kg)").fill("27")
    page.get_by_label("Date de pesée").fill("2026-11-21")
    page.get_by_role("button", name="Enregistrer").click()
    assert "rifampicine 270 mg" in page.locator("article.card h3").first.inner_text()
    page.get_by_role("link", name="← École Jules-Ferry, CM2 B").click()
    assert page.locator("#count-blocked").inner_text() == "1"

    page.locator("form.case-form").get_by_label("Sérogroupe").select_option("W")
    page.get_by_role("button", name="Enregistrer et réévaluer tous les contacts").click()
    changes = page.locator("#changes").inner_text()
    assert "10 décisions modifiées" in changes and "sérogroupe W" in changes
    assert page.locator("#serogroup-shown").inner_text() == "W"

    with page.expect_download() as csv_download:
        page.locator("#line-list-csv").click()
    csv_text = Path(csv_download.value.path()).read_bytes().decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert len(lines) == 26
    abadie = next(line for line in lines if line.startswith("Abadie;"))
    assert ";300;;4;2;4 gélules;" in abadie and ";prescrit;" in abadie
    assert "Vaccin méningococcique ACWY conjugué" in abadie

    page.get_by_role("link", name="ABADIE Lina", exact=True).click()
    with page.expect_download() as pdf_download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
                      "document.body.appendChild(a); a.click(); }",
                      page.get_by_role("link", name="Ordonnance (PDF)").get_attribute("href"))
    reader = PdfReader(io.BytesIO(Path(pdf_download.value.path()).read_bytes()))
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    assert "ABADIE Lina" in text and "300 mg (1 gélule)" in text and "Prescripteur" in text

    page.goto(f"{base}/workspace/investigations/{page.url.split('/investigations/')[1].split('/')[0]}")
    page.get_by_role("button", name="Toutes les ordonnances (ZIP de PDF)").click()
    page.locator("#zip-download").wait_for()
    context.close()
