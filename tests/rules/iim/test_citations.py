"""A card cites the sections of the rule values it applies for this patient, in the order used: the situation
first (who is a contact, the window), then the dose of each drug offered, for the patient's dosing band.

The cards are built by the rule modules directly, not through ``IimRules``: the golden comparison
(tests/golden) records what ``IimRules`` answers in the suites it was recorded on, and these are new cases.
"""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, GuidelineRef
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, OrderContext, PatientRecord
from prevention_cds.rules.iim.contact_prophylaxis import contact_advice
from prevention_cds.rules.iim.order_checks import check_orders
from prevention_cds.rules.iim.parameters import IimParameters
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.ruleset import RuleSettings

from .builders import NOW, TODAY, assert_renders, born_years_ago, only, order, record

P = IimParameters.on(TODAY)
RIF, CIPRO, CEF = P.rifampicin, P.ciprofloxacin, P.ceftriaxone


def evaluate(rec: PatientRecord) -> tuple[Advice, ...]:
    return assert_renders(contact_advice(PatientProfile.of(rec, NOW), RuleSettings()))


def check(rec: PatientRecord, *orders: DraftOrder) -> tuple[Advice, ...]:
    context = OrderContext("order-sign", orders)
    return assert_renders(check_orders(PatientProfile.of(rec, NOW), context, RuleSettings()))


def _course(advice: tuple[Advice, ...]) -> tuple[GuidelineRef, ...]:
    return only(advice, "iim.prophylaxis.rifampicin").guideline


def test_the_situation_is_cited_first() -> None:
    cited = _course(evaluate(record(born_years_ago(40))))
    assert cited[:2] == (P.contact_settings.ref, P.contact_window_days.ref)


def test_an_adult_card_cites_the_adult_dose_not_the_childrens() -> None:
    cited = _course(evaluate(record(born_years_ago(40))))
    assert {RIF.duration_days.ref, RIF.adult_dose_mg.ref} <= set(cited)
    assert not {RIF.child_mg_per_kg.ref, RIF.neonate_mg_per_kg.ref} & set(cited)
    # First line proposes rifampicin only: the second-line doses are not applied, so not cited.
    assert not {CIPRO.adult_dose_mg.ref, CEF.adult_dose_mg.ref} & set(cited)


def test_a_child_card_cites_the_child_dose_only() -> None:
    cited = _course(evaluate(record(born_years_ago(5), kg="20")))
    assert RIF.child_mg_per_kg.ref in cited
    assert not {RIF.adult_dose_mg.ref, RIF.neonate_mg_per_kg.ref, RIF.max_dose_mg.ref} & set(cited)
    assert not {CIPRO.child_mg_per_kg.ref, CEF.child_dose_mg.ref} & set(cited)


def test_a_child_second_line_card_cites_the_child_doses_and_the_provisional_paediatric_ciprofloxacin() -> None:
    card = only(evaluate(record(born_years_ago(5), kg="20", allergies=(Concept.RIFAMYCIN_ALLERGEN,))),
                "iim.prophylaxis.second-line")
    assert {CIPRO.child_mg_per_kg.ref, CIPRO.child_dose_provisional.ref, CEF.child_dose_mg.ref} <= set(card.guideline)
    assert not {CEF.adult_dose_mg.ref, CIPRO.adult_dose_mg.ref, RIF.child_mg_per_kg.ref} & set(card.guideline)


def test_a_neonate_card_cites_the_neonatal_dose() -> None:
    cited = _course(evaluate(record(born_years_ago(0, 10), kg="3.5")))
    assert RIF.neonate_mg_per_kg.ref in cited and RIF.child_mg_per_kg.ref not in cited


def test_a_capped_dose_cites_the_cap() -> None:
    cited = _course(evaluate(record(born_years_ago(13), kg="61")))
    assert RIF.max_dose_mg.ref in cited


def test_a_contraindicated_order_cites_the_contraindication_then_the_replacements() -> None:
    rec = record(born_years_ago(40), allergies=(Concept.RIFAMYCIN_ALLERGEN,))
    card = only(check(rec, order(Concept.RIFAMPICIN, "600")), "iim.order.contraindicated")
    assert card.guideline[0] == RIF.contraindications.ref
    assert {CIPRO.adult_dose_mg.ref, CEF.adult_dose_mg.ref} <= set(card.guideline)
    assert RIF.adult_dose_mg.ref not in card.guideline  # rifampicin is not what the card proposes


def test_an_order_check_cites_the_regimen_expected_for_the_patient() -> None:
    card = only(check(record(born_years_ago(40)), order(Concept.CIPROFLOXACIN, "750")), "iim.order.dose")
    assert card.guideline == (CIPRO.adult_dose_mg.ref, P.unit_dispensing.ref)  # the corrected order's quantity


def test_the_doses_are_cited_in_the_order_offered() -> None:
    rec = record(born_years_ago(40), medications=(Concept.RIFAMPICIN_AVOID_ANTICOAGULANT,))
    card = only(evaluate(rec), "iim.prophylaxis.second-line")
    assert [s.label.key for s in card.suggestions] == [
        "iim.suggestion.ciprofloxacin",
        "iim.suggestion.ceftriaxone",
        "iim.suggestion.rifampicin",
    ]
    assert card.guideline[:2] == (P.contact_settings.ref, P.contact_window_days.ref)
    doses = [ref for ref in card.guideline if ref.document == P.contact_settings.ref.document][2:]  # the guide: after setting and window, the doses
    assert doses == [CIPRO.adult_dose_mg.ref, CEF.adult_dose_mg.ref, RIF.adult_dose_mg.ref]
