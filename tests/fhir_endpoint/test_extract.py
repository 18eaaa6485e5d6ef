"""``POST /fhir/QuestionnaireResponse/$extract``: answers -> the exposure Observation -> the cards, for each contact
setting of each Questionnaire, through the real evaluator; and every way a response can be refused."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from conftest import FROZEN_NOW
from fhir_endpoint.answers import (
    IIM_QUESTIONNAIRE,
    MEASLES_QUESTIONNAIRE,
    answer,
    iim_contact,
    measles_contact,
    response,
    setting,
)
from fhir_factory import hook_request, patient, weight
from prevention_cds import terminology
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.facts import ExposureKind, IimSerogroup
from prevention_cds.terminology import EXPOSURE_PROFILE, ProjectCode
from support.emitted import resource_problems

EXTRACT = "/fhir/QuestionnaireResponse/$extract"
RIFAMPICIN_RXNORM = "9384"
# The DGS table (docs/clinical-reference.md §A.2): the settings where a contact of an IIM is given prophylaxis
IIM_PROPHYLAXIS = {
    "household", "home-childcare", "intimate", "close-friend", "creche-same-section", "leisure-same-nap-room",
    "nursery-class", "school-classroom-neighbour", "boarding-same-room", "healthcare-airway-unmasked",
    "sport-prolonged-contact", "assessed-close-contact",
}  # fmt: skip
IIM_NO_PROPHYLAXIS = {
    "family-gathering", "party-or-meal", "creche-other", "leisure-other", "nursery-other", "university-other",
    "healthcare-other", "sport-other", "other",
}  # fmt: skip
MEASLES_SETTINGS = ["household", "home-childcare", "creche-same-section", "other-community", "other"]


def _options(questionnaire_id: str, link_id: str) -> list[str]:
    questionnaire = terminology.load("Questionnaire", questionnaire_id)
    item = next(i for i in questionnaire["item"] if i["linkId"] == link_id)
    return [o["valueCoding"]["code"] for o in item["answerOption"]]


def _extract(client: FlaskClient, body: Any) -> dict[str, Any]:
    answered = client.post(EXTRACT, json=body)
    assert answered.status_code == 200, answered.get_json()
    assert answered.content_type == "application/fhir+json"
    observation: dict[str, Any] = answered.get_json()
    assert resource_problems(observation) == []  # valid R4B and valid against the exposure profile
    assert observation["meta"]["profile"] == [EXPOSURE_PROFILE]
    return observation


def _cards(client: FlaskClient, service: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    answered = client.post(f"/cds-services/{service}", json=hook_request("patient-view", resources))
    assert answered.status_code == 200, answered.get_json()
    body: dict[str, Any] = answered.get_json()
    assert_valid_response(body)
    return body


def _prescriptions(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["resource"] for card in body["cards"] for s in card.get("suggestions", []) for a in s["actions"]
            if a.get("resource", {}).get("resourceType") == "MedicationRequest"]


def _medication_codes(body: dict[str, Any]) -> set[str]:
    return {c["code"] for r in _prescriptions(body) for c in r["medicationCodeableConcept"]["coding"]}


def _for_the_exposure(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The prescriptions whose reason is the extracted exposure."""
    return [r for r in _prescriptions(body) if {"reference": "Observation/exposure1"} in r.get("reasonReference", [])]


def _refused(client: FlaskClient, body: Any) -> list[dict[str, Any]]:
    answered = client.post(EXTRACT, json=body)
    assert answered.status_code == 400, answered.get_json()
    outcome: dict[str, Any] = answered.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = outcome["issue"]
    return issues


def _diagnostics(issues: list[dict[str, Any]]) -> str:
    return " | ".join(i.get("diagnostics", "") for i in issues)


def test_the_questionnaires_offer_every_setting_once() -> None:
    assert set(_options("iim-contact", "contact-setting")) == IIM_PROPHYLAXIS | IIM_NO_PROPHYLAXIS
    assert _options("measles-contact", "contact-setting") == MEASLES_SETTINGS


# ------------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("code", _options("iim-contact", "contact-setting"))
def test_iim_answers_to_observation_to_card(client: FlaskClient, code: str) -> None:
    extra = []
    start = None
    if code == "healthcare-airway-unmasked":  # exposed from 08:00; the case's antibiotic at 12:00
        start = "2026-11-20T08:00:00+01:00"
        extra = [answer("case-first-effective-antibiotic", valueDateTime="2026-11-20T12:00:00+01:00")]
    observation = _extract(client, iim_contact(code, "2026-11-20T18:30:00+01:00", "W", *extra, start=start))
    observation["id"] = "exposure1"

    record = build_record("p1", [observation], now=FROZEN_NOW)
    (exposure,) = record.exposures
    assert (exposure.kind, exposure.setting, exposure.serogroup) == (ExposureKind.IIM, code, IimSerogroup.W)
    assert exposure.last_contact.isoformat() == "2026-11-20T18:30:00+01:00" and exposure.has_time

    body = _cards(client, "iim-prophylaxis", [
        patient(birth_date="1990-05-04", gender="male"), weight("p1", 72, "2026-11-20T09:00:00+01:00"), observation])
    assert body["cards"]
    proposed = RIFAMPICIN_RXNORM in _medication_codes(body)
    assert proposed == (code in IIM_PROPHYLAXIS), [c["summary"] for c in body["cards"]]
    assert bool(_for_the_exposure(body)) == proposed


