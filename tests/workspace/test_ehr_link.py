"""From the EHR: the patient-view card of an index case (the IIM notification every case gets, the measles case
card) links to a new investigation prefilled with that case and to the form that captures its contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from conftest import FROZEN_NOW
from fhir_factory import condition, hook_request, medication_request, patient, weight
from prevention_cds import terminology
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.terminology import ProjectCode
from support.workspace import Clock, login, workspace_app, workspace_settings

SNOMED = "http://snomed.info/sct"
NOTIFICATION = "Cas d'IIM : déclaration obligatoire"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def _cards(app: Flask, service: str, resources: list[dict[str, object]]) -> list[dict[str, Any]]:
    response = app.test_client().post(f"/cds-services/{service}", json=hook_request("patient-view", resources))
    assert response.status_code == 200
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards


def _case_links(card: dict[str, Any]) -> list[dict[str, str]]:
    """A card's links besides the one to its own explanation page, which every card has."""
    return [link for link in card.get("links", []) if "/explanations/" not in link["url"]]


def _linked(cards: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The one card that carries the case's links, and those links."""
    (card,) = [c for c in cards if _case_links(c)]
    return card, _case_links(card)


def _case(code: str, onset: str) -> dict[str, object]:
    found = condition("p1", SNOMED, code)
    found["onsetDateTime"] = onset
    found["id"] = "case-1"
    return found


def _opens_the_capture_form(app: Flask, link: dict[str, str], exposure: str, label: str) -> None:
    assert link["type"] == "absolute" and link["label"].startswith(label)
    url = urlsplit(link["url"])
    assert url.path == f"/fhir/Questionnaire/{exposure}"
    served = app.test_client().get(url.path)
    assert served.status_code == 200 and served.get_json()["url"] == terminology.questionnaire_url(exposure)


IIM_CASE = [patient("p1", "2016-02-10"), weight("p1", 32, "2026-11-20"), _case("23511006", "2026-11-20")]


def test_iim_index_case_card_links_to_a_prefilled_investigation_and_the_contacts_form(app: Flask) -> None:
    card, (investigation, capture) = _linked(_cards(app, "iim-prophylaxis", IIM_CASE))
    assert card["summary"].startswith(NOTIFICATION)  # the card every case gets, eradication course or not
    assert investigation["type"] == "absolute"
    url = urlsplit(investigation["url"])
    assert url.path == "/workspace/investigations/new"
    assert "disease=iim" in url.query and "diagnosis_date=2026-11-20" in url.query
    assert "case_condition_ref=Condition%2Fcase-1" in url.query and "2016" not in url.query  # no birth date
    editor = login(app, "editor")
    form = editor.client.get(f"{url.path}?{url.query}").get_data(as_text=True)
    assert 'value="2026-11-20"' in form and 'value="Condition/case-1"' in form
    assert 'id="disease-iim" name="disease" value="iim" checked' in form
    _opens_the_capture_form(app, capture, ProjectCode.IIM_CONTACT, "Saisir un sujet contact")


def test_an_iim_case_treated_with_ceftriaxone_keeps_both_links(app: Flask) -> None:
    treated = [*IIM_CASE, medication_request("p1", "J01DD04", "Ceftriaxone 1 g", status="completed", rid="c3g")]
    cards = _cards(app, "iim-prophylaxis", treated)
    card, links = _linked(cards)
    assert card["summary"].startswith(NOTIFICATION) and len(links) == 2
    assert not any("rifampicine" in c["summary"].lower() for c in cards)  # no eradication course


def test_a_current_measles_case_card_carries_both_links(app: Flask) -> None:
    cards = _cards(app, "ror-vaccination", [patient("p1", "2015-01-01"), _case("14189004", "2026-11-19")])
    card, (investigation, capture) = _linked(cards)
    assert card["indicator"] == "critical" and "ARS" in card["summary"]
    assert "disease=measles" in investigation["url"] and "rash_onset=2026-11-19" in investigation["url"]
    _opens_the_capture_form(app, capture, ProjectCode.MEASLES_CONTACT, "Saisir un sujet contact de ce cas de rougeole")


def test_the_links_follow_the_language_and_the_public_base_url(tmp_path: Path) -> None:
    settings = workspace_settings(f"sqlite:///{tmp_path / 'ws.sqlite3'}").with_changes(
        public_base_url="https://cds.example.org/base")
    app = create_app(settings, evaluator=CdsEvaluator(settings, clock=Clock(FROZEN_NOW)))
    body = hook_request("patient-view", [patient("p1", "2015-01-01"), _case("14189004", "2026-11-19")])
    response = app.test_client().post("/cds-services/ror-vaccination", json=body, headers={"Accept-Language": "en"})
    _, (investigation, capture) = _linked(response.get_json()["cards"])
    assert investigation["label"].startswith("Open an investigation") and capture["label"].startswith("Record a")
    assert investigation["url"].startswith("https://cds.example.org/base/workspace/investigations/new?")
    assert capture["url"] == f"https://cds.example.org/base/fhir/Questionnaire/{ProjectCode.MEASLES_CONTACT}"


def test_an_old_measles_history_or_no_case_adds_no_link(app: Flask) -> None:
    history = _cards(app, "ror-vaccination", [patient("p1", "1970-01-01"), _case("161419000", "1975-06-01")])
    assert [_case_links(c) for c in history] == [[] for _ in history]
    assert all(_case_links(c) == [] for c in _cards(app, "iim-prophylaxis", [patient("p1", "2016-02-10")]))
