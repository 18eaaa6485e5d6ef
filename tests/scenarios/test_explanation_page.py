"""A card's explanation page, as a clinician opens it: the service really serving (a threaded HTTP server), the
card's link followed in headless Chromium, in French then in English; the card's facts, decisions and
references are there, each document once; nothing is fetched from elsewhere; it prints; an expired or altered
link says so; the logs hold neither the link nor what the page says."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from conftest import FROZEN_NOW
from fhir_factory import exposure, hook_request, immunization, patient, weight
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import Settings
from support.card_brevity import PROJECT_FILE
from support.explanation_pages import explanation_path, page_text
from support.ports import free_port


class Clock:
    """The service's clock, moved by the test (the link's age)."""

    def __init__(self) -> None:
        self.now: datetime = FROZEN_NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(settings: Settings, clock: Clock) -> Iterator[str]:
    """The service on a real port; its base URL."""
    sealed = settings.with_changes(explanation_keys=(Fernet.generate_key().decode("ascii"),))
    app = create_app(sealed, evaluator=CdsEvaluator(sealed, clock=clock))
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


CHILD_CONTACT = [  # classroom neighbour, 8 years, 30 kg, serogroup C: a prophylaxis card and a vaccination card
    patient(birth_date="2018-05-10", gender="male"), weight("p1", 30, "2026-11-18T09:00:00+01:00"),
    exposure("p1", "iim-contact", "2026-11-18T16:00:00+01:00", "school-classroom-neighbour", "C"),
]


def _cards(base: str, service: str, resources: list[dict[str, Any]], language: str = "fr") -> list[dict[str, Any]]:
    response = requests.post(f"{base}/cds-services/{service}", json=hook_request("patient-view", resources),
                             headers={"Accept-Language": language}, timeout=30)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _prophylaxis(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in cards if c["summary"].startswith(("Contact IIM : rifampicine", "IMD contact")))


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(url)
    return page, requested


def test_the_card_links_to_a_french_page_with_its_facts_decisions_and_references(
    served: str, browser: Any, tmp_path: Path
) -> None:
    card = _prophylaxis(_cards(served, "iim-prophylaxis", CHILD_CONTACT))
    (link,) = card["links"]
    assert (link["type"], link["label"]) == ("absolute", "Explication complète")
    assert link["url"].startswith(f"{served}/explanations/") and link["url"].endswith("?lang=fr")
    assert "2018" not in link["url"] and "30 kg" not in link["url"]  # no readable patient data in the address
    page, requested = _open(browser, link["url"])
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.title() == f"Explication : {card['summary']}"
    assert page.locator("h1").inner_text() == card["summary"]
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["À faire", "Propositions", "Raisonnement", "Éléments du dossier utilisés",
                        "Choix du service, à valider par le clinicien", "Références"]
    text = page.locator("main").inner_text()
    # the card's facts, with the decisive ones marked in words, not by colour alone
    facts = page.locator("section[aria-labelledby=facts] li").all_inner_texts()
    assert "Âge : 8 ans (déterminant)" in facts
    assert any(f.startswith("Poids : 30 kg") and f.endswith("(déterminant)") for f in facts)
    # every line of the card's detail is on the page
    for line in card["detail"].splitlines():
        words = line.removeprefix("- ").replace("**", "")
        if words and not words.endswith("voir l'explication complète."):
            assert words in text or words in ("À faire", "Éléments déterminants"), words
    # the whole reasoning, the precautions the card leaves out, the project's decision on the capsules (30 kg at
    # 8 years: one 300 mg capsule is the 10 mg/kg dose exactly)
    assert "lentilles de contact" in text and "lentilles" not in card["detail"]
    assert "Enfant de 6 ans ou plus : gélules de 300 mg quand un nombre entier de gélules donne la dose" in text
    # references: each document once, its sections, the rows applied
    documents = page.locator("ol.references > li")
    labels = [d.split("\n")[0] for d in documents.all_inner_texts()]
    assert len(labels) == len(set(labels)) >= 2
    dgs = documents.filter(has_text="Instruction DGS/SP/2018/163")
    assert dgs.count() == 1 and "NOR SSAP1818693J" in dgs.inner_text()
    assert "rifampicine, nourrisson et enfant de 1 mois à 15 ans : 10 mg/kg toutes les 12 heures" in dgs.inner_text()
    for href in page.locator("ol.references a").evaluate_all("links => links.map(a => a.href)"):
        assert re.match(r"https://[^/]+/.+", href), href  # the document itself, never a site's home page
    assert not PROJECT_FILE.search(page.content())
    # nothing but the page and its own style sheet
    assert all(u.startswith(f"{served}/explanations/") for u in requested), requested
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"  # the style sheet applied
    page.screenshot(path=str(tmp_path / "explanation-fr.png"), full_page=True)
    # printable: the language switch is not printed, the references' addresses are
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    page.close()


def test_the_same_link_reads_in_english(served: str, browser: Any) -> None:
    card = _prophylaxis(_cards(served, "iim-prophylaxis", CHILD_CONTACT))
    page, _ = _open(browser, card["links"][0]["url"])
    page.get_by_role("link", name="English version").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en" and page.url.endswith("lang=en")
    assert page.locator("h2").all_inner_texts() == [
        "To do", "Suggestions", "Reasoning", "Facts used from the record",
        "Choices made by the service, for the clinician to confirm", "References"]
    text = page.locator("main").inner_text()
    assert "Age: 8 years (decisive)" in text and "contact lenses" in text
    assert "Version française" in page.locator("nav").inner_text()
    page.keyboard.press("Tab")  # the first stop of the keyboard: the language switch, with a visible focus
    assert page.evaluate("document.activeElement.getAttribute('hreflang')") == "fr"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.close()


def test_an_english_card_links_to_the_english_page_and_a_mmr_page_lists_the_doses(
    served: str, browser: Any
) -> None:
    resources = [patient(birth_date="2023-03-01", gender="male"), immunization("p1", "03", "2024-02-01"),
                 immunization("p1", "03", "2024-07-01")]
    (card,) = _cards(served, "ror-vaccination", resources, language="en")
    assert card["links"][0]["label"] == "Full explanation" and card["links"][0]["url"].endswith("?lang=en")
    page, _ = _open(browser, card["links"][0]["url"])
    assert page.locator("html").get_attribute("lang") == "en"
    facts = page.locator("section[aria-labelledby=facts]").inner_text()
    assert "MMR on 2024-02-01" in facts and "MMR on 2024-07-01" in facts  # CVX 03 without a display: "MMR"
    assert "unnamed" not in facts
    page.close()


def test_an_expired_link_and_an_altered_link_say_so(served: str, browser: Any, clock: Clock) -> None:
    url = _prophylaxis(_cards(served, "iim-prophylaxis", CHILD_CONTACT))["links"][0]["url"]
    page = browser.new_page()
    altered = url.replace("/explanations/", "/explanations/x")
    response = page.goto(altered)
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Lien invalide"
    clock.now = FROZEN_NOW + timedelta(hours=12, minutes=1)
    response = page.goto(url)
    assert response is not None and response.status == 410
    assert page.locator("h1").inner_text() == "Lien expiré" and "Rouvrez le dossier" in page.locator("main").inner_text()
    page.close()


def test_the_page_is_sent_uncached_without_referrer_and_logs_no_patient_data(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post("/cds-services/iim-prophylaxis", json=hook_request("patient-view", CHILD_CONTACT))
    card = _prophylaxis(response.get_json()["cards"])
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        page = client.get(explanation_path(card))
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none': no script at all
    assert "8 ans" in page_text(page.get_data(as_text=True))
    token = explanation_path(card).split("/")[2].split("?")[0]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "explanation page shown: rule=iim.prophylaxis.rifampicin" in logged
    for secret in (token, token[:40], "30 kg", "8 ans", "2018-05-10", "10/05/2018", "voisin de classe"):
        assert secret not in logged