@pytest.mark.parametrize("code", MEASLES_SETTINGS)
def test_measles_answers_to_observation_to_card(client: FlaskClient, code: str) -> None:
    observation = _extract(client, measles_contact(code))
    observation["id"] = "exposure1"
    (exposure,) = build_record("p1", [observation], now=FROZEN_NOW).exposures
    assert (exposure.kind, exposure.setting, exposure.case_confirmed) == (ExposureKind.MEASLES, code, True)
    assert exposure.has_time and FROZEN_NOW - exposure.last_contact < timedelta(hours=72)

    # unvaccinated adult born since 1980, 16 hours after the contact: the post-exposure dose, for this exposure
    body = _cards(client, "ror-vaccination", [patient(birth_date="1995-01-01"), observation])
    assert _for_the_exposure(body), [c["summary"] for c in body["cards"]]


def test_an_ongoing_exposure_keeps_the_window_open(client: FlaskClient) -> None:
    """Household contact still living with the case: the period has a start and no end, the last contact is now."""
    started = (FROZEN_NOW - timedelta(days=12)).isoformat(timespec="seconds")
    observation = _extract(client, iim_contact("household", None, "C", start=started))
    assert observation["effectivePeriod"] == {"start": started}
    (exposure,) = build_record("p1", [observation], now=FROZEN_NOW).exposures
    assert exposure.last_contact == FROZEN_NOW
    body = _cards(client, "iim-prophylaxis", [
        patient(birth_date="1990-05-04"), weight("p1", 60, "2026-11-20T09:00:00+01:00"),
        {**observation, "id": "exposure1"}])
    assert RIFAMPICIN_RXNORM in _medication_codes(body) and _for_the_exposure(body)


def test_every_iim_answer_reaches_its_component(client: FlaskClient) -> None:
    observation = _extract(client, iim_contact(
        "nursery-class", "2026-11-19T16:30:00+01:00", "B",
        answer("rifampicin-resistant", valueBoolean=True), answer("repeated-case", valueBoolean=True),
        answer("community-first-case", valueDate="2026-10-02"), answer("prior-prophylaxis-end", valueDate="2026-10-05"),
        start="2026-11-17T08:30:00+01:00"))
    components = {c["code"]["coding"][0]["code"]: c for c in observation["component"]}
    assert components[ProjectCode.RIFAMPICIN_RESISTANT]["valueBoolean"] is True
    assert components[ProjectCode.COMMUNITY_FIRST_CASE]["valueDateTime"] == "2026-10-02"
    assert components[ProjectCode.PRIOR_PROPHYLAXIS_END]["valueDateTime"] == "2026-10-05"
    assert observation["effectivePeriod"] == {"start": "2026-11-17T08:30:00+01:00", "end": "2026-11-19T16:30:00+01:00"}
    assert observation["code"]["coding"][0]["code"] == ProjectCode.IIM_CONTACT
    assert observation["status"] == "final" and observation["subject"] == {"reference": "Patient/p1"}
    (exposure,) = build_record("p1", [observation], now=FROZEN_NOW).exposures
    assert exposure.rifampicin_resistant and exposure.repeated_case_in_community
    assert str(exposure.community_first_case_on) == "2026-10-02" and str(exposure.prior_prophylaxis_ended_on) == "2026-10-05"


def test_parameters_in_and_the_options_display_out(client: FlaskClient) -> None:
    """SDC's Parameters form; the answer's coding is written as the Questionnaire's option, whatever came with it."""
    answered = iim_contact("household")
    answered["item"][0]["answer"][0]["valueCoding"]["display"] = "<script>"
    answered["subject"]["identifier"] = {"value": "not copied"}
    body = {"resourceType": "Parameters", "parameter": [{"name": "questionnaire-response", "resource": answered}]}
    observation = _extract(client, body)
    setting_value = observation["component"][0]["valueCodeableConcept"]["coding"][0]
    assert setting_value["display"] == "Vit ou est gardé sous le même toit que le cas (famille, foyer)"
    assert observation["subject"] == {"reference": "Patient/p1"}


# ------------------------------------------------------------------------------------------------ refusals
def _without(body: dict[str, Any], link_id: str) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    copied["item"] = [i for i in copied["item"] if i["linkId"] != link_id]
    return copied


