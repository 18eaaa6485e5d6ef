"""The message catalogs (prevention_cds/fhir_out/messages/{fr,en}/iim.json) cover every key the rules emit.

Every Advice produced by the other tests of this package goes through ``assert_renders`` (builders.py):
each Message key, nested ones included, must exist in both catalogs with every placeholder filled from its
params, summaries must stay under 140 characters, details must carry no HTML. This module adds the static
checks: both catalogs agree, and every key the code names exists.
"""

import re

import pytest

from prevention_cds.fhir_out.i18n import catalog, placeholders
from prevention_cds.rules.iim.data import iim_data
from prevention_cds.rules.iim.regimens import Drug

from .builders import ROOT, TODAY

SOURCE = ROOT / "prevention_cds" / "rules" / "iim"
def test_french_and_english_catalogs_have_the_same_keys_andplaceholders() -> None:
    french, english = catalog("fr"), catalog("en")
    assert set(french) == set(english)
    for key, template in french.items():  # all catalogs merged: the same check serves every rule set
        assert placeholders(template) == placeholders(english[key]), key


def _literal_strings(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in SOURCE.glob("*.py"):
        found |= set(re.findall(pattern, path.read_text("utf-8")))
    return found


def test_every_literal_key_in_the_code_is_in_the_catalogs() -> None:
    literals = _literal_strings(r'(?<![{f])"(iim\.[a-z0-9.\-]+)"')  # not the f-string prefixes
    rule_ids = _literal_strings(r'(?:advice\(\s*|rule = )"(iim\.[a-z0-9.\-]+)"')
    keys = literals - rule_ids
    assert len(keys) > 100 and len(rule_ids) > 10  # the scan found them
    assert {k for k in keys if k not in catalog("fr")} == set()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_computed_keys_exist(language: str) -> None:
    messages = catalog(language)
    for code in iim_data().get("contact_settings", TODAY).value:
        assert f"iim.setting.{code}" in messages
    for drug in Drug:
        assert f"iim.drug.{drug.value}" in messages
    for drug in (Drug.RIFAMPICIN, Drug.CIPROFLOXACIN):
        assert f"iim.instruction.{drug.value}.suspension" in messages
        assert f"iim.instruction.{drug.value}.suspension.capped" in messages
    for purpose in ("contact", "index-case"):
        assert f"iim.purpose.{purpose}" in messages
        assert f"iim.summary.{purpose}.rifampicin" in messages
        assert f"iim.summary.{purpose}.second-line" in messages
    vaccine = iim_data().get("contact_vaccine", TODAY).value
    assert f"iim.instruction.vaccine.{vaccine}" in messages and f"iim.vaccine.{vaccine}" in messages
