"""The rifampicin contraception advice follows the child-bearing age shared with the MMR rules (common.json).

Built through the rule modules, not ``IimRules``: the golden comparison records what ``IimRules`` answers in the
suites it was recorded on, and these are new cases.
"""

from __future__ import annotations

import pytest

from prevention_cds.rules.facts import Sex
from prevention_cds.rules.iim.contact_prophylaxis import contact_advice
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.ruleset import RuleSettings

from .builders import NOW, assert_renders, born_years_ago, keys, only, record

ADVICE = "iim.precaution.rifampicin.contraception"


@pytest.mark.parametrize(("years", "shown"), [(10, False), (11, True), (54, True), (55, False)])
def test_contraception_advice_by_age(years: int, shown: bool) -> None:
    rec = record(born_years_ago(years), kg="40", sex=Sex.FEMALE)
    advice = assert_renders(contact_advice(PatientProfile.of(rec, NOW), RuleSettings()))
    card = only(advice, "iim.prophylaxis.rifampicin")
    assert (ADVICE in keys(card.explanation)) is shown
