"""Reading the medicine a CodeableConcept names: the rule concepts of its ingredients, and the product's form and
strengths.

A product code the service knows (``terminology/medicinal-products.json``: RxNorm clinical and branded drugs and
their groupings, French CIS and CIP13 codes, ATC combinations) gives its ingredients, strengths and form; an
ingredient code (ATC, RxNorm ingredient, SNOMED CT substance) gives the ingredient. When no coding names anything
the rules know, the text and the displays are read for an ingredient's name or a brand ("Rifampin 300 MG Oral
Capsule", "RIFADINE 300 mg, gélule"): the medicine is then *recognised by name*, and the card says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prevention_cds.fhir_in.codes import CONCEPT_OF_VALUESET, codings, concepts_of
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import UNKNOWN_PRODUCT, DoseForm, Product, Strength
from prevention_cds.terminology.index import CodeIndex
from prevention_cds.terminology.medicines import Ingredient, MedicinalProduct

FORMS = {form.value: form for form in DoseForm}
ALL_CONCEPTS = frozenset(Concept)  # an ingredient's strength names every concept of the ingredient


@dataclass(frozen=True)
class NamedMedicine:
    concepts: frozenset[Concept]
    product: Product = UNKNOWN_PRODUCT


NOTHING = NamedMedicine(frozenset())


def texts_of(concept: Any) -> list[str]:
    """The text of a raw CodeableConcept and the displays of its codings."""
    if not isinstance(concept, dict):
        return []
    found = [concept["text"]] if isinstance(concept.get("text"), str) else []
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            found.append(coding["display"])
    return found


def ingredient_concepts(ingredient: Ingredient, index: CodeIndex, allowed: frozenset[Concept]) -> frozenset[Concept]:
    found: set[Concept] = set()
    for system, code in ingredient.codings:
        for valueset in index.valuesets_for(system, code):
            concept = CONCEPT_OF_VALUESET.get(valueset)
            if concept is not None and concept in allowed:
                found.add(concept)
    return frozenset(found)


def concepts_by_name(texts: list[str], index: CodeIndex, allowed: frozenset[Concept]) -> frozenset[Concept]:
    """The concepts of ``allowed`` of the ingredients the texts name."""
    if index.medicines is None:
        return frozenset()
    found: set[Concept] = set()
    for text in texts:
        for ingredient in index.medicines.ingredients_named(text):
            found |= ingredient_concepts(ingredient, index, allowed)
    return frozenset(found)


def medicine_of(concept: Any, index: CodeIndex, allowed: frozenset[Concept]) -> NamedMedicine:
    """What a medicationCodeableConcept (or a contained Medication's code) names, as far as ``allowed`` goes."""
    concepts = concepts_of(concept, index, allowed)
    known = _known_product(concept, index)
    if concepts:
        if known is not None:
            return NamedMedicine(concepts, _product(known, index))
        return NamedMedicine(concepts, _form_only(texts_of(concept), index))
    texts = texts_of(concept)
    by_name = concepts_by_name(texts, index, allowed)
    if not by_name:
        return NOTHING
    form = _form_only(texts, index).form
    return NamedMedicine(by_name, Product(form=form, recognised_by_name=True))


def _known_product(concept: Any, index: CodeIndex) -> MedicinalProduct | None:
    if index.medicines is None:
        return None
    for system, code in codings(concept):
        product = index.medicines.product(system, code)
        if product is not None:
            return product
    return None


def _product(known: MedicinalProduct, index: CodeIndex) -> Product:
    strengths = tuple(
        Strength(amount.ingredient.id, ingredient_concepts(amount.ingredient, index, ALL_CONCEPTS), amount.mg,
                 amount.per_ml)
        for amount in known.ingredients
        if amount.mg is not None
    )
    return Product(form=FORMS.get(known.form) if known.form else None, strengths=strengths)


def _form_only(texts: list[str], index: CodeIndex) -> Product:
    """A product known by no code: its form when its text names one ("gélule", "Oral Capsule")."""
    if index.medicines is None:
        return UNKNOWN_PRODUCT
    forms = {form for text in texts if (form := index.medicines.form_named(text)) is not None}
    return Product(form=FORMS[forms.pop()]) if len(forms) == 1 else UNKNOWN_PRODUCT
