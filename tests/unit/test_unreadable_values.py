"""A value that cannot be read is said on the card, never silently dropped (issue 15 §2): the clinician sees it as
written and can correct it, and the answer is the safe one for that uncertainty."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from fhir_factory import SNOMED, condition, exposure, hook_request, immunization, patient, weight
from prevention_cds.terminology import ProjectCode

ROR = "/cds-services/ror-vaccination"
IIM = "/cds-services/iim-prophylaxis"


def _cards(client: FlaskClient, url: str, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post(url, json=hook_request("patient-view", resources))
    assert response.status_code == 200, response.get_json()
    assert_valid_response(response.get_json())
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards


def _text(cards: list[dict[str, Any]]) -> str:
    return "\n".join(c["summary"] + "\n" + c.get("detail", "") for c in cards)


def test_an_unreadable_birth_date_is_said_as_written_not_missing(client: FlaskClient) -> None:
    cards = _cards(client, ROR, [patient("p1", "14/05/1996")])
    text = _text(cards)
    assert [c["summary"] for c in cards] == [
        "ROR : date de naissance illisible, statut vaccinal non évaluable — la corriger"]
    assert "Date de naissance illisible : « 14/05/1996 »" in text
    assert "absente" not in text and "non renseignée" not in text
    assert cards[0].get("suggestions", []) == []  # no age is guessed


def test_the_rest_of_the_patient_is_read_when_its_birth_date_is_not() -> None:
    from prevention_cds.fhir_in.record import build_record
    from prevention_cds.rules.facts import Sex

    record = build_record("p1", [{**patient("p1", "14/05/1996", "female"), "text": {"div": 42}}])
    assert record.sex == Sex.FEMALE and record.birth_date is None and record.unreadable_birth_date == "14/05/1996"


def test_an_iim_contact_with_an_unreadable_birth_date_is_told_why_no_dose(client: FlaskClient) -> None:
    resources = [patient("p1", "14/05/1996"), weight("p1", 60, "2026-11-10"),
                 exposure("p1", ProjectCode.IIM_CONTACT, "2026-11-20T18:00:00+01:00", "household", "B")]
    text = _text(_cards(client, IIM, resources))
    assert "Date de naissance illisible (« 14/05/1996 »)" in text


def test_a_dose_of_unreadable_date_is_not_counted_and_said(client: FlaskClient) -> None:
    """Born 1996: two doses owed; one readable dose, one dated 1997-13-01. The next dose is proposed (it is owed
    whatever the other dose was: an extra MMR dose is harmless), and the card says which dose was not counted."""
    resources = [patient("p1", "1996-05-14"), immunization("p1", "03", "1997-06-01"),
                 immunization("p1", "03", "1997-13-01")]
    cards = _cards(client, ROR, resources)
    text = _text(cards)
    assert "dose 2/2" in cards[0]["summary"]
    assert "1 dose de ROR à date illisible (« 1997-13-01 ») : non comptée, à vérifier" in text


def test_a_dose_without_a_date_is_said_too(client: FlaskClient) -> None:
    undated = immunization("p1", "03", "2000-01-01")
    del undated["occurrenceDateTime"]
    undated["occurrenceString"] = "dans l'enfance"
    text = _text(_cards(client, ROR, [patient("p1", "1996-05-14"), undated]))
    assert "1 dose de ROR à date illisible (« dans l'enfance ») : non comptée, à vérifier" in text


def test_a_pregnancy_with_an_unreadable_onset_is_still_a_pregnancy(client: FlaskClient) -> None:
    pregnant = condition("p1", SNOMED, "77386006")
    pregnant["onsetDateTime"] = "la semaine dernière"
    cards = _cards(client, ROR, [patient("p1", "1996-05-14"), pregnant])
    assert all(not c.get("suggestions") or "contre-indiqu" in c["summary"].lower() for c in cards)
    assert "Date illisible « la semaine dernière »" in _text(cards)


def test_an_unreadable_newer_weight_is_said_when_an_older_one_is_used(client: FlaskClient) -> None:
    resources = [patient("p1", "2016-05-14"), weight("p1", 22, "2026-11-01"),
                 weight("p1", 23, "2026-11-19", unit="stone"),
                 exposure("p1", ProjectCode.IIM_CONTACT, "2026-11-20T18:00:00+01:00", "household", "B")]
    text = _text(_cards(client, IIM, resources))
    assert "Poids illisible « 23 stone » : non utilisé" in text


def test_a_contact_of_unreadable_date_gets_a_card_asking_for_it(client: FlaskClient) -> None:
    contact = exposure("p1", ProjectCode.IIM_CONTACT, "2026-11-20T18:00:00+01:00", "household", "B")
    contact["effectiveDateTime"] = "20/11/2026"
    cards = _cards(client, IIM, [patient("p1", "1990-05-04"), contact])
    assert [c["summary"] for c in cards] == ["Contact d'IIM : date du contact illisible, la renseigner"]
    assert "Contact à date illisible « 20/11/2026 »" in cards[0]["detail"]
    assert not cards[0].get("suggestions")
