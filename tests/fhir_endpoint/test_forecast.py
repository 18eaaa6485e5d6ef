"""``POST /fhir/$immds-forecast`` (HL7 Immunization Decision Support Forecast, issue 19 §1), FHIR JSON as an EHR or a
tester sends it: the acceptance cases, every reason a dose is not valid as written in the ImmunizationEvaluation,
what cannot be computed, every way a request is refused, the CapabilityStatement and the OperationDefinition, and
the same answer as the CDS Hooks card on the same resources."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from fhir_factory import (
    ATC,
    CVX,
    SNOMED,
    condition,
    exposure,
    hook_request,
    immunization,
    medication_statement,
    patient,
)
from prevention_cds import terminology
from prevention_cds.app.fhir_api import FORECAST
from prevention_cds.fhir_in.forecast_parameters import PARAMETER_NAMES, RESOURCE_PARAMETERS
from prevention_cds.terminology import ProjectCode
from support.emitted import resource_problems

URL = "/fhir/$immds-forecast"
TODAY = "2026-11-21"  # tests/conftest.py FROZEN_NOW
IG_OPERATION = "http://hl7.org/fhir/us/immds/OperationDefinition/ImmDSForecastOperation"
STATUS_REASON = "http://hl7.org/fhir/us/immds/CodeSystem/StatusReason"
DOSE_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status"
EARLIEST, DUE, OVERDUE = "30981-5", "30980-7", "59778-1"
PARAMETER_OF = {resource_type: name for name, resource_type in RESOURCE_PARAMETERS.items()}


def parameters(assessed: str | None, subject: dict[str, Any] | None, *resources: dict[str, Any]) -> dict[str, Any]:
    """The Parameters of a request: the assessment date, the Patient, each other resource under its parameter."""
    given: list[dict[str, Any]] = []
    if assessed is not None:
        given.append({"name": "assessmentDate", "valueDate": assessed})
    if subject is not None:
        given.append({"name": "patient", "resource": subject})
    given += [{"name": PARAMETER_OF[r["resourceType"]], "resource": r} for r in resources]
    return {"resourceType": "Parameters", "parameter": given}


def mmr(when: str, rid: str | None = None, status: str = "completed") -> dict[str, Any]:
    dose = immunization("p1", "03", when, status)
    if rid:
        dose["id"] = rid
    return dose


def _forecast(client: FlaskClient, body: Any, language: str = "fr") -> dict[str, Any]:
    answered = client.post(URL, json=body, headers={"Accept-Language": language})
    assert answered.status_code == 200, answered.get_json()
    assert answered.content_type == "application/fhir+json" and answered.headers["Content-Language"] == language
    document: dict[str, Any] = answered.get_json()
    assert resource_problems(document) == []
    for parameter in document["parameter"]:
        assert resource_problems(parameter["resource"]) == [], parameter["name"]
    return document


def _refused(client: FlaskClient, body: Any) -> list[dict[str, Any]]:
    answered = client.post(URL, json=body)
    assert answered.status_code == 400, answered.get_json()
    outcome: dict[str, Any] = answered.get_json()
    assert outcome["resourceType"] == "OperationOutcome" and answered.content_type == "application/fhir+json"
    issues: list[dict[str, Any]] = outcome["issue"]
    return issues


def _named(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p["resource"] for p in document["parameter"] if p["name"] == name]


def _recommendation(document: dict[str, Any]) -> dict[str, Any]:
    (recommendation,) = _named(document, "recommendation")
    return recommendation


def _dates(entry: dict[str, Any]) -> dict[str, str]:
    return {c["code"]["coding"][0]["code"]: c["value"] for c in entry.get("dateCriterion", [])}


def _owed(document: dict[str, Any]) -> list[tuple[int | None, str, dict[str, str]]]:
    return [(r.get("doseNumberPositiveInt"), r["forecastStatus"]["coding"][0]["code"], _dates(r))
            for r in _recommendation(document)["recommendation"]]


def _reason_codes(evaluation: dict[str, Any]) -> list[str | None]:
    return [r["coding"][0]["code"] if "coding" in r else None for r in evaluation.get("doseStatusReason", [])]


# --- the acceptance cases --------------------------------------------------------------------------------------


def test_an_11_month_old_gets_its_two_future_doses_with_their_dates(client: FlaskClient) -> None:
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2025-12-21")))
    assert _named(answer, "evaluation") == [] and _named(answer, "issues") == []
    recommendation = _recommendation(answer)
    assert recommendation["date"] == TODAY and recommendation["patient"] == {"reference": "Patient/p1"}
    assert _owed(answer) == [
        (1, "due", {EARLIEST: "2026-12-21", DUE: "2026-12-21", OVERDUE: "2027-01-21"}),
        (2, "due", {EARLIEST: "2027-01-18", DUE: "2027-04-21", OVERDUE: "2027-07-21"}),
    ]
    assert {r["seriesDosesPositiveInt"] for r in recommendation["recommendation"]} == {2}
    assert [r["forecastReason"][0]["text"] for r in recommendation["recommendation"]] == ["Calendrier vaccinal"] * 2


def test_a_13_month_old_vaccinated_20_days_ago_gets_dose_2_from_28_days_due_at_16_months(client: FlaskClient) -> None:
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2025-10-21"), mmr("2026-11-01", "d1")))
    (evaluation,) = _named(answer, "evaluation")
    assert evaluation["immunizationEvent"] == {"reference": "Immunization/d1"}
    assert evaluation["doseStatus"]["coding"] == [{"system": DOSE_STATUS, "code": "valid", "display": "Valid"}]
    assert (evaluation["doseNumberPositiveInt"], evaluation["seriesDosesPositiveInt"]) == (1, 2)
    assert evaluation["date"] == TODAY and evaluation["patient"] == {"reference": "Patient/p1"}
    assert _owed(answer) == [(2, "due", {EARLIEST: "2026-11-29", DUE: "2027-02-21", OVERDUE: "2027-05-21"})]
    assert _recommendation(answer)["recommendation"][0]["supportingImmunization"] == [
        {"reference": "Immunization/d1"}]


# --- every reason a dose is not valid, as the ImmunizationEvaluation writes it ----------------------------------

def _vaccine(cvx: str, when: str, rid: str) -> dict[str, Any]:
    dose = immunization("p1", cvx, when)
    dose["id"] = rid
    return dose


REASONS = [  # (dose id, its resource, the StatusReason code of the IG or None for text only, words of the text)
    ("too-young", mmr("2024-12-20", "too-young"), "tooyoung", "avant l'âge de 12 mois"),
    ("valid", mmr("2025-01-20", "valid"), None, ""),
    ("too-soon", mmr("2025-02-10", "too-soon"), "toosoon", "minimum 28 jours"),
    ("live", mmr("2025-04-15", "live"), "productconflict", "autre vaccin vivant"),
    ("yellow-fever", mmr("2025-06-01", "yellow-fever"), "productconflict", "fièvre jaune"),
    ("immunoglobulin", mmr("2025-09-01", "immunoglobulin"), "productconflict", "immunoglobulines polyvalentes"),
    ("not-done", mmr("2025-10-01", "not-done", "not-done"), None, "non faite"),
    ("entered-in-error", mmr("2025-10-05", "entered-in-error", "entered-in-error"), None, "saisi par erreur"),
    ("after", mmr("2027-01-01", "after"), "notevaluated", "après le jour de l'évaluation"),
    ("unreadable", mmr("2025-13-01", "unreadable"), "notevaluated", "« 2025-13-01 »"),
]
OTHERS = [_vaccine("21", "2025-04-01", "varicella"), _vaccine("37", "2025-06-01", "stamaril"),
          _vaccine("86", "2025-07-01", "immunoglobulins")]


def test_every_dose_is_evaluated_with_every_reason_it_is_not_valid(client: FlaskClient) -> None:
    # born 2024-01-15: under 2 years at the yellow fever vaccine
    body = parameters(TODAY, patient(birth_date="2024-01-15"), *OTHERS, *(dose for _, dose, _, _ in REASONS))
    answer = _forecast(client, body)
    evaluations = {e["immunizationEvent"]["reference"].removeprefix("Immunization/"): e
                   for e in _named(answer, "evaluation")}
    assert set(evaluations) == {rid for rid, _, _, _ in REASONS}  # one per MMR dose, none for the other vaccines
    for rid, _, code, words in REASONS:
        evaluation = evaluations[rid]
        valid = rid == "valid"
        assert evaluation["doseStatus"]["coding"][0]["code"] == ("valid" if valid else "notvalid"), rid
        assert _reason_codes(evaluation) == ([] if valid else [code]), rid
        if not valid:
            reason = evaluation["doseStatusReason"][0]
            assert words in reason["text"], (rid, reason["text"])
            assert all(c["system"] == STATUS_REASON for c in reason.get("coding", []))
            assert "doseNumberPositiveInt" not in evaluation and "Dose non valide" in evaluation["description"]
    assert evaluations["valid"]["doseNumberPositiveInt"] == 1
    # dose 2 is late, and counts only 9 months after the immunoglobulins
    assert _owed(answer) == [(2, "overdue", {EARLIEST: "2026-04-01", DUE: TODAY, OVERDUE: "2025-08-15"})]
    (issues,) = _named(answer, "issues")
    assert [(i["severity"], "2025-13-01" in i["diagnostics"]) for i in issues["issue"]] == [("warning", True)]


def test_a_dose_without_an_id_is_named(client: FlaskClient) -> None:
    dose = mmr("2026-11-01")
    del dose["id"]
    (evaluation,) = _named(_forecast(client, parameters(TODAY, patient(birth_date="2025-10-21"), dose)), "evaluation")
    assert evaluation["immunizationEvent"] == {"display": "ROR le 01/11/2026"}


def test_the_texts_are_in_english_when_asked(client: FlaskClient) -> None:
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2024-01-15"), mmr("2024-12-20", "early")), "en")
    (evaluation,) = _named(answer, "evaluation")
    assert evaluation["doseStatus"]["text"] == "Dose not valid"
    assert "before the age of 12 months" in evaluation["doseStatusReason"][0]["text"]
    assert evaluation["series"] == "MMR vaccination (French immunisation schedule)"


# --- what cannot be computed is said --------------------------------------------------------------------------


@pytest.mark.parametrize(("birth_date", "words"), [
    (None, "Sans date de naissance"), ("21/10/2025", "« 21/10/2025 »")], ids=["missing", "unreadable"])
def test_without_a_readable_birth_date_the_recommendation_says_it_cannot_be_computed_and_why(
    client: FlaskClient, birth_date: str | None, words: str
) -> None:
    subject = patient(birth_date=None)
    if birth_date:
        subject["birthDate"] = birth_date
    answer = _forecast(client, parameters(TODAY, subject, mmr("2026-11-01")))
    assert _named(answer, "evaluation") == []
    recommendation = _recommendation(answer)
    assert recommendation["date"] == TODAY and "meta" not in recommendation  # no profile: no status code fits
    (entry,) = recommendation["recommendation"]
    assert entry["forecastStatus"] == {"text": "Prévision non calculable"}
    assert words in entry["forecastReason"][0]["text"] and "date de naissance" in entry["forecastReason"][0]["text"]
    assert entry["vaccineCode"][0]["coding"][0] == {"system": CVX, "code": "03", "display": "MMR"}
    (issues,) = _named(answer, "issues")
    assert issues["issue"][0]["severity"] == "error" and words in issues["issue"][0]["diagnostics"]


def test_a_deceased_patient_gets_no_forecast(client: FlaskClient) -> None:
    subject = patient(birth_date="2025-10-21") | {"deceasedBoolean": True}
    (entry,) = _recommendation(_forecast(client, parameters(TODAY, subject)))["recommendation"]
    assert "décédée" in entry["forecastReason"][0]["text"]


def test_another_patients_dose_is_set_aside_and_said(client: FlaskClient) -> None:
    theirs = immunization("someone-else", "03", "2026-11-01")
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2025-10-21"), theirs))
    assert _named(answer, "evaluation") == [] and _owed(answer)[0][:2] == (1, "overdue")
    (issues,) = _named(answer, "issues")
    assert [i["severity"] for i in issues["issue"]] == ["warning"] and "autre patient" in issues["issue"][0]["diagnostics"]


def test_a_measles_contact_needing_immunoglobulins_is_a_notice(client: FlaskClient) -> None:
    contact = exposure("p1", ProjectCode.MEASLES_CONTACT, "2026-11-20T18:00:00+01:00", "household")
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2026-08-01"), contact))  # under 6 months
    (issues,) = _named(answer, "issues")
    (notice,) = issues["issue"]
    assert notice["severity"] == "information" and "immunoglobulines polyvalentes" in notice["diagnostics"]
    assert [status for _, status, _ in _owed(answer)] == ["due", "due"]  # the calendar still stands


def test_an_assessment_date_in_the_past_forecasts_as_of_that_day(client: FlaskClient) -> None:
    answer = _forecast(client, parameters("2026-10-01", patient(birth_date="2025-10-21"), mmr("2026-11-01", "d1")))
    (evaluation,) = _named(answer, "evaluation")
    assert _reason_codes(evaluation) == ["notevaluated"]  # given after the assessment date
    assert _recommendation(answer)["date"] == "2026-10-01"
    assert _owed(answer)[0] == (1, "due", {EARLIEST: "2026-10-21", DUE: "2026-10-21", OVERDUE: "2026-11-21"})


# --- refused as sent: 400, an OperationOutcome naming where ---------------------------------------------------

REFUSALS = [
    ("missing assessment date", parameters(None, patient()), "Parameters.parameter.where(name='assessmentDate')"),
    ("partial assessment date", parameters("2026-11", patient()),
     "Parameters.parameter.where(name='assessmentDate').valueDate"),
    ("impossible assessment date", parameters("2026-02-30", patient()),
     "Parameters.parameter.where(name='assessmentDate').valueDate"),
    ("assessment date before the rules", parameters("2018-09-27", patient()),
     "Parameters.parameter.where(name='assessmentDate').valueDate"),
    ("implausible year", parameters("9999-12-31", patient()),
     "Parameters.parameter.where(name='assessmentDate').valueDate"),
    ("missing patient", parameters(TODAY, None), "Parameters.parameter.where(name='patient')"),
    ("patient without an id", parameters(TODAY, {"resourceType": "Patient", "birthDate": "2020-01-01"}),
     "Parameters.parameter.where(name='patient').resource.id"),
    ("patient that is not a Patient", parameters(TODAY, {"resourceType": "Person", "id": "p1"}),
     "Parameters.parameter.where(name='patient').resource"),
    ("an unknown parameter", {"resourceType": "Parameters", "parameter": [
        {"name": "assessmentDate", "valueDate": TODAY}, {"name": "patient", "resource": patient()},
        {"name": "conditions", "resource": condition("p1", SNOMED, "77386006")}]}, "Parameters.parameter[2]"),
    ("a parameter holding another type", {"resourceType": "Parameters", "parameter": [
        {"name": "assessmentDate", "valueDate": TODAY}, {"name": "patient", "resource": patient()},
        {"name": "immunization", "resource": condition("p1", SNOMED, "77386006")}]},
     "Parameters.parameter[2].resource"),
    ("two assessment dates", {"resourceType": "Parameters", "parameter": [
        {"name": "assessmentDate", "valueDate": TODAY}, {"name": "assessmentDate", "valueDate": TODAY},
        {"name": "patient", "resource": patient()}]}, "Parameters.parameter.where(name='assessmentDate')"),
    ("not Parameters", patient(), "Parameters"),
    ("no parameter array", {"resourceType": "Parameters", "parameter": {"name": "patient"}}, "Parameters.parameter"),
    ("a parameter that is not an object", {"resourceType": "Parameters", "parameter": [7]}, "Parameters.parameter[0]"),
    ("an array", [], "Parameters"),
]


@pytest.mark.parametrize(("body", "where"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_request_that_cannot_be_read_is_refused_naming_where(client: FlaskClient, body: Any, where: str) -> None:
    issues = _refused(client, body)
    assert where in [i.get("expression", [None])[0] for i in issues], issues
    assert all(i["severity"] == "error" and i["code"] == "invalid" and i["diagnostics"] for i in issues)


def test_an_empty_or_malformed_body_is_refused(client: FlaskClient) -> None:
    for data in (b"", b"{", b"\xff"):
        answered = client.post(URL, data=data, content_type="application/fhir+json")
        assert answered.status_code == 400 and answered.get_json()["resourceType"] == "OperationOutcome"


# --- discoverable ------------------------------------------------------------------------------------------------


def test_the_capability_statement_lists_the_operation_and_its_definition(client: FlaskClient) -> None:
    statement = client.get("/fhir/metadata").get_json()
    (operation,) = statement["rest"][0]["operation"]
    assert operation["name"] == "immds-forecast" and operation["definition"] == FORECAST.definition
    definition = client.get("/fhir/OperationDefinition/immds-forecast")
    assert definition.status_code == 200
    document = definition.get_json()
    assert document["url"] == FORECAST.definition and document["code"] == "immds-forecast"
    assert document["base"] == IG_OPERATION and document["system"] is True and document["instance"] is False
    assert resource_problems(document) == []
    found = client.get(f"/fhir/OperationDefinition?url={FORECAST.definition}").get_json()
    assert found["total"] == 1


def test_the_operation_definition_declares_what_the_operation_reads_and_answers() -> None:
    definition = terminology.load("OperationDefinition", "immds-forecast")
    inputs = [p["name"] for p in definition["parameter"] if p["use"] == "in"]
    assert inputs == list(PARAMETER_NAMES)
    types = {p["name"]: p["type"] for p in definition["parameter"]}
    assert all(types[name] == resource_type for name, resource_type in RESOURCE_PARAMETERS.items())
    outputs = {p["name"]: (p["min"], p["max"], p["type"]) for p in definition["parameter"] if p["use"] == "out"}
    assert outputs == {"evaluation": (0, "*", "ImmunizationEvaluation"),
                       "recommendation": (1, "1", "ImmunizationRecommendation"),
                       "issues": (0, "1", "OperationOutcome")}
    # the IG's own parameters keep the IG's names, types and cardinalities
    assert (types["assessmentDate"], types["patient"], types["immunization"]) == ("date", "Patient", "Immunization")


# --- the same answer as the CDS Hooks card ----------------------------------------------------------------------

PREGNANT = {
    "resourceType": "Observation", "id": "preg", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-11-01",
    "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "77386006"}]},
}
AGREEMENT = [
    ("13 months, no dose: overdue", [patient(birth_date="2025-10-01")]),
    ("17 months with dose 1: dose 2 on the calendar", [patient(birth_date="2025-06-10"), mmr("2026-06-15", "d1")]),
    ("adult, one dose 20 days ago", [patient(birth_date="1990-05-04"), mmr("2026-11-01", "d1")]),
    ("adult, pregnant: after delivery", [patient(birth_date="1995-05-04"), PREGNANT]),
    ("infant of 8 months, measles contact yesterday: a dose now",
     [patient(birth_date="2026-03-10"), exposure("p1", ProjectCode.MEASLES_CONTACT, "2026-11-20T18:00:00+01:00",
                                                 "household")]),
    ("varicella 10 days ago", [patient(birth_date="1990-05-04"), _vaccine("21", "2026-11-11", "var")]),
]


@pytest.mark.parametrize("resources", [a[1] for a in AGREEMENT], ids=[a[0] for a in AGREEMENT])
def test_the_card_and_the_forecast_recommend_the_same_doses(client: FlaskClient, resources: list[dict[str, Any]]) -> None:
    cards = client.post("/cds-services/ror-vaccination", json=hook_request("patient-view", resources))
    assert cards.status_code == 200
    assert_valid_response(cards.get_json())
    proposed = [a["resource"] for card in cards.get_json()["cards"] for s in card.get("suggestions", [])
                for a in s["actions"] if a.get("resource", {}).get("resourceType") == "ImmunizationRecommendation"]
    assert len(proposed) == 1, cards.get_json()
    answer = _forecast(client, parameters(TODAY, *resources))
    recommendation = _recommendation(answer)
    assert recommendation["recommendation"] == proposed[0]["recommendation"]
    assert recommendation["patient"] == proposed[0]["patient"]


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (medication_statement("p1", ATC, "L04AX03", text="Méthotrexate"), "traitement immunosuppresseur"),
        (medication_statement("p1", ATC, "H02AB07", text="Prednisone"), "corticothérapie générale"),
        (condition("p1", "http://hl7.org/fhir/sid/icd-10", "C91.0"), "immunodépression"),
        (condition("p1", SNOMED, "86406008"), "VIH"),
    ],
    ids=["methotrexate", "prednisone", "leukaemia", "hiv"],
)
def test_a_weakened_immunity_makes_every_owed_dose_contraindicated_with_the_reason(
    client: FlaskClient, resource: dict[str, Any], reason: str
) -> None:
    answer = _forecast(client, parameters(TODAY, patient(birth_date="2019-03-03"), resource))
    owed = _recommendation(answer)["recommendation"]
    assert owed and {r["forecastStatus"]["coding"][0]["code"] for r in owed} == {"contraindicated"}
    assert all(reason in r["forecastReason"][0]["text"] for r in owed)
