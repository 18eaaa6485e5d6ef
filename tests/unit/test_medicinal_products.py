"""Medicines as EHRs code them (issue 15 §3): a product code (RxNorm clinical and branded drugs and their
groupings, French CIS and CIP13, ATC combinations) is read through its ingredients, with its form and strength;
a product known by no code is recognised by the name of its ingredient, and the card says so."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from conftest import RXNORM_SANDBOX
from fhir_factory import exposure, patient, weight
from prevention_cds import terminology
from prevention_cds.fhir_in.draft_orders import read_draft_order
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DoseForm
from prevention_cds.terminology import ProjectCode
from prevention_cds.terminology.index import ATC, BDPM, CIP_UCD, RXNORM, CodeIndex
from prevention_cds.terminology.medicines import shipped_document
from support.order_sign import order_sign_cards

SANDBOX_PRODUCTS = RXNORM_SANDBOX / "rifamycin-fluoroquinolone-products.tsv"
# The Sandbox file's third column is a match on the name made when the list was cut, not an RxNorm relation; the
# catalogue reads the ingredients from the RxNorm normalised name too. The test checks they agree, and that the
# ingredient then reaches the rules.
INGREDIENT_OF_NAME = {
    "rifampin": "rifampicin", "rifabutin": "rifabutin", "rifapentine": "rifapentine", "ciprofloxacin": "ciprofloxacin",
    "levofloxacin": "levofloxacin", "moxifloxacin": "moxifloxacin", "ofloxacin": "ofloxacin",
    "norfloxacin": "norfloxacin",
}
RIFAMYCINS = {"rifampicin", "rifabutin", "rifapentine"}
INDEX = CodeIndex.load()


def _sandbox_rows() -> list[dict[str, str]]:
    with SANDBOX_PRODUCTS.open(encoding="utf-8", newline="") as table:
        return list(csv.DictReader(table, delimiter="\t"))


def _order(coding: dict[str, str] | None, text: str | None = None, **extra: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if coding is not None:
        concept["coding"] = [coding]
    if text is not None:
        concept["text"] = text
    return {"resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": concept, **extra}


def test_the_sandbox_offers_99_products() -> None:
    assert len(_sandbox_rows()) == 99


@pytest.mark.parametrize("row", _sandbox_rows(), ids=lambda row: f"{row['rxnorm_code']} {row['name']}")
def test_every_sandbox_product_is_recognised_by_its_code(row: dict[str, str]) -> None:
    assert INDEX.medicines is not None
    product = INDEX.medicines.product(RXNORM, row["rxnorm_code"])
    assert product is not None and product.display == row["name"]
    ingredient = INGREDIENT_OF_NAME[row["ingredient_matched_by_name"]]
    assert ingredient in {amount.ingredient.id for amount in product.ingredients}
    coding = {"system": RXNORM, "code": row["rxnorm_code"], "display": row["name"]}
    # as a draft order (Rx Sign), the rules see rifampicin and ciprofloxacin, the drugs they check
    order = read_draft_order(_order(coding), INDEX, selected=True)
    expected = {"rifampicin": {Concept.RIFAMPICIN}, "ciprofloxacin": {Concept.CIPROFLOXACIN}}.get(ingredient, set())
    assert expected <= order.concepts and not order.product.recognised_by_name
    # as an allergy, every rifamycin and every fluoroquinolone is an allergen the rules know
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "code": {"coding": [coding]}}
    allergen = Concept.RIFAMYCIN_ALLERGEN if ingredient in RIFAMYCINS else Concept.CIPROFLOXACIN_ALLERGEN
    record = build_record("p1", [patient(), allergy], INDEX)
    assert record.allergies_to(allergen) and not record.allergies[0].recognised_by_name


@pytest.mark.parametrize(("code", "form", "strengths"), [
    ("198202", DoseForm.CAPSULE, {"rifampicin": Decimal(300)}),  # Rifampin 300 MG Oral Capsule
    ("201868", DoseForm.CAPSULE, {"rifampicin": Decimal(300)}),  # ... [Rifadin]
    ("199620", DoseForm.TABLET, {"rifampicin": Decimal(600)}),  # Rifampin 600 MG Oral Tablet
    ("403921", DoseForm.TABLET, {"ciprofloxacin": Decimal(1000)}),  # 24 HR ... Extended Release Oral Tablet
    ("206698", DoseForm.TABLET, {"isoniazid": Decimal(50), "pyrazinamide": Decimal(300), "rifampicin": Decimal(120)}),
    ("316642", None, {"rifampicin": Decimal(300)}),  # Rifampin 300 MG: a component, no form
    ("1165466", DoseForm.ORAL_SOLID, {}),  # Rifampin Pill: a grouping, no strength
])
def test_form_and_strength_come_from_the_product(code: str, form: DoseForm | None, strengths: dict[str, Decimal]) -> None:
    order = read_draft_order(_order({"system": RXNORM, "code": code}), INDEX, selected=True)
    assert order.product.form == form
    assert {s.ingredient: s.mg for s in order.product.strengths} == strengths
    if "rifampicin" in strengths:
        found = order.product.strength_of(Concept.RIFAMPICIN)
        assert found is not None and found.mg == strengths["rifampicin"] and found.per_ml is None


@pytest.mark.parametrize(("system", "code", "form", "mg", "per_ml"), [
    (BDPM, "67876901", DoseForm.CAPSULE, "300", None),  # RIFADINE 300 mg, gélule (CIS)
    ("urn:oid:1.2.250.1.213.2.3.1", "67876901", DoseForm.CAPSULE, "300", None),  # the CIS OID
    (BDPM, "64085981", DoseForm.ORAL_SUSPENSION, "100", "5"),  # RIFADINE 2 POUR CENT, suspension buvable
    (BDPM, "66404004", DoseForm.CAPSULE, "300", None),  # RIMACTAN 300 mg, gélule
    (CIP_UCD, "3400930915004", DoseForm.CAPSULE, "300", None),  # RIFADINE 300 mg, boîte de 30 (CIP13)
    (CIP_UCD, "3400932954094", DoseForm.TABLET, "300", None),  # RIFINAH 300 mg/150 mg
])
def test_french_products_by_cis_and_cip13(system: str, code: str, form: DoseForm, mg: str, per_ml: str | None) -> None:
    order = read_draft_order(_order({"system": system, "code": code}), INDEX, selected=True)
    strength = order.product.strength_of(Concept.RIFAMPICIN)
    assert Concept.RIFAMPICIN in order.concepts and order.product.form == form
    assert strength is not None and strength.mg == Decimal(mg)
    assert strength.per_ml == (Decimal(per_ml) if per_ml else None)


def test_french_ciprofloxacin_products() -> None:
    for system, code in ((BDPM, "64728922"), (BDPM, "61479138"), (BDPM, "61230539"), (BDPM, "66063916"),
                         (CIP_UCD, "3400936822306"), (CIP_UCD, "3400956726325")):
        order = read_draft_order(_order({"system": system, "code": code}), INDEX, selected=True)
        assert Concept.CIPROFLOXACIN in order.concepts, code


def test_an_atc_combination_is_read_through_its_ingredients() -> None:
    for code in ("J04AM02", "J04AM05", "J04AM06"):  # rifampicin with isoniazid (and pyrazinamide, ethambutol)
        statement = {"resourceType": "MedicationStatement", "id": "s1", "status": "active",
                     "subject": {"reference": "Patient/p1"},
                     "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]}}
        assert build_record("p1", [patient(), statement], INDEX).medications_of(Concept.RIFAMPICIN), code


def test_an_interaction_list_of_atc_classes_and_ingredient_codes_matches_product_codes() -> None:
    """The interaction lists are written as ATC classes and ingredient codes: a product code must match them."""
    valueset = {"resourceType": "ValueSet", "id": "rifamycin-inducers", "compose": {"include": [
        {"system": ATC, "filter": [{"property": "concept", "op": "is-a", "value": "J04AB"}]},
        {"system": RXNORM, "concept": [{"code": "9384"}]},
    ]}}
    index = CodeIndex([valueset], shipped_document())
    for system, code in ((RXNORM, "198202"), (RXNORM, "1165466"), (BDPM, "67876901"), (CIP_UCD, "3400932954094"),
                         (RXNORM, "103899"), (ATC, "J04AM02")):  # ... and rifabutin (Mycobutin) by its ATC class
        assert index.contains("rifamycin-inducers", system, code), code
    assert not index.contains("rifamycin-inducers", RXNORM, "309309")  # Ciprofloxacin 500 MG Oral Tablet


def test_a_code_is_labelled_by_the_first_valueset_display_without_the_reviewers_marker() -> None:
    valueset = {"id": "labelled", "compose": {"include": [
        {"system": BDPM, "concept": [{"code": "61958462", "display": "BRILIQUE 90 mg, comprimé pelliculé"}]},
        {"system": ATC, "concept": [{"code": "B01AC24", "display": "ticagrelor (unverified)"}, {"code": "B01AC04"}]},
    ]}}
    index = CodeIndex([valueset])
    assert index.label_of([(ATC, "B01AC24"), (BDPM, "61958462")]) == "ticagrelor"
    assert index.label_of([(None, "61958462"), (BDPM, "61958462")]) == "BRILIQUE 90 mg, comprimé pelliculé"
    assert index.label_of([(ATC, "B01AC04"), (ATC, "J01MA02")]) == ""  # listed without a display; not listed


@pytest.mark.parametrize(("text", "coding", "concept", "form"), [
    ("Rifampin 300 MG Oral Capsule", None, Concept.RIFAMPICIN, DoseForm.CAPSULE),
    ("RIFADINE 300 mg, gélule", {"system": BDPM, "code": "99999999"}, Concept.RIFAMPICIN, DoseForm.CAPSULE),
    ("Rifinah 300 mg/150 mg, comprimé enrobé", None, Concept.RIFAMPICIN, DoseForm.TABLET),
    ("CIPROFLOXACINE BIOGARAN 500 mg, comprimé pelliculé sécable", None, Concept.CIPROFLOXACIN, DoseForm.TABLET),
    ("Ceftriaxone 1 g, poudre pour solution injectable", None, Concept.CEFTRIAXONE, DoseForm.INJECTION),
])
def test_a_product_known_only_by_its_text_is_recognised_by_name(
    text: str, coding: dict[str, str] | None, concept: Concept, form: DoseForm
) -> None:
    order = read_draft_order(_order(coding, text), INDEX, selected=True)
    assert concept in order.concepts and order.product.recognised_by_name and order.product.form == form
    assert order.product.strengths == ()  # a strength is read from a known product only


def test_a_text_naming_no_ingredient_is_not_recognised() -> None:
    for text in ("Paracétamol 1 g, comprimé", "Rifle", "ciprofibrate 100 mg"):
        assert read_draft_order(_order(None, text), INDEX, selected=True).concepts == frozenset(), text


def test_an_allergy_written_in_words_is_recognised_by_name() -> None:
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "code": {"text": "Allergie à la rifampicine (urticaire)"}}
    record = build_record("p1", [patient(), allergy], INDEX)
    assert record.allergies_to(Concept.RIFAMYCIN_ALLERGEN) and record.allergies[0].recognised_by_name


def test_every_product_of_the_catalogue_names_known_ingredients_with_verified_codes() -> None:
    document = shipped_document()
    assert set(document["sources"]) >= {product["source"] for product in document["products"]}
    codeless = {key for key, entry in document["ingredients"].items() if not entry["codings"]}
    assert codeless == {"pyrazinamide", "ethambutol"}  # no verified code: recognised by name only
    valuesets = {resource["id"]: resource for resource in terminology.all_resources()
                 if resource.get("resourceType") == "ValueSet"}
    assert "rifampicin" in valuesets  # the ingredient codings reach the project's ValueSets
    assert INDEX.contains("rifampicin", BDPM, "67876901")


def _sign(client: FlaskClient, order: dict[str, Any]) -> list[dict[str, Any]]:
    resources = [patient("p1", "1986-05-04", "male"), weight("p1", 78, "2026-11-10"),
                 exposure("p1", ProjectCode.IIM_CONTACT, "2026-11-20T18:00:00+01:00", "household", "B")]
    return order_sign_cards(client, resources, [order])


SANDBOX_DOSAGE = [{  # Rx Sign: 300 mg twice a day for 2 days, no intent (as the Sandbox sends it)
    "doseAndRate": [{"doseQuantity": {"value": 300, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}],
    "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d", "boundsDuration": {"value": 2, "unit": "d"}}},
    "route": {"coding": [{"code": "26643006"}]},
}]


def test_the_sandbox_rx_sign_product_code_fires_the_order_check(client: FlaskClient) -> None:
    """An adult contact: rifampicin 600 mg twice a day is owed; the Sandbox orders 'Rifampin 300 MG Oral Capsule'."""
    coding = {"system": RXNORM, "code": "198202", "display": "Rifampin 300 MG Oral Capsule"}
    order = _order(coding, "Rifampin 300 MG Oral Capsule", dosageInstruction=SANDBOX_DOSAGE)
    del order["status"]
    cards = _sign(client, order)
    assert any("600" in card["detail"] for card in cards), [c["summary"] for c in cards]
    assert all("reconnu par son nom" not in card["detail"] for card in cards)


def test_a_product_recognised_by_name_is_said_on_the_card(client: FlaskClient) -> None:
    order = _order(None, "Rifampin 300 MG Oral Capsule", dosageInstruction=SANDBOX_DOSAGE)
    cards = _sign(client, order)
    assert cards and all("« Rifampin 300 MG Oral Capsule » reconnu par son nom" in c["detail"] for c in cards)


def _dosage(value: int, unit: str) -> list[dict[str, Any]]:
    return [{**SANDBOX_DOSAGE[0], "doseAndRate": [{"doseQuantity": {"value": value, "unit": unit, "code": unit}}]}]


@pytest.mark.parametrize(("coding", "value", "unit", "mg"), [
    ({"system": RXNORM, "code": "105295"}, 2, "{capsule}", Decimal(600)),  # Rifampin 300 MG Oral Capsule
    ({"system": RXNORM, "code": "105295"}, 6, "{capsule}", Decimal(1800)),
    ({"system": BDPM, "code": "67876901"}, 2, "gélules", Decimal(600)),  # RIFADINE 300 mg, gélule
    ({"system": RXNORM, "code": "199620"}, 1, "{tbl}", Decimal(600)),  # Rifampin 600 MG Oral Tablet
    ({"system": BDPM, "code": "64085981"}, 9, "mL", Decimal(180)),  # RIFADINE 2 POUR CENT: 100 mg per 5 mL
    ({"system": BDPM, "code": "64728922"}, 5, "ml", Decimal(500)),  # CIFLOX 500 mg/5 ml
])
def test_a_dose_in_capsules_tablets_or_ml_of_a_known_strength_is_read_in_mg(
    coding: dict[str, str], value: int, unit: str, mg: Decimal
) -> None:
    order = read_draft_order(_order(coding, dosageInstruction=_dosage(value, unit)), INDEX, selected=True)
    assert (order.dose_mg, order.dose_unit) == (mg, None)


@pytest.mark.parametrize(("coding", "unit"), [
    ({"system": RXNORM, "code": "105295"}, "{tablet}"),  # a capsule product ordered in tablets: which is it?
    ({"system": BDPM, "code": "64085981"}, "{capsule}"),  # a suspension ordered in capsules
    ({"system": BDPM, "code": "67876901"}, "mL"),  # capsules ordered in mL
    ({"system": RXNORM, "code": "198203"}, "{capsule}"),  # isoniazid and rifampicin: the dose of which?
    ({"system": RXNORM, "code": "1165466"}, "{capsule}"),  # Rifampin Pill: no strength
    (None, "{capsule}"),  # recognised by name: no strength
])
def test_a_dose_in_units_is_not_read_in_mg_without_one_strength_of_the_same_form(
    coding: dict[str, str] | None, unit: str
) -> None:
    order = _order(coding, "Rifampin 300 MG Oral Capsule" if coding is None else None, dosageInstruction=_dosage(2, unit))
    read = read_draft_order(order, INDEX, selected=True)
    assert (read.dose_mg, read.dose_unit) == (None, unit)


def test_the_right_regimen_in_capsules_gets_no_card_and_an_overdose_is_named(client: FlaskClient) -> None:
    coding = {"system": RXNORM, "code": "105295", "display": "Rifampin 300 MG Oral Capsule [Rimactane]"}
    assert _sign(client, _order(coding, dosageInstruction=_dosage(2, "{capsule}"))) == []
    cards = _sign(client, _order(coding, dosageInstruction=_dosage(6, "{capsule}")))
    assert len(cards) == 1 and "Dose commandée 1800 mg, dose attendue 600 mg" in cards[0]["detail"]
    assert cards[0]["summary"] == "Commande de rifampicine au-dessus de la dose maximale par prise : surdosage"
    assert "Surdosage : dose au-dessus du maximum de 600 mg par prise." in cards[0]["detail"]
    assert "non vérifiable en mg" not in cards[0]["detail"]
