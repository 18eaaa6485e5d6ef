"""Every message emitted in the MMR tests exists in both catalogs with its placeholders satisfied; summaries fit;
the rule data loads with sources (no number in the rule code: tests/rules/test_rule_data.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources

import pytest

from advice_messages import all_messages, forecast_messages, render_strict
from cds_checks import assert_valid_response
from prevention_cds.fhir_out.fhir_resources import ResourceContext
from prevention_cds.fhir_out.i18n import placeholders, render
from prevention_cds.fhir_out.render import RenderContext, advice_to_card
from prevention_cds.rules.advice import Advice, Message
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.ruledata import RuleData, guideline_sources

from .records import Scenario
from .suite import forecast_of, patient_view_scenarios, rule_suite_scenarios

LANGUAGES = ("fr", "en")
SUMMARY_LIMIT = 140  # CDS Hooks: shorter than 140 characters
SUMMARY_TARGET = 110  # the project's aim with realistic parameters

# reachable only with other rule data (subcutaneous route), or a defensive wording (too young, age unknown:
# without a birth date no age check runs)
NOT_EMITTED_BY_THE_SCENARIOS = frozenset({"mmr.route.subcutaneous", "mmr.reject.too-young-unknown-age"})


def _scenarios() -> tuple[Scenario, ...]:
    return rule_suite_scenarios()


@cache
def _advices() -> tuple[Advice, ...]:
    return tuple(advice for scenario in _scenarios() for advice in scenario.run())


@cache
def _catalog(language: str) -> dict[str, str]:
    text = (
        resources.files("prevention_cds.fhir_out")
        .joinpath("messages", language, "mmr.json")
        .read_text(encoding="utf-8")
    )
    catalog: dict[str, str] = json.loads(text)
    return catalog


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_scenario_renders_as_valid_cards_and_profiled_resources(language: str) -> None:
    for scenario in _scenarios():
        intent = "proposal" if scenario.orders is None else "order"
        drafts = (
            frozenset(o.reference for o in scenario.orders.orders if o.reference) if scenario.orders else frozenset()
        )
        ctx = RenderContext(ResourceContext("p1", scenario.now, language, intent), drafts)
        cards = [advice_to_card(advice, ctx) for advice in scenario.run()]
        assert_valid_response({"cards": cards}, drafts)


def test_the_scenarios_are_many() -> None:
    assert len(_scenarios()) >= 40
    assert len(_advices()) >= 40


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    fr, en = _catalog("fr"), _catalog("en")
    assert set(fr) == set(en)
    assert all(key.startswith("mmr.") for key in fr)
    for key in fr:
        assert placeholders(fr[key]) == placeholders(en[key]), key


@cache
def _forecast_messages() -> tuple[Message, ...]:
    """Every message of the scenarios' forecasts (``$immds-forecast``), nested ones included."""
    return tuple(m for scenario in patient_view_scenarios() for m in forecast_messages(forecast_of(scenario)))


def _emitted() -> Iterator[Message]:
    for advice in _advices():
        yield from all_messages(advice)
    yield from _forecast_messages()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_emitted_message_exists_and_its_placeholders_are_filled(language: str) -> None:
    catalog = _catalog(language)
    for advice in _advices():
        for message in all_messages(advice):
            assert message.key in catalog, f"{message.key} missing from {language}/mmr.json"
            missing = placeholders(catalog[message.key]) - set(message.params)
            assert not missing, f"{message.key}: no value for {missing}"
    for message in _forecast_messages():  # a forecast also names the record's values (record.json)
        assert render_strict(message, language)


def test_every_catalog_key_is_emitted_by_some_scenario() -> None:
    emitted = {m.key for m in _emitted()}
    unused = set(_catalog("fr")) - emitted - NOT_EMITTED_BY_THE_SCENARIOS
    assert not unused


@pytest.mark.parametrize("language", LANGUAGES)
def test_summaries_fit(language: str) -> None:
    for advice in _advices():
        text = render(advice.summary, language)
        assert advice.summary.key in _catalog(language)
        assert len(text) < SUMMARY_LIMIT, text
        assert len(text) <= SUMMARY_TARGET, f"{len(text)}: {text}"
        assert "\n" not in text and "**" not in text  # one plain line


def test_every_card_cites_a_known_guideline_and_lists_the_rule_applied() -> None:
    sources = guideline_sources()
    citable = RuleData.load("mmr").references() | RuleData.load("common").references()
    for advice in _advices():
        assert advice.guideline, advice.rule
        assert all(ref.document in sources and ref.section for ref in advice.guideline)
        assert set(advice.guideline) <= citable, advice.rule  # everything a card cites comes from the rule data
        assert len(set(advice.guideline)) == len(advice.guideline), advice.rule
        assert any(f.key == "mmr.fact.rule" for f in advice.facts), advice.rule
        assert advice.explanation, advice.rule


def test_rule_data_loads_and_every_value_cites_a_source() -> None:
    data = RuleData.load("mmr")
    sources = guideline_sources()
    for name in data.names():
        for version in data.versions(name):
            assert version.ref.document in sources and version.ref.section
    on = date(2025, 1, 1)
    assert MmrParameters.on(on).min_age_months.value == data.get("min_age_months", on).value


def test_message_params_are_typed_values() -> None:
    for advice in _advices():
        for message in all_messages(advice):
            assert isinstance(message, Message)
            for value in message.params.values():
                assert not isinstance(value, float | list | dict)
