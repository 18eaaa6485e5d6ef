"""Words a clinician reads, in both rule sets' catalogs (issue 14 §6): no empty label, singular and plural.

Every message of both catalogs is rendered with every label missing: the catalog's phrase for a missing label
stands in (``label.missing.<name>``, else ``label.missing``), never an empty pair of brackets or quotes.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from prevention_cds.fhir_out.i18n import LANGUAGES, catalog, placeholders, render
from prevention_cds.rules.advice import Message

EMPTY = re.compile(r"\(\s*\)|«\s*»|\"\s*\"|\s{2,}|\s[,.](?!\d)|^\s|\s$")


def _keys(language: str) -> list[str]:
    return sorted(k for k in catalog(language) if placeholders(catalog(language)[k]))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_renders_without_an_empty_label(language: str) -> None:
    bad = []
    for key in _keys(language):
        message = Message(key, {name: "" for name in placeholders(catalog(language)[key])})
        text = render(message, language)
        if EMPTY.search(text.replace("\u00a0", " ")) or "{" in text:
            bad.append((key, text))
    assert bad == []


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [("fr", 1, "1 jour"), ("fr", 0, "0 jour"), ("fr", 2, "2 jours"), ("en", 1, "1 day"), ("en", 0, "0 days"),
     ("en", 3, "3 days")],
)
def test_a_count_agrees_with_its_noun(language: str, days: int, expected: str) -> None:
    text = render(Message.of("iim.summary.window-closed", days=days), language)
    assert expected in text


@pytest.mark.parametrize(("count", "fr", "en"), [(1, "1 dose du dossier ne compte pas", "1 dose on record does not"),
                                                  (2, "2 doses du dossier ne comptent pas", "2 doses on record do not")])
def test_one_dose_does_not_count(count: int, fr: str, en: str) -> None:
    assert fr in render(Message.of("mmr.explain.rejected-doses", count=count), "fr")
    assert en in render(Message.of("mmr.explain.rejected-doses", count=count), "en")


def test_a_decimal_count_is_plural_from_two_in_french() -> None:
    assert "1,5 jour" in render(Message.of("iim.summary.window-closed", days=Decimal("1.5")), "fr")


def test_a_missing_label_gets_the_phrase_for_its_name() -> None:
    fr = render(Message.of("iim.ci.porphyria", condition=""), "fr")
    assert fr == "porphyrie (affection sans libellé)"
    assert "vaccin sans libellé" not in fr
