"""From the EHR: the patient-view card of an index case links to a new investigation prefilled with that case."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from conftest import FROZEN_NOW
from fhir_factory import condition, hook_request, patient, weight
from support.workspace import Clock, login, workspace_app

SNOMED = "http://snomed.info/sct"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def _links(app: Flask, service: str, resources: list[dict[str, object]]) -> list[dict[str, str]]:
    response = app.test_client().post(f"/cds-services/{service}", json=hook_request("patient-view", resources))
    assert response.status_code == 200
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return [link for card in cards for link in card.get("links", [])]


def _case(code: str, onset: str) -> dict[str, object]:
    found = condition("p1", SNOMED, code)
    found["onsetDateTime"] = onset
    found["id"] = "case-1"
    return found


def test_iim_index_case_card_links_to_a_prefilled_investigation(app: Flask) -> None:
    resources = [patient("p1", "2016-02-10"), weight("p1", 32, "2026-11-20"), _case("23511006", "2026-11-20")]
    links = _links(app, "iim-prophylaxis", resources)
    assert len(links) == 1 and links[0]["type"] == "absolute"
    url = urlsplit(links[0]["url"])
    assert url.path == "/workspace/investigations/new"
    assert "disease=iim" in url.query and "diagnosis_date=2026-11-20" in url.query
    assert "case_condition_ref=Condition%2Fcase-1" in url.query and "2016" not in url.query  # no birth date
    editor = login(app, "editor")
    form = editor.client.get(f"{url.path}?{url.query}").get_data(as_text=True)
    assert 'value="2026-11-20"' in form and 'value="Condition/case-1"' in form
    assert 'id="disease-iim" name="disease" value="iim" checked' in form


def test_a_current_measles_case_card_carries_the_link(app: Flask) -> None:
    links = _links(app, "ror-vaccination", [patient("p1", "2015-01-01"), _case("14189004", "2026-11-19")])
    assert len(links) == 1 and "disease=measles" in links[0]["url"] and "rash_onset=2026-11-19" in links[0]["url"]


def test_an_old_measles_history_or_no_case_adds_no_link(app: Flask) -> None:
    assert _links(app, "ror-vaccination", [patient("p1", "1970-01-01"), _case("161419000", "1975-06-01")]) == []
    assert _links(app, "iim-prophylaxis", [patient("p1", "2016-02-10")]) == []
