"""A mg/kg dose needs a recent, plausible weight: otherwise a card asks for one and no dose is computed."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from prevention_cds.rules.advice import Indicator
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import RecordElement, UnreadableValue, WeightMeasurement

from .builders import (
    NOW,
    TODAY,
    born_years_ago,
    evaluate,
    keys,
    only,
    proposals,
    recommended,
    record,
    rules_of,
    weight,
)

EIGHT_YEARS = born_years_ago(8)
SIX_MONTHS = born_years_ago(0, 183)
TEN_DAYS = TODAY - timedelta(days=10)

WEIGHTS = [
    # (id, born, kg, weighed days ago, usable?, problem key)
    ("child, missing", EIGHT_YEARS, None, 0, False, "iim.weight.missing"),
    ("child, 90 days old", EIGHT_YEARS, "25", 90, True, None),
    ("child, 91 days old: stale", EIGHT_YEARS, "25", 91, False, "iim.weight.stale"),
    ("infant, 30 days old", SIX_MONTHS, "7", 30, True, None),
    ("infant, 31 days old: stale", SIX_MONTHS, "7", 31, False, "iim.weight.stale"),
    ("neonate, 7 days old", TEN_DAYS, "3.3", 7, True, None),
    ("neonate, 8 days old: stale", TEN_DAYS, "3.3", 8, False, "iim.weight.stale"),
    ("below 1 kg: implausible", TEN_DAYS, "0.9", 1, False, "iim.weight.implausible"),
    ("neonate at 35 kg (typo): implausible", TEN_DAYS, "35", 1, False, "iim.weight.implausible"),
    ("2-year-old at 80 kg: implausible", born_years_ago(2), "80", 1, False, "iim.weight.implausible"),
    ("dated in the future", EIGHT_YEARS, "25", -3, False, "iim.weight.future"),
]


@pytest.mark.parametrize(("case", "born", "kg", "days_ago", "usable", "problem"), WEIGHTS, ids=[w[0] for w in WEIGHTS])
def test_child_weight(case: str, born: date, kg: str | None, days_ago: int, usable: bool, problem: str | None) -> None:
    advice = evaluate(record(born, kg=kg, weighed_days_ago=days_ago))
    if usable:
        assert rules_of(advice) == ["iim.prophylaxis.rifampicin"]
        assert recommended(advice[0]).weight_kg_used == Decimal(kg or "")
        return
    card = only(advice, "iim.weight-needed")
    assert card.indicator is Indicator.WARNING
    assert card.suggestions == ()  # never a guessed dose
    detail = next(m for m in card.explanation if m.key == "iim.weight-needed.detail")
    assert detail.params["problem"].key == problem  # type: ignore[union-attr]
    assert "iim.regimen.rifampicin" in keys(card.explanation)  # the mg/kg regimen, to dose once weighed
    if problem == "iim.weight.stale":
        assert "iim.decision.weight-staleness" in keys(card.decisions)


def test_only_the_latest_weighing_is_judged() -> None:
    rec = record(EIGHT_YEARS, kg="25")
    rec = replace(rec, weights=(*rec.weights, WeightMeasurement(Decimal("250"), NOW, "250 kg")))
    assert rules_of(evaluate(rec)) == ["iim.weight-needed"]


@pytest.mark.parametrize("kg", [None, "301", "0.5"])
def test_adult_doses_do_not_need_a_weight(kg: str | None) -> None:
    assert rules_of(evaluate(record(born_years_ago(40), kg=kg))) == ["iim.prophylaxis.rifampicin"]


def test_weight_in_pounds_is_used_as_converted() -> None:
    rec = replace(record(EIGHT_YEARS), weights=(replace(weight("29.98"), original_value="66.1 [lb_av]"),))
    proposal = recommended(evaluate(rec)[0])
    assert (proposal.dose_mg, proposal.weight_kg_used) == (Decimal(300), Decimal("29.98"))  # one capsule


def test_a_converted_weight_is_shown_rounded_and_dosed_unrounded() -> None:
    """44 lb is 19.95806428 kg: the card and the instruction show 19.96 kg; the dose uses the weight recorded."""
    kilograms = Decimal("19.95806428")
    rec = replace(
        record(born_years_ago(7), allergies=(Concept.RIFAMYCIN_ALLERGEN,)),
        weights=(WeightMeasurement(kilograms, NOW - timedelta(days=1), "44 [lb_av]", "Observation/w"),),
    )
    card = evaluate(rec)[0]
    fact = next(m for m in card.facts if m.key.startswith("iim.fact.weight"))
    assert fact.key == "iim.fact.weight" and fact.params["weight_kg"] == Decimal("19.96")
    assert fact.params["recorded"] == "44 [lb_av]"
    for _, proposal in proposals(card):
        if proposal.mg_per_kg is not None:
            assert proposal.weight_kg_used == kilograms
            assert proposal.instruction.params["weight_kg"] == Decimal("19.96")


@pytest.mark.parametrize(("recorded", "repeated"), [("20 kg", False), ("20,0 kg", False), ("20000 g", True)])
def test_the_entry_is_repeated_only_when_it_reads_otherwise(recorded: str, repeated: bool) -> None:
    rec = replace(
        record(born_years_ago(7)),
        weights=(WeightMeasurement(Decimal(20), NOW - timedelta(days=1), recorded, "Observation/w"),),
    )
    fact = next(m for m in evaluate(rec)[0].facts if m.key.startswith("iim.fact.weight"))
    assert (fact.key == "iim.fact.weight") is repeated


def test_a_weight_that_cannot_be_read_is_said_so_not_missing() -> None:
    unreadable = UnreadableValue(RecordElement.WEIGHT, "20 stone", source_id="Observation/w")
    rec = replace(record(born_years_ago(7)), unreadable=(unreadable,))
    card = only(evaluate(rec), "iim.weight-needed")
    problems = [m.params.get("problem") for m in (*card.explanation, *card.facts)]
    assert any(getattr(p, "key", None) == "iim.weight.unreadable" for p in problems)
    assert not any(getattr(p, "key", None) == "iim.weight.missing" for p in problems)
