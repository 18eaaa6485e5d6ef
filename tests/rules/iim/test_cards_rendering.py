"""The IIM advice goes through the real cards layer: every card renders in French and English, and every
MedicationRequest / ImmunizationRecommendation it carries validates (prevention_cds.fhir_out.fhir_resources raises if not)."""

import logging
from datetime import timedelta

import pytest

from cds_checks import assert_valid_response
from prevention_cds.fhir_out.fhir_resources import ResourceContext
from prevention_cds.fhir_out.render import RenderContext, advice_to_card
from prevention_cds.rules.advice import Advice
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, IimSerogroup, Sex

from .builders import NOW, TODAY, born_years_ago, check, evaluate, exposure, order, record

SCENARIOS: dict[str, tuple[Advice, ...]] = {
    "adult household B": evaluate(record(born_years_ago(35), kg=78)),
    "child classroom C": evaluate(
        record(born_years_ago(8), kg=30, exposures=(exposure("school-classroom-neighbour", 3, IimSerogroup.C),))
    ),
    "neonate 61 kg child capped": evaluate(record(born_years_ago(13), kg=61, sex=Sex.FEMALE)),
    "child second line": evaluate(record(born_years_ago(6), kg=24, allergies=(Concept.RIFAMYCIN_ALLERGEN,))),
    "pregnant second line": evaluate(
        record(born_years_ago(30), sex=Sex.FEMALE, pregnant=True, allergies=(Concept.RIFAMYCIN_ALLERGEN,))
    ),
    "weight needed": evaluate(record(born_years_ago(4))),
    "window closed": evaluate(record(born_years_ago(40), exposures=(exposure(days_ago=12),))),
    "not a contact": evaluate(record(born_years_ago(40), exposures=(exposure("party-or-meal"),))),
    "specialist": evaluate(record(TODAY - timedelta(days=9), kg="3.3", allergies=(Concept.RIFAMYCIN_ALLERGEN,))),
    "index case": evaluate(
        record(
            born_years_ago(19),
            exposures=(),
            conditions=(ConditionFact(Concept.IIM_DISEASE, "IIM", source_id="Condition/c"),),
        )
    ),
}
ORDER_SCENARIOS: dict[str, tuple[Advice, ...]] = {
    "dose correction": check(record(born_years_ago(8), kg=30), order(Concept.RIFAMPICIN, "600")),
    "contraindicated": check(
        record(born_years_ago(40), allergies=(Concept.RIFAMYCIN_ALLERGEN,)), order(Concept.RIFAMPICIN, "600")
    ),
}


def _render(advice: tuple[Advice, ...], language: str, intent: str) -> list[dict[str, object]]:
    resources = ResourceContext(patient_id="p", now=NOW, language=language, intent=intent)
    ctx = RenderContext(resources, draft_order_references=frozenset({"MedicationRequest/draft-1"}))
    return [advice_to_card(a, ctx) for a in advice]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("name", "intent"), [(n, "proposal") for n in SCENARIOS] + [(n, "order") for n in ORDER_SCENARIOS]
)
def test_renders_as_cards(name: str, intent: str, language: str, caplog: pytest.LogCaptureFixture) -> None:
    advice = {**SCENARIOS, **ORDER_SCENARIOS}[name]
    assert advice
    with caplog.at_level(logging.ERROR):
        cards = _render(advice, language, intent)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    for card in cards:
        assert len(str(card["summary"])) < 140
        assert "<" not in str(card["detail"])
    # the whole response, resources included, against CDS Hooks and the project's FHIR profiles
    assert_valid_response({"cards": cards}, frozenset({"MedicationRequest/draft-1"}))
