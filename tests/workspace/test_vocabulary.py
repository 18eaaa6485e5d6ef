"""The workspace's words and their codes: every code is one the rules read, in the ValueSet the vocabulary names;
names are compared without case or accents, with or without a strength, never as a word inside a longer one."""

from __future__ import annotations

import pytest

from prevention_cds.terminology.index import CodeIndex
from prevention_cds.workspace import vocabulary


def _entries() -> list[tuple[str, dict[str, object]]]:
    document = vocabulary.vocabulary()
    listed = [(kind, entry) for kind in ("allergies", "treatments") for entry in document[kind]]
    listed += [("conditions", entry) for name, entry in document["conditions"].items() if not name.startswith("$")]
    return listed


@pytest.mark.parametrize(("kind", "entry"), _entries(), ids=lambda v: v if isinstance(v, str) else str(v["label"]))
def test_every_code_is_in_the_valueset_it_names(kind: str, entry: dict[str, object]) -> None:
    coding = entry["coding"]
    assert isinstance(coding, dict)
    valueset = entry["valueset"]
    if valueset is None:  # a family the rules do not read yet (immunosuppressive treatments): an ATC group
        assert coding["system"] == vocabulary.ATC_SYSTEM and vocabulary.ATC_CODE.match(coding["code"]), entry
        return
    assert CodeIndex.load().contains(str(valueset), coding["system"], coding["code"]), (kind, entry)


def test_no_word_belongs_to_two_entries() -> None:
    for kind in ("allergies", "treatments"):
        words = [vocabulary.fold(w) for e in vocabulary.vocabulary()[kind] for w in e["words"]]
        assert len(words) == len(set(words)), kind


@pytest.mark.parametrize(("written", "code"), [
    ("warfarine", "B01AA03"), ("Coumadine", "B01AA03"), ("PRÉVISCAN", "B01AA12"), ("fluindione", "B01AA12"),
    ("Sintrom", "B01AA07"), ("Minisintrom", "B01AA07"), ("Xarelto 20 mg", "B01AF01"), ("méthadone", "N07BC02"),
    ("Subutex 8mg", "N07BC01"), ("Néoral", "L04AD01"), ("tacrolimus", "L04AD02"), ("Tahor", "C10AA05"),
    ("éfavirenz", "J05AG03"), ("Triflucan", "J02AC01"), ("théophylline", "R03DA04"), ("Méthotrexate", "L04AX03"),
    ("Cortancyl 20 mg le matin", "H02AB07"), ("corticoïdes", "H02AB"), ("Chimiothérapie", "L01"),
    ("immunosuppresseur", "L04"), ("pilule", "G03A"), ("B01AA03", "B01AA03"),
])
def test_french_names_and_brands_become_their_codes(written: str, code: str) -> None:
    term = vocabulary.treatment_term(written)
    assert term.coding is not None and term.coding["code"] == code, written


@pytest.mark.parametrize("written", [
    "antiwarfarine", "warfarinemie", "préviscanne", "pas de chimio", "chimiothérapie terminée en 2019",
    "hydrocortisone crème", "5 mg", "",
])
def test_no_match_inside_a_longer_word_or_phrase(written: str) -> None:
    assert not vocabulary.treatment_term(written).recognised, written


def test_yes_no_answers() -> None:
    assert [vocabulary.answer_of(t) for t in ("Oui", "NON", "", "?", "ne sait pas", "peut-être")] == [
        "yes", "no", "unknown", "unknown", "unknown", None]
