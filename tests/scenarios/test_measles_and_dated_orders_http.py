"""End to end, FHIR JSON as an EHR sends it (issue 14 §2 and §5): an active measles Condition gets the critical
case card and no MMR dose; a resolved one is a history; a yellow fever vaccine given this morning to a toddler
makes an MMR order too early, corrected with a prescription not dispensed before its date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from cds_checks import assert_valid_response
from fhir_factory import SNOMED, condition, hook_request, immunization, medication_request, patient, searchset
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import PRACTICE_TIMEZONE, Settings

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)


def _client(settings: Settings) -> FlaskClient:
    return create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: NOW)).test_client()


def _post(settings: Settings, service: str, body: dict[str, Any], drafts: frozenset[str] = frozenset()) -> Any:
    response = _client(settings).post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert_valid_response(answer, drafts)
    return answer


def _measles(clinical: str, verification: str, onset: str) -> dict[str, Any]:
    resource = condition("p1", SNOMED, "14189004", clinical=clinical)
    resource["verificationStatus"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]
    }
    resource["onsetDateTime"] = onset
    return resource


def _resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["resource"] for c in body["cards"] for s in c.get("suggestions", []) for a in s["actions"] if "resource" in a]


def test_a_suspected_measles_case_gets_the_critical_card_and_no_dose(settings: Settings) -> None:
    resources = [patient(birth_date="2019-03-02"), _measles("active", "provisional", "2026-11-19")]
    body = _post(settings, "ror-vaccination", hook_request("patient-view", resources))
    (card,) = body["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Suspicion de rougeole") and "24/11/2026" in card["summary"]
    assert "ARS" in card["summary"] and "ARS" in card["detail"]
    assert _resources(body) == []  # no MMR dose while ill


def test_a_resolved_measles_is_a_history_and_the_series_goes_on(settings: Settings) -> None:
    resources = [patient(birth_date="1990-03-02", gender="male"), _measles("resolved", "confirmed", "2015-04-01")]
    body = _post(settings, "ror-vaccination", hook_request("patient-view", resources))
    assert [c["indicator"] for c in body["cards"]] == ["info"]
    assert "Antécédent de rougeole confirmé" in body["cards"][0]["detail"]
    assert any(r["resourceType"] == "MedicationRequest" for r in _resources(body))


def test_yellow_fever_this_morning_dates_the_mmr_order_of_a_toddler(settings: Settings) -> None:
    order = medication_request("p1", "J07BD52", "M-M-RVaxPro", rid="mmr-1")
    body = hook_request(
        "order-sign",
        [patient(birth_date="2025-05-21"), immunization("p1", "37", "2026-11-21T09:00:00+01:00")],
    )
    body["context"]["draftOrders"] = searchset([order])
    answer = _post(settings, "prevention-order-sign", body, frozenset({"MedicationRequest/mmr-1"}))
    (card,) = [c for c in answer["cards"] if "19/12/2026" in c["summary"]]
    (resource,) = _resources({"cards": [card]})
    assert resource["id"] == "mmr-1"
    assert resource["dispenseRequest"]["validityPeriod"]["start"] == "2026-12-19"
    assert "pas avant le 19/12/2026" in resource["dosageInstruction"][0]["text"]
