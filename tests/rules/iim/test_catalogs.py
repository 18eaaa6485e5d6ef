"""The message catalogs (prevention_cds/fhir_out/messages/{fr,en}/iim.json) cover every key the rules emit.

Every Advice produced by the other tests of this package goes through ``assert_renders`` (builders.py):
each Message key, nested ones included, must exist in both catalogs with every placeholder filled from its
params, summaries must stay under 140 characters, details must carry no HTML. This module adds the static
checks: both catalogs agree, and every key chosen from the rule data exists (every literal key of the rule
code is checked by ``tests/rules/test_message_keys.py``).
"""

import pytest

from prevention_cds.fhir_out.i18n import catalog, placeholders
from prevention_cds.rules.advice import Message
from prevention_cds.rules.iim.contact_setting import ContactSetting
from prevention_cds.rules.iim.contact_vaccination import vaccine_label
from prevention_cds.rules.iim.order_checks import route_label
from prevention_cds.rules.iim.parameters import IimParameters
from prevention_cds.rules.iim.regimens import Drug, values_of

from .builders import TODAY


def test_french_and_english_catalogs_have_the_same_keys_andplaceholders() -> None:
    french, english = catalog("fr"), catalog("en")
    assert set(french) == set(english)
    for key, template in french.items():  # all catalogs merged: the same check serves every rule set
        assert placeholders(template) == placeholders(english[key]), key


def test_the_settings_table_covers_every_contact_setting() -> None:
    assert set(IimParameters.on(TODAY).contact_settings.value) == set(ContactSetting)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_keys_chosen_from_the_rule_data_exist(language: str) -> None:
    messages = catalog(language)
    rules = IimParameters.on(TODAY)
    labels: list[Message] = [setting.label for setting in ContactSetting]
    labels += [route_label(frozenset(values_of(drug, rules).routes.value)) for drug in Drug]
    labels.append(vaccine_label(rules.contact_vaccine.value))
    assert [m.key for m in labels if m.key not in messages] == []