REFUSALS: list[tuple[str, Any, str]] = [
    ("not completed", {**iim_contact("household"), "status": "in-progress"}, "must be completed"),
    ("no subject", {k: v for k, v in iim_contact("household").items() if k != "subject"}, "exposed Patient"),
    ("a Group subject", {**iim_contact("household"), "subject": {"reference": "Group/1"}}, "exposed Patient"),
    ("another Questionnaire", {**iim_contact("household"), "questionnaire": "http://example.org/Q/1"},
     "not a Questionnaire of this service"),
    ("another version", {**iim_contact("household"), "questionnaire": f"{IIM_QUESTIONNAIRE}|9.9"},
     "not a Questionnaire of this service"),
    ("no questionnaire", {k: v for k, v in iim_contact("household").items() if k != "questionnaire"},
     "the Questionnaire answered is required"),
    ("setting missing", _without(iim_contact("household"), "contact-setting"), "'contact-setting' is required"),
    ("serogroup missing", _without(iim_contact("household"), "serogroup"), "'serogroup' is required"),
    ("last contact missing", _without(iim_contact("household"), "last-contact"), "'last-contact' is required"),
    ("an unknown setting", iim_contact("bus-stop"), "not one of the item's options"),
    ("a measles-only setting", iim_contact("other-community"), "not one of the item's options"),
    ("a text for a boolean", iim_contact("household", "2026-11-20T18:30:00+01:00", "W",
                                         answer("rifampicin-resistant", valueString="yes")), "valueBoolean"),
    ("a time without offset", iim_contact("household", "2026-11-20T18:30:00"), "offset"),
    ("a partial date", iim_contact("household", "2026-11"), "full date"),
    ("an impossible date", iim_contact("household", "2026-02-30"), "full date"),
    ("a last contact tomorrow", iim_contact("household", "2026-11-22T08:00:00+01:00"), "after today"),
    ("a start after the last contact", iim_contact("household", "2026-11-19T08:00:00+01:00",
                                                   start="2026-11-20T08:00:00+01:00"), "after 'last-contact'"),
    ("ongoing without a start", iim_contact("household", None), "required while the contact goes on"),
    ("a disabled item answered", iim_contact("household", "2026-11-20T18:30:00+01:00", "W",
                                             answer("community-first-case", valueDate="2026-10-02")),
     "these answers disable it"),
    ("an unknown item", iim_contact("household", "2026-11-20T18:30:00+01:00", "W", answer("x", valueBoolean=True)),
     "not an item of the Questionnaire"),
    ("an item twice", iim_contact("household", "2026-11-20T18:30:00+01:00", "W", setting("household")),
     "given twice"),
    ("two answers", response(MEASLES_QUESTIONNAIRE, [
        {"linkId": "case-confirmed", "answer": [{"valueBoolean": True}, {"valueBoolean": False}]}]), "takes one answer"),
    ("items not an array", {**iim_contact("household"), "item": {"linkId": "x"}}, "must be an array"),
    ("answers not an array", response(MEASLES_QUESTIONNAIRE, [{"linkId": "case-confirmed", "answer": True}]),
     "must be an array"),
    ("an answer not an object", response(MEASLES_QUESTIONNAIRE, [{"linkId": "case-confirmed", "answer": [1]}]),
     "valueBoolean"),
    ("another resource", {"resourceType": "Observation"}, "QuestionnaireResponse or a Parameters"),
    ("a JSON array", [1], "QuestionnaireResponse or a Parameters"),
    ("Parameters without the response", {"resourceType": "Parameters", "parameter": [{"name": "x"}]},
     "'questionnaire-response'"),
]


@pytest.mark.parametrize(("case", "body", "said"), REFUSALS, ids=[case for case, _, _ in REFUSALS])
def test_a_response_that_cannot_be_extracted_is_refused_with_its_reason(
    client: FlaskClient, case: str, body: Any, said: str
) -> None:
    issues = _refused(client, body)
    assert said in _diagnostics(issues), (case, issues)
    assert all(i["severity"] == "error" and i["code"] == "invalid" for i in issues)


def test_every_problem_is_named_with_where_it_is(client: FlaskClient) -> None:
    body = {**_without(iim_contact("bus-stop"), "serogroup"), "status": "in-progress"}
    issues = _refused(client, body)
    where = {e for i in issues for e in i.get("expression", [])}
    assert {"QuestionnaireResponse.status", "QuestionnaireResponse.item[0].answer[0]",
            "QuestionnaireResponse.item.where(linkId='serogroup')"} <= where, issues


def test_no_answer_value_is_echoed_in_the_diagnostics(client: FlaskClient) -> None:
    body = iim_contact("household", "2026-11-20T18:30:00", "W", answer("rifampicin-resistant", valueString="Dupont"))
    assert "Dupont" not in _diagnostics(_refused(client, body))


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[" * 5000])
def test_bodies_that_are_not_json_answer_400(client: FlaskClient, raw: bytes) -> None:
    answered = client.post(EXTRACT, data=raw, content_type="application/fhir+json")
    assert answered.status_code == 400
    assert answered.get_json()["resourceType"] == "OperationOutcome"


def test_a_get_is_not_an_extraction(client: FlaskClient) -> None:
    assert client.get(EXTRACT).status_code in (404, 405)
