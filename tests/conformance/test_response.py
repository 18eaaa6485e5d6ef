"""cds-hooks.md §3.4 R items: responses and cards.

A rule set that emits every kind of advice (a prescription, a vaccination forecast, alternatives, an order
correction and an order removal) is plugged into the real evaluator, so the whole rendering path is checked
whatever the clinical rules answer; the clinical scenarios are checked again in tests/scenarios.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cds_checks import assert_valid_response, no_null_or_empty
from conftest import FROZEN_NOW
from fhir_factory import hook_request, medication_request, patient, searchset
from prevention_cds.app.factory import create_app
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.rules.advice import (
    Advice,
    DoseSchedule,
    ForecastDose,
    ForecastStatus,
    GuidelineRef,
    ImmunizationForecast,
    Indicator,
    MedicationProposal,
    Medicine,
    Message,
    ProposeImmunization,
    ProposeMedication,
    RemoveDraftOrder,
    ReplaceDraftOrder,
    Route,
    SelectionBehavior,
    Suggestion,
    TargetDisease,
)
from prevention_cds.rules.facts import OrderContext, PatientRecord
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.settings import Settings

REF = (GuidelineRef("ameli-ror", "Le calendrier vaccinal"),)
TEXT = Message.decisive_of("card.heading.todo")  # any catalog text; decisive: on the card


def _rifampicin(dose: str) -> MedicationProposal:
    return MedicationProposal(Medicine.RIFAMPICIN_CAPSULE, Route.ORAL,
                              DoseSchedule(frequency=2, period=Decimal(1), period_unit="d", duration_days=2),
                              TEXT, dose_mg=Decimal(dose), reason="meningococcal-prophylaxis")


FORECAST = ImmunizationForecast(
    Medicine.MMR_VACCINE, (TargetDisease.MEASLES, TargetDisease.MUMPS, TargetDisease.RUBELLA),
    (ForecastDose(1, 2, ForecastStatus.OVERDUE, date(2026, 11, 21), date(2026, 11, 21), date(2026, 11, 21)),
     ForecastDose(2, 2, ForecastStatus.DUE, date(2026, 12, 19), date(2026, 12, 19))),
    TEXT,
)


class EveryShapeRules:
    def evaluate(self, record: PatientRecord, now: datetime, settings: RuleSettings) -> tuple[Advice, ...]:
        return (
            Advice("test.plain", Indicator.INFO, Message.of("card.heading.decisive-facts"), (TEXT,), (), REF),
            Advice("test.vaccine", Indicator.WARNING, Message.of("card.heading.decisive-facts"), (TEXT,), (TEXT,), REF,
                   suggestions=(Suggestion(TEXT, (ProposeImmunization(FORECAST), ProposeMedication(
                       MedicationProposal(Medicine.MMR_VACCINE, Route.INTRAMUSCULAR, DoseSchedule.single_dose(), TEXT))),
                       recommended=True),)),
            Advice("test.alternatives", Indicator.WARNING, Message.of("card.heading.decisive-facts"), (TEXT,), (), REF,
                   suggestions=(Suggestion(TEXT, (ProposeMedication(_rifampicin("600")),), recommended=True),
                                Suggestion(TEXT, (ProposeMedication(MedicationProposal(
                                    Medicine.CEFTRIAXONE_INJECTION, Route.INTRAMUSCULAR, DoseSchedule.single_dose(),
                                    TEXT, dose_mg=Decimal(250))),))),
                   selection=SelectionBehavior.AT_MOST_ONE),
        )

    def check_orders(self, record: PatientRecord, orders: OrderContext, now: datetime,
                     settings: RuleSettings) -> tuple[Advice, ...]:
        advice = []
        for order in orders.orders:
            assert order.reference is not None
            advice.append(Advice("test.order", Indicator.CRITICAL, Message.of("card.heading.decisive-facts"), (TEXT,),
                                 (), REF, suggestions=(
                                     Suggestion(TEXT, (ReplaceDraftOrder(order.reference, _rifampicin("300")),)),
                                     Suggestion(TEXT, (RemoveDraftOrder(order.reference, order.display),)))))
        return tuple(advice)


@pytest.fixture
def shapes_client(settings: Settings) -> FlaskClient:
    rules = EveryShapeRules()
    evaluator = CdsEvaluator(settings, clock=lambda: FROZEN_NOW, rule_sets={"mmr": rules, "iim": rules})
    app: Flask = create_app(settings, evaluator=evaluator)
    return app.test_client()


def _patient_view(client: FlaskClient, **headers: str) -> dict[str, Any]:
    response = client.post("/cds-services/iim-prophylaxis", json=hook_request("patient-view", [patient()]),
                           headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _order_sign(client: FlaskClient) -> tuple[dict[str, Any], frozenset[str]]:
    order = medication_request("p1", "J04AB02", "Rifampicine", dose_mg=600, rid="draft-1")
    body = hook_request("order-sign", [patient()])
    body["context"]["draftOrders"] = searchset([order])
    response = client.post("/cds-services/prevention-order-sign", json=body)
    assert response.status_code == 200
    return response.get_json(), frozenset({"MedicationRequest/draft-1"})


def test_R01_cards_always_an_array(shapes_client: FlaskClient, settings: Settings) -> None:
    assert isinstance(_patient_view(shapes_client)["cards"], list)

    class Silent(EveryShapeRules):
        def evaluate(self, *args: Any) -> tuple[Advice, ...]:
            return ()

    app = create_app(settings, evaluator=CdsEvaluator(settings, clock=lambda: FROZEN_NOW,
                                                      rule_sets={"mmr": Silent(), "iim": Silent()}))
    response = app.test_client().post("/cds-services/ror-vaccination", json=hook_request("patient-view", [patient()]))
    assert response.get_json() == {"cards": []}


def test_R02_summary_indicator_source(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]


def test_R02_long_summary_is_shortened_below_140() -> None:
    from prevention_cds.fhir_out.card import fit_summary

    assert len(fit_summary("mot " * 100)) < 140 and fit_summary("court") == "court"


def test_R03_source_url_is_absolute(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        assert card["source"]["url"].startswith("https://")


def test_R04_detail_is_markdown_without_html(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        assert "**" in card["detail"] and "<div" not in card["detail"] and "<br" not in card["detail"]


def test_R05_R06_selection_behavior_and_one_recommended(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("at-most-one", "any")
            if card["selectionBehavior"] == "at-most-one":
                assert sum(bool(s.get("isRecommended")) for s in card["suggestions"]) <= 1


def test_R07_R08_suggestions_have_label_uuid_and_valid_actions(shapes_client: FlaskClient) -> None:
    cards = _patient_view(shapes_client)["cards"]
    suggestions = [s for c in cards for s in c.get("suggestions", [])]
    assert suggestions
    for suggestion in suggestions:
        assert suggestion["label"] and suggestion["uuid"] and suggestion["actions"]
        for action in suggestion["actions"]:
            assert action["type"] in ("create", "update", "delete") and action["description"]


def test_R09_resources_validate(shapes_client: FlaskClient) -> None:
    resources = assert_valid_response(_patient_view(shapes_client))
    kinds = {r["resourceType"] for r in resources}
    assert kinds == {"MedicationRequest", "ImmunizationRecommendation"}
    rifampicin = next(r for r in resources if r.get("medicationCodeableConcept", {}).get("coding", [{}])[0].get("code")
                      == "9384")
    dosage = rifampicin["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"] == {"value": 600, "unit": "mg",
                                                         "system": "http://unitsofmeasure.org", "code": "mg"}
    assert dosage["timing"]["repeat"] == {"frequency": 2, "period": 1, "periodUnit": "d",
                                          "boundsDuration": {"value": 2, "unit": "d",
                                                             "system": "http://unitsofmeasure.org", "code": "d"}}
    assert rifampicin["intent"] == "proposal" and rifampicin["status"] == "draft"


def test_R10_R11_delete_and_update_target_draft_orders(shapes_client: FlaskClient) -> None:
    body, drafts = _order_sign(shapes_client)
    assert_valid_response(body, drafts)
    actions = [a for c in body["cards"] for s in c["suggestions"] for a in s["actions"]]
    delete = next(a for a in actions if a["type"] == "delete")
    update = next(a for a in actions if a["type"] == "update")
    assert delete["resourceId"] == "MedicationRequest/draft-1" and "resource" not in delete
    assert update["resource"]["id"] == "draft-1" and update["resource"]["intent"] == "order"


def test_R11_update_of_an_unknown_order_is_refused() -> None:
    from prevention_cds.fhir_out.fhir_resources import ResourceContext
    from prevention_cds.fhir_out.render import RenderContext, advice_to_card

    advice = Advice("x", Indicator.WARNING, Message.of("card.heading.decisive-facts"), (TEXT,), (), REF,
                    suggestions=(Suggestion(TEXT, (RemoveDraftOrder("MedicationRequest/other", "x"),)),))
    ctx = RenderContext(ResourceContext("p1", FROZEN_NOW, "fr", "order"), frozenset({"MedicationRequest/draft-1"}))
    with pytest.raises(ValueError):
        advice_to_card(advice, ctx)


def test_R12_override_reasons_have_code_system_display(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        for reason in card["overrideReasons"]:
            assert reason["code"] and reason["system"].startswith("http") and reason["display"]


def test_R13_each_card_links_to_its_explanation_page(shapes_client: FlaskClient) -> None:
    for card in _patient_view(shapes_client)["cards"]:
        (link,) = card["links"]
        assert link["type"] == "absolute" and link["label"] == "Explication complète"
        assert link["url"].startswith("http://localhost/explanations/") and link["url"].endswith("?lang=fr")


def test_R14_card_uuids_unique(shapes_client: FlaskClient) -> None:
    cards = _patient_view(shapes_client)["cards"] + _patient_view(shapes_client)["cards"]
    uuids = [c["uuid"] for c in cards]
    assert len(uuids) == len(set(uuids))


def test_R15_no_system_actions_or_valid_ones(shapes_client: FlaskClient) -> None:
    body = _patient_view(shapes_client)
    assert "systemActions" not in body or isinstance(body["systemActions"], list)


def test_R16_no_null_or_empty_members(shapes_client: FlaskClient) -> None:
    assert no_null_or_empty(_patient_view(shapes_client)) == []
    assert no_null_or_empty(_order_sign(shapes_client)[0]) == []


def test_R17_medication_text_and_rxnorm_first_when_known(shapes_client: FlaskClient) -> None:
    resources = assert_valid_response(_patient_view(shapes_client))
    for resource in resources:
        if resource["resourceType"] == "MedicationRequest":
            concept = resource["medicationCodeableConcept"]
            assert concept["text"] and concept["coding"][0]["code"]
            if any(c["system"].endswith("rxnorm") for c in concept["coding"]):
                assert concept["coding"][0]["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_R_texts_follow_accept_language(shapes_client: FlaskClient) -> None:
    french = _patient_view(shapes_client)["cards"][0]
    english = _patient_view(shapes_client, **{"Accept-Language": "en"})["cards"][0]
    assert french["summary"] == "Éléments déterminants" and english["summary"] == "Decisive facts"
    assert french["links"][0]["label"] == "Explication complète" and english["links"][0]["label"] == "Full explanation"
    assert english["links"][0]["url"].endswith("?lang=en")
