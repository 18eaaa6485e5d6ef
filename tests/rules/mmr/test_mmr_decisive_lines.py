"""What the MMR cards of issues 14 and 15 show on the card itself, not only on their explanation page: the measles
case's measures, the order checks' reasons, a measles history, a birth date that cannot be read — every line of it
within the card's 700 characters (docs/cards.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from prevention_cds.rules.citation import sources
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import PatientRecord, RecordElement, Sex, UnreadableValue
from prevention_cds.rules.mmr.parameters import MmrParameters
from support.card_brevity import card_keys

from .records import (
    Scenario,
    at,
    born,
    condition,
    measles,
    mmr,
    mmr_order,
    orders,
    patient,
    yellow_fever,
    yellow_fever_order,
)

NOW = at(2025, 6, 12, 10)
TODAY = NOW.date()
CHILD, TODDLER, ADULT = born(2021, 4, 4), born(2023, 12, 12), born(1990, 3, 3)
MEASURES = {"mmr.explain.measles-case.report", "mmr.explain.measles-case.isolate", "mmr.explain.measles-case.air",
            "mmr.explain.measles-case.contacts"}
RASH = {"mmr.fact.measles-case", "mmr.fact.measles-contagious"}
HISTORY = condition(Concept.MEASLES, "Rougeole 2015", active=False)

CASES = [
    ("measles, rash yesterday: report, isolate, air, contacts", Scenario(patient(CHILD, conditions=(
        measles(TODAY - timedelta(days=1)),)), NOW), "mmr.measles-case", MEASURES | RASH,
     {"mmr.explain.measles-case.contacts-care", "mmr.explain.measles-case.no-dose"}),
    ("suspected measles, rash yesterday: the same", Scenario(patient(CHILD, conditions=(
        measles(TODAY - timedelta(days=1), confirmed=False),)), NOW), "mmr.measles-case", MEASURES | RASH, set()),
    ("measles, onset not recorded: the exclusion as a rule, the date asked for", Scenario(patient(CHILD, conditions=(
        measles(None),)), NOW), "mmr.measles-case", MEASURES | {"mmr.explain.measles-case.eviction-undated"}, set()),
    ("measles past its contagious period: report if not done, contacts", Scenario(patient(CHILD, conditions=(
        measles(TODAY - timedelta(days=8)),)), NOW), "mmr.measles-case",
     {"mmr.explain.measles-case.report", "mmr.explain.measles-case.no-longer-contagious",
      "mmr.explain.measles-case.contacts"}, {"mmr.explain.measles-case.isolate"}),
    ("an MMR order for a measles case", Scenario(patient(CHILD, conditions=(measles(TODAY - timedelta(days=1)),)),
     NOW, orders=orders(mmr_order())), "mmr.order.measles-case",
     {"mmr.fact.order", "mmr.explain.order.measles-case", "mmr.explain.measles-case.report"}, set()),
    ("MMR and yellow fever ordered together at 18 months", Scenario(patient(TODDLER, doses=(mmr(date(2024, 12, 12)),)),
     NOW, orders=orders(mmr_order(), yellow_fever_order())), "mmr.order.yellow-fever-together",
     {"mmr.fact.yellow-fever-order", "mmr.explain.order.yellow-fever-together"}, set()),
    ("yellow fever ordered the day of an MMR dose at 18 months", Scenario(patient(TODDLER, doses=(mmr(TODAY),)),
     NOW, orders=orders(yellow_fever_order())), "mmr.order.yellow-fever-after-mmr",
     {"mmr.fact.yellow-fever-order", "mmr.explain.order.yellow-fever-same-day", "mmr.explain.order.yellow-fever-from"},
     set()),
    ("an MMR order the day after yellow fever: dated, and why", Scenario(patient(TODDLER, doses=(
        mmr(date(2024, 12, 12)), yellow_fever(TODAY - timedelta(days=1)))), NOW, orders=orders(mmr_order())),
     "mmr.order.too-early", {"mmr.fact.order", "mmr.explain.too-early"}, set()),
    ("a measles history: immune to measles, still owed doses", Scenario(patient(ADULT, conditions=(HISTORY,)), NOW),
     "mmr.catch-up", {"mmr.fact.measles-history"}, set()),
    ("a professional born before 1980: the occupation is why a dose is owed", Scenario(patient(
        born(1970, 3, 3), occupations=frozenset({Concept.HEALTHCARE_PROFESSIONAL})), NOW), "mmr.catch-up",
     {"mmr.fact.reason.professional-before", "mmr.fact.no-dose"}, set()),
    ("a woman born before 1980 without rubella vaccination: the rubella rule is why", Scenario(patient(
        born(1960, 3, 3), Sex.FEMALE), NOW), "mmr.catch-up", {"mmr.fact.reason.rubella-woman-before"}, set()),
    ("a man born before 1980 outside the groups: no card, no reason", Scenario(patient(born(1970, 3, 3)), NOW),
     None, set(), set()),
    ("a birth date that cannot be read: said as written", Scenario(patient(None, unreadable=(
        UnreadableValue(RecordElement.BIRTH_DATE, "14/05/1996"),)), NOW), "mmr.missing-birth-date",
     {"mmr.fact.birth-date-unreadable", "mmr.explain.missing-birth-date"}, set()),
]


@pytest.mark.parametrize(("name", "scenario", "rule", "shown", "page_only"), CASES, ids=[c[0] for c in CASES])
def test_the_card_shows_what_the_clinician_cannot_act_without(
    name: str, scenario: Scenario, rule: str | None, shown: set[str], page_only: set[str]
) -> None:
    if rule is None:
        assert scenario.run() == ()
        return
    (advice,) = [a for a in scenario.run() if a.rule == rule]
    on_card = card_keys(advice, scenario.now)
    assert shown <= on_card and not page_only & on_card, on_card


@pytest.mark.parametrize(
    "record",
    [patient(born(1970, 3, 3), occupations=frozenset({Concept.HEALTHCARE_PROFESSIONAL})), patient(born(1960, 3, 3),
                                                                                                    Sex.FEMALE)],
    ids=["professional born in 1970", "woman born in 1960"],
)
def test_a_person_born_before_1980_is_cited_only_the_rules_applied_to_them(record: PatientRecord) -> None:
    (advice,) = Scenario(record, NOW).run()
    rules = MmrParameters.on(TODAY)
    cited = set(advice.guideline)
    assert not cited & {*sources(rules.born_since_cutoff), *sources(rules.min_age_months)}
    assert set(sources(rules.min_interval_days)) <= cited  # the catch-up's interval, stated on the card
