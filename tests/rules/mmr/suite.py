"""The MMR rule-suite scenarios, gathered from every test module of ``tests/rules/mmr`` (their ``CASES`` and
``SCENARIOS``): the catalog checks and the forecast's agreement with the cards run on all of them."""

from __future__ import annotations

from functools import cache

from prevention_cds.rules.advice import VaccinationForecast
from prevention_cds.rules.mmr.forecast import mmr_forecast

from . import (
    forecast_records,
    test_mmr_contraindications,
    test_mmr_cost,
    test_mmr_dispensing,
    test_mmr_dose_evaluation,
    test_mmr_doses_owed,
    test_mmr_examples,
    test_mmr_immunocompromised,
    test_mmr_measles_case,
    test_mmr_orders,
    test_mmr_post_exposure,
    test_mmr_schedule,
    test_mmr_unreadable,
    test_mmr_yellow_fever,
)
from .records import Scenario

MODULES = (
    test_mmr_examples,
    test_mmr_dose_evaluation,
    test_mmr_doses_owed,
    test_mmr_schedule,
    test_mmr_post_exposure,
    test_mmr_contraindications,
    test_mmr_cost,
    test_mmr_orders,
    test_mmr_measles_case,
    test_mmr_dispensing,
    test_mmr_yellow_fever,
    test_mmr_unreadable,
    test_mmr_immunocompromised,
)


@cache
def rule_suite_scenarios() -> tuple[Scenario, ...]:
    found: list[Scenario] = []
    for module in MODULES:
        for case in module.CASES:
            found.append(case if isinstance(case, Scenario) else case.scenario)
        found.extend(getattr(module, "SCENARIOS", ()))
    return (*found, *forecast_records.SCENARIOS)


@cache
def patient_view_scenarios() -> tuple[Scenario, ...]:
    """The scenarios of the patient-view service (not the order checks): those a forecast answers too."""
    return tuple(s for s in rule_suite_scenarios() if s.orders is None)


def forecast_of(scenario: Scenario) -> VaccinationForecast:
    """The forecast on the scenario's day, at its moment (the cards' moment)."""
    return mmr_forecast(scenario.record, scenario.now)
