"""MMR and MMRV vaccines and the MMR allergens written in words only: a draft order "PRIORIX" or "Vaccin ROR", an
allergy "néomycine" or "Allergie au vaccin ROR", are recognised by name (and the card says so), as their codes
are; a word inside another word is not a name."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fhir_factory import SNOMED, condition, patient
from prevention_cds.fhir_in.allergy import ALLERGEN_CONCEPTS
from prevention_cds.fhir_in.medication import MEDICINE_CONCEPTS
from prevention_cds.fhir_in.products import concepts_by_name
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import Concept
from prevention_cds.terminology.index import CodeIndex
from support.order_sign import order_sign_cards

INDEX = CodeIndex.load()
MMR_TEXTS = ["PRIORIX", "Priorix, poudre et solvant pour solution injectable", "M-M-RVAXPRO",
             "M-M-RVaxPro poudre et solvant", "Vaccin ROR", "vaccin rougeole-oreillons-rubéole",
             "Vaccin rougeoleux, des oreillons et rubéoleux vivant", "measles, mumps and rubella vaccine", "MMR",
             "ProQuad", "PRIORIXTETRA", "Priorix-Tetra", "ROR-varicelle", "M-M-R II"]


@pytest.mark.parametrize("text", MMR_TEXTS)
def test_an_mmr_vaccine_is_recognised_by_its_name(text: str) -> None:
    assert concepts_by_name([text], INDEX, MEDICINE_CONCEPTS) == {Concept.MMR_VACCINE}


@pytest.mark.parametrize(("text", "allergen"), [
    ("néomycine", Concept.NEOMYCIN_ALLERGEN), ("NEOMYCINE", Concept.NEOMYCIN_ALLERGEN),
    ("Allergy to neomycin", Concept.NEOMYCIN_ALLERGEN), ("gélatine", Concept.GELATIN_ALLERGEN),
    ("Allergie à la gélatine", Concept.GELATIN_ALLERGEN), ("gelatin", Concept.GELATIN_ALLERGEN),
    ("Allergie au vaccin ROR", Concept.MMR_VACCINE_ALLERGEN), ("anaphylaxie après ROR", Concept.MMR_VACCINE_ALLERGEN),
    ("Anaphylaxis after MMR vaccine", Concept.MMR_VACCINE_ALLERGEN), ("Allergie au PRIORIX", Concept.MMR_VACCINE_ALLERGEN),
])
def test_an_mmr_allergen_is_recognised_by_its_name(text: str, allergen: Concept) -> None:
    assert concepts_by_name([text], INDEX, ALLERGEN_CONCEPTS) == {allergen}


@pytest.mark.parametrize("text", [
    "erreur de saisie", "Rorschach", "vaccin rougeole", "rubéole", "oreillons", "gélatineux", "néomycines-like",
    "framycétine", "Priorixx", "mmrx", "vaccin rougeole rubéole",
])
def test_a_word_inside_another_or_a_part_of_a_name_is_not_a_name(text: str) -> None:
    assert concepts_by_name([text], INDEX, MEDICINE_CONCEPTS | ALLERGEN_CONCEPTS) == frozenset(), text


def _allergy(text: str) -> dict[str, Any]:
    return {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                           "code": "active"}]},
            "code": {"text": text}, "criticality": "high"}


def test_a_text_only_allergy_is_read_and_recognised_by_name() -> None:
    record = build_record("p1", [patient(), _allergy("néomycine")], INDEX)
    assert record.allergies_to(Concept.NEOMYCIN_ALLERGEN) and record.allergies[0].recognised_by_name


def _sign(client: FlaskClient, resources: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    draft = {"resourceType": "MedicationRequest", "id": "o1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": text}}
    return order_sign_cards(client, resources, [draft])


@pytest.mark.parametrize("text", ["PRIORIX", "M-M-RVaxPro poudre et solvant", "Vaccin ROR", "ProQuad", "PRIORIXTETRA"])
def test_a_pregnant_womans_mmr_draft_written_in_words_gets_the_critical_card(client: FlaskClient, text: str) -> None:
    pregnant = [patient("p1", "1995-01-01", "female"), condition("p1", SNOMED, "77386006")]
    cards = _sign(client, pregnant, text)
    assert [c["indicator"] for c in cards] == ["critical"], text
    assert "reconnu par son nom" in cards[0]["detail"]


@pytest.mark.parametrize("text", ["néomycine", "Allergie au vaccin ROR", "anaphylaxie après ROR"])
def test_an_mmr_draft_with_a_text_only_anaphylactic_allergy_gets_the_critical_card(
    client: FlaskClient, text: str
) -> None:
    cards = _sign(client, [patient("p1", "1995-01-01", "male"), _allergy(text)], "M-M-RVAXPRO")
    assert [c["indicator"] for c in cards] == ["critical"], text
