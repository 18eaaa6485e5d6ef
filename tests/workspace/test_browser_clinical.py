"""The clinical columns and the page texts in a real browser (Playwright, Debian's chromium): an immunocompromised
measles contact entered by the form gets no live vaccine, the form's choices in English, decimal commas and a
date without a time in the French list, no measles-only setting offered in an IIM investigation, a vaccine owed
after the antibiotic was taken keeps the contact to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from conftest import FROZEN_NOW
from support.workspace import PASSWORD, Clock, login, workspace_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def _page(browser: Any, base: str, locale: str = "fr-FR") -> Any:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/workspace/login")
    page.locator("input[name=username]").fill("editor")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    return page


def test_an_immunocompromised_measles_contact_entered_by_the_form(browser: Any, live_server: Callable[[Flask], str],
                                                                  app: Flask) -> None:
    api = login(app, "editor")
    investigation_id = api.api("POST", "/api/investigations", json={
        "title": "Crèche", "disease": "measles", "rash_onset": "2026-11-19", "confirmed": True}).json["id"]
    page = _page(browser, live_server(app))
    page.goto(f"{page.url.split('/workspace')[0]}/workspace/investigations/{investigation_id}/contacts/new")
    page.get_by_label("Nom", exact=True).fill("Fabre")
    page.get_by_label("Prénom").fill("Noah")
    page.get_by_label("Date de naissance").fill("2023-06-01")
    page.get_by_label("Situation de contact").select_option("creche-same-section")
    page.locator("#f-dernier_contact").fill("2026-11-20")
    page.get_by_label("Immunodépression", exact=True).select_option(label="oui")
    page.get_by_label("Nature de l'immunodépression").fill("leucémie")
    page.get_by_label("Traitements en cours").fill("chimiothérapie")
    page.get_by_role("button", name="Ajouter le contact").click()
    facts = page.locator("dl.facts").inner_text()
    assert "oui (leucémie)" in facts
    headline = page.locator("article.card h3").first.inner_text()
    assert "immunoglobulines" in headline and "pas de vaccin" in headline
    assert "ROR dose" not in page.locator("section").first.inner_text()
    page.get_by_role("link", name="Modifier le contact").click()  # the edit form says the answers back
    assert page.get_by_label("Immunodépression", exact=True).input_value() == "oui"
    assert page.get_by_label("Porphyrie").input_value() == "inconnu"
    page.goto(page.url.split("/contacts/")[0])
    row = page.locator("#contacts tr", has_text="FABRE Noah").inner_text()
    assert "20/11/2026" in row and "00:00" not in row  # a date entered without a time


def test_english_choices_french_commas_and_the_iim_settings(browser: Any, live_server: Callable[[Flask], str],
                                                             app: Flask) -> None:
    api = login(app, "editor")
    investigation_id = api.api("POST", "/api/investigations", json={
        "title": "Famille", "disease": "iim", "serogroup": "unknown"}).json["id"]
    api.api("POST", f"/api/investigations/{investigation_id}/contacts", json={
        "nom": "Noel", "prenom": "Maya", "date_naissance": "2021-03-01", "poids_kg": "17,5",
        "date_pesee": "2026-11-20", "situation": "household", "dernier_contact": "2026-11-20 18:00"})
    base = live_server(app)
    page = _page(browser, base)
    page.goto(f"{base}/workspace/investigations/{investigation_id}")
    row = page.locator("#contacts tr", has_text="NOEL Maya").inner_text()
    assert "176 mg" in row and "8,8 mL" in row and "8.8" not in row
    page.goto(f"{base}/workspace/investigations/{investigation_id}/contacts/new")
    offered = page.get_by_label("Situation de contact").locator("option").all_inner_texts()
    assert "Autre situation" in offered and not any(o.startswith("Rougeole") for o in offered)
    page.goto(f"{base}/workspace/investigations/{investigation_id}/contacts/new?lang=en")
    options = {name: page.locator(f"#f-{name} option").all_inner_texts()
               for name in ("sexe", "grossesse", "profession", "immunodepression")}
    assert options == {"sexe": ["unknown", "F", "M", "other"], "grossesse": ["unknown", "no", "yes"],
                       "profession": ["other", "healthcare professional", "early-childhood professional"],
                       "immunodepression": ["unknown", "no", "yes"]}
    assert page.locator("#f-grossesse option").nth(2).get_attribute("value") == "oui"  # the sheet's word is sent
