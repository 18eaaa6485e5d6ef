"""clinical.md §E worked examples end to end: FHIR JSON as an EHR sends it → HTTP → record → rules → cards →
FHIR resources. "Today" is pinned per example (the examples give their own dates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from fhir_factory import exposure, hook_request, immunization, patient, weight
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import PRACTICE_TIMEZONE, Settings
from support.explanation_pages import explanation_text


def _call(settings: Settings, now: datetime, service: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    client: FlaskClient = create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: now)).test_client()
    response = client.post(f"/cds-services/{service}", json=hook_request("patient-view", resources))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert_valid_response(body)
    # what the clinician reads one click away: each card's explanation page
    body["pages"] = " ".join(explanation_text(client, card) for card in body["cards"])
    return body


def _resources(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a["resource"] for c in body["cards"] for s in c.get("suggestions", []) for a in s["actions"]
            if a.get("resource", {}).get("resourceType") == kind]


def _dose(request: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    dosage = request["dosageInstruction"][0]
    return dosage["doseAndRate"][0]["doseQuantity"]["value"], dosage["timing"]["repeat"]


def test_example_1_adult_household_contact_serogroup_b(settings: Settings) -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "iim-prophylaxis", [
        patient(birth_date="1991-03-02", gender="male"), weight("p1", 78, "2026-11-20T09:00:00+01:00"),
        exposure("p1", "iim-contact", "2026-11-20T20:00:00+01:00", "household", "B")])
    requests = _resources(body, "MedicationRequest")
    rifampicin = [r for r in requests if r["medicationCodeableConcept"]["coding"][0]["code"] == "9384"]
    assert rifampicin, [c["summary"] for c in body["cards"]]
    value, repeat = _dose(rifampicin[0])
    assert value == 600 and repeat["frequency"] == 2 and repeat["period"] == 1 and repeat["periodUnit"] == "d"
    assert repeat["boundsDuration"]["value"] == 2
    assert not _resources(body, "ImmunizationRecommendation")  # serogroup B: no vaccination
    text = body["pages"].lower()  # precautions: on the page, the card says what to do
    assert "lentilles" in text and ("orange" in text or "rouge" in text)
    assert "lentilles" not in " ".join(c.get("detail", "") for c in body["cards"])


def test_example_2_child_classroom_neighbour_serogroup_c(settings: Settings) -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "iim-prophylaxis", [
        patient(birth_date="2018-05-10", gender="male"), weight("p1", 30, "2026-11-18T09:00:00+01:00"),
        exposure("p1", "iim-contact", "2026-11-18T16:00:00+01:00", "school-classroom-neighbour", "C")])
    rifampicin = [r for r in _resources(body, "MedicationRequest")
                  if r["medicationCodeableConcept"]["coding"][0]["code"] == "9384"]
    value, _ = _dose(rifampicin[0])
    assert value == 300 and "30 kg" in rifampicin[0]["dosageInstruction"][0]["text"]
    assert _resources(body, "ImmunizationRecommendation")  # conjugate C / ACWY within 10 days


def test_example_3_born_1980_01_01_two_doses_adult_65_percent(settings: Settings) -> None:
    now = datetime(2025, 9, 1, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "ror-vaccination", [patient(birth_date="1980-01-01", gender="male")])
    recommendation = _resources(body, "ImmunizationRecommendation")[0]
    doses = recommendation["recommendation"]
    assert [d["doseNumberPositiveInt"] for d in doses] == [1, 2]
    assert doses[0]["forecastStatus"]["coding"][0]["code"] in ("due", "overdue")
    assert "65 %" in body["pages"]


def test_example_4_infant_exposed_70_hours_ago(settings: Settings) -> None:
    now = datetime(2025, 6, 12, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "ror-vaccination", [
        patient(birth_date="2024-07-10"),
        exposure("p1", "measles-contact", "2025-06-09T12:00:00+02:00", "household")])
    assert body["cards"] and _resources(body, "MedicationRequest")  # one post-exposure dose now
    assert "gratuit" in body["pages"]


def test_example_5_first_dose_at_11_months_does_not_count(settings: Settings) -> None:
    now = datetime(2025, 6, 15, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "ror-vaccination", [
        patient(birth_date="2023-03-01", gender="male"), immunization("p1", "03", "2024-02-01"),
        immunization("p1", "03", "2024-07-01")])
    doses = _resources(body, "ImmunizationRecommendation")[0]["recommendation"]
    assert [d["doseNumberPositiveInt"] for d in doses] == [2] and len(doses[0].get("supportingImmunization", [])) == 1


def test_example_6_child_born_2020_no_dose_overdue_and_mandatory(settings: Settings) -> None:
    now = datetime(2025, 5, 20, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    body = _call(settings, now, "ror-vaccination", [patient(birth_date="2020-05-05")])
    doses = _resources(body, "ImmunizationRecommendation")[0]["recommendation"]
    assert len(doses) == 2 and doses[0]["forecastStatus"]["coding"][0]["code"] == "overdue"
    assert body["cards"][0]["indicator"] == "warning"
    page = body["pages"].lower()
    assert "obligatoire" in page and "gratuit" in page


def test_open_exposure_period_is_ongoing_so_prophylaxis_is_still_due(settings: Settings) -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    household = exposure("p1", "iim-contact", "2026-11-01T08:00:00+01:00", "household", "C")
    household["effectivePeriod"] = {"start": household.pop("effectiveDateTime")}  # started 20 days ago, no end
    body = _call(settings, now, "iim-prophylaxis", [
        patient(birth_date="1991-03-02", gender="male"), weight("p1", 78, "2026-11-20T09:00:00+01:00"), household])
    assert any(r["medicationCodeableConcept"]["coding"][0]["code"] == "9384"
               for r in _resources(body, "MedicationRequest"))
