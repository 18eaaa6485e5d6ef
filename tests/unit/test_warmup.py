"""The warm-up before forking runs every builder on a synthetic patient, and never stops the start."""

from __future__ import annotations

import logging

import pytest

from conftest import FROZEN_NOW
from prevention_cds.app.warmup import synthetic_record, warm_up
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import SERVICES_BY_ID
from prevention_cds.settings import Settings


def test_warm_up_runs_both_services_with_a_medicine_and_a_vaccination(settings: Settings) -> None:
    evaluator = CdsEvaluator(settings, clock=lambda: FROZEN_NOW)
    assert warm_up(evaluator, ("fr",)) >= 2
    resources = synthetic_record(FROZEN_NOW)
    assert {r["resourceType"] for r in resources} == {"Patient", "Immunization", "Observation"}
    kinds: set[str] = set()
    for service in ("ror-vaccination", "iim-prophylaxis"):
        body = request_body(SERVICES_BY_ID[service], "warm-up", resources)
        for card in evaluator.invoke(service, body, "fr")["cards"]:
            for suggestion in card.get("suggestions", ()):
                kinds |= {a["resource"]["resourceType"] for a in suggestion["actions"] if "resource" in a}
    assert kinds == {"MedicationRequest", "ImmunizationRecommendation"}


def test_a_failing_warm_up_is_logged_not_raised(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    def broken_clock() -> object:
        raise RuntimeError("boom")

    evaluator = CdsEvaluator(settings, clock=broken_clock)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        assert warm_up(evaluator) == 0
    assert "warm-up evaluation failed" in caplog.text
