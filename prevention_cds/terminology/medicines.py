"""Medicinal products as EHRs code them, and the ingredients they contain.

EHRs code a medicine as a product: an RxNorm clinical or branded drug ("Rifampin 300 MG Oral Capsule", 198202),
a French CIS or CIP13 code, an ATC combination. The project's ValueSets list ingredients. ``medicinal-products.json``
says which ingredients each product it knows contains, with their strength and the product's dose form; the
``CodeIndex`` then matches a product code against the ValueSets of its ingredients. A product known by no code the
service knows may still name its ingredient in its text ("RIFADINE 300 mg, gélule"): ``ingredients_named`` finds
the ingredients (international non-proprietary names in French and English, brand names, and the names of the
vaccines and allergens the rules read, of one word or several) the text names.
Only verified codes are listed (docs/terminology.md says which were not).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

CATALOGUE_FILE = "medicinal-products.json"
WORD = re.compile(r"[a-z0-9]+")
MEMO_LIMIT = 65_536

Normalise = Callable[[str, str], "tuple[str, str] | None"]


class CatalogueFormatError(ValueError):
    """The shipped catalogue is not of the form this module reads."""


@dataclass(frozen=True)
class Ingredient:
    """An active ingredient: its id (the English INN), the names a text may give it, its codings."""

    id: str
    names: tuple[str, ...]
    codings: tuple[tuple[str, str], ...]  # (system, code)


@dataclass(frozen=True)
class IngredientAmount:
    ingredient: Ingredient
    mg: Decimal | None = None  # per unit (capsule, tablet), or per ``per_ml`` mL
    per_ml: Decimal | None = None


@dataclass(frozen=True)
class MedicinalProduct:
    system: str
    code: str
    display: str
    form: str | None  # a DoseForm value of the rules (``capsule``, ``tablet``, ``oral-solid``...)
    ingredients: tuple[IngredientAmount, ...]


def words(text: str) -> list[str]:
    """The words of a text, lower case and without accents ("Gélule" -> "gelule")."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


class MedicineCatalogue:
    def __init__(self, document: Mapping[str, Any], normalise: Normalise) -> None:
        """``normalise(system, code) -> (canonical system, code)`` is the CodeIndex's, so that products are keyed
        as the index compares codes."""
        try:
            self.ingredients = {
                key: Ingredient(
                    key,
                    tuple(entry["names"]),
                    tuple((coding["system"], coding["code"]) for coding in entry["codings"]),
                )
                for key, entry in document["ingredients"].items()
            }
            # a name by its first word: a name of several words ("rougeole-oreillons-rubéole") is matched on the
            # text's consecutive words, never on a word inside another
            self._names: dict[str, list[tuple[tuple[str, ...], tuple[Ingredient, ...]]]] = {}
            for ingredient in self.ingredients.values():
                for name in ingredient.names:
                    self._add_name(name, (ingredient,))
            for brand, contents in document["brands"].items():
                self._add_name(brand, tuple(self.ingredients[key] for key in contents))
            self._form_words = {word: form for form, listed in document["form_words"].items() for word in listed}
            self._products: dict[tuple[str, str] | None, MedicinalProduct] = {}
            for entry in document["products"]:
                product = MedicinalProduct(
                    system=entry["system"],
                    code=entry["code"],
                    display=entry["display"],
                    form=entry.get("form"),
                    ingredients=tuple(
                        IngredientAmount(
                            self.ingredients[item["ingredient"]],
                            Decimal(item["mg"]) if "mg" in item else None,
                            Decimal(item["per_ml"]) if "per_ml" in item else None,
                        )
                        for item in entry["ingredients"]
                    ),
                )
                key = normalise(product.system, product.code)
                if key is None or key in self._products:
                    raise CatalogueFormatError(f"product {product.system}|{product.code} is listed twice")
                self._products[key] = product
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise CatalogueFormatError(f"{CATALOGUE_FILE}: {exc!r}") from exc
        self._normalise = normalise
        self._named: dict[str, tuple[Ingredient, ...]] = {}

    def _add_name(self, name: str, ingredients: tuple[Ingredient, ...]) -> None:
        found = tuple(words(name))
        if not found:
            raise CatalogueFormatError(f"{CATALOGUE_FILE}: a name has a word ({name!r})")
        named = self._names.setdefault(found[0], [])
        if any(phrase == found for phrase, _ in named):
            raise CatalogueFormatError(f"{CATALOGUE_FILE}: {name!r} is listed twice")
        named.append((found, ingredients))

    @property
    def products(self) -> tuple[MedicinalProduct, ...]:
        return tuple(self._products.values())

    def product(self, system: str | None, code: str | None) -> MedicinalProduct | None:
        if system is None or code is None:
            return None
        return self._products.get(self._normalise(system, code))

    def ingredients_named(self, text: str) -> tuple[Ingredient, ...]:
        """The ingredients a text names (by INN or brand), each once, in the order of the text (the same texts come
        back for every patient: they are remembered, up to a bound)."""
        known = self._named.get(text)
        if known is not None:
            return known
        found: dict[str, Ingredient] = {}
        text_words = words(text)
        for at, word in enumerate(text_words):
            for phrase, ingredients in self._names.get(word, ()):
                if tuple(text_words[at:at + len(phrase)]) == phrase:
                    for ingredient in ingredients:
                        found.setdefault(ingredient.id, ingredient)
        if len(self._named) >= MEMO_LIMIT:
            self._named.clear()
        self._named[text] = tuple(found.values())
        return self._named[text]

    def form_named(self, text: str) -> str | None:
        """The dose form a text names ("gélule", "Oral Tablet"), when it names one form only."""
        forms = {form for word in words(text) if (form := self._form_words.get(word)) is not None}
        return forms.pop() if len(forms) == 1 else None


@cache
def shipped_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("prevention_cds.terminology").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    )
    return document
