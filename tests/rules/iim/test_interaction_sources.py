"""Every interaction list has a source: no code of an interacting-medicine ValueSet without the rule-data entry
that says where the interaction comes from (document, section, date), and every code says whether it was verified.
"""

from __future__ import annotations

from datetime import date

import pytest

from prevention_cds import terminology
from prevention_cds.rules.concepts import INTERACTING_MEDICINES, Concept
from prevention_cds.rules.ruledata import RuleData, guideline_sources

DATA = RuleData.load("iim")
ENTRIES = [name for name in DATA.names() if name.startswith("interaction_")]
UNVERIFIED = "(unverified)"


def _valueset(entry: str) -> str:
    (version,) = DATA.versions(entry)
    medicines: str = version.value["medicines"]
    return medicines


def _codes(valueset_id: str) -> list[tuple[str, str, str]]:
    """(system, code or is-a class, display) of every include of the ValueSet."""
    found = []
    for include in terminology.load("ValueSet", valueset_id)["compose"]["include"]:
        for concept in include.get("concept", ()):
            found.append((include["system"], concept["code"], concept.get("display", "")))
        for rule in include.get("filter", ()):
            found.append((include["system"], rule["value"], f"is-a {rule['value']}"))
    return found


def test_there_are_interaction_lists_for_both_antibiotics() -> None:
    drugs = {DATA.versions(e)[0].value["drug"] for e in ENTRIES}
    assert drugs == {"rifampicin", "ciprofloxacin", "ceftriaxone"}


@pytest.mark.parametrize("entry", ENTRIES)
def test_each_interaction_entry_has_a_source_a_section_and_a_date(entry: str) -> None:
    for version in DATA.versions(entry):
        assert version.ref.document in guideline_sources()
        assert version.ref.section and len(version.ref.row) > 20  # the document's section, the interaction read
        assert date(2000, 1, 1) <= version.effective <= date.today()
        assert Concept(version.value["medicines"]) in INTERACTING_MEDICINES


def test_every_interacting_valueset_is_named_once_for_each_antibiotic_it_concerns() -> None:
    """A list may serve several antibiotics (the vitamin K antagonists), each entry naming it once per antibiotic."""
    named = [(DATA.versions(e)[0].value["drug"], _valueset(e)) for e in ENTRIES]
    assert len(named) == len(set(named))
    assert {valueset for _, valueset in named} == {c.value for c in INTERACTING_MEDICINES}


@pytest.mark.parametrize("valueset_id", sorted(c.value for c in INTERACTING_MEDICINES))
def test_every_code_of_an_interaction_list_has_a_source_and_says_whether_it_was_verified(valueset_id: str) -> None:
    entry = next(e for e in ENTRIES if _valueset(e) == valueset_id)  # the code's source: an entry naming the list
    assert DATA.versions(entry)
    codes = _codes(valueset_id)
    assert codes, valueset_id
    description = terminology.load("ValueSet", valueset_id)["description"]
    for _system, code, display in codes:
        assert code.strip() and display.strip(), (valueset_id, code)
        if UNVERIFIED in display:
            assert UNVERIFIED in description or "unverified" in description, valueset_id
    # The description says how the codes were checked, so that a reader knows what "verified" means here.
    assert "unverified" in description or "checked" in description or "verified" in description.lower(), valueset_id


def test_the_interaction_lists_and_their_verification_are_counted() -> None:
    """A reminder for the clinical sign-off: how many codes are still unverified (docs/clinical-decisions.md). Every
    ATC code of the lists was checked against the WHO index (7 December 2026); a code added unchecked is marked."""
    codes = [c for vs in sorted(c.value for c in INTERACTING_MEDICINES) for c in _codes(vs)]
    unverified = [c for c in codes if UNVERIFIED in c[2]]
    assert len(codes) > 100
    assert [c for c in unverified if c[0] == "http://www.whocc.no/atc"] == []
    assert len(unverified) < len(codes)
