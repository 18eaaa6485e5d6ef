"""A patient who has measles (issue 14 §2): the case card (report, isolate, exclusion dated from the rash, air the
rooms, contacts), no MMR dose while ill; a measles that is over is a history. Frozen time, edges at the fifth and
sixth day after the rash and at the last day an active record is still a current case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest

from prevention_cds.rules.advice import Indicator, RemoveDraftOrder
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord, Sex
from prevention_cds.rules.mmr.measles_case import current_case
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.ruleset import RuleSettings

from .records import (
    Scenario,
    actions,
    at,
    born,
    condition,
    keys,
    measles,
    measles_contact,
    mmr_order,
    orders,
    patient,
    pregnant,
    rules_of,
)

NOW = at(2025, 6, 12, 10)
TODAY = NOW.date()
ADULT = born(1990, 3, 3)
CHILD = born(2021, 4, 4)
INFO = RuleSettings(info_card_when_up_to_date=True)
CASE = "mmr.measles-case"
RULES = MmrParameters.on(TODAY)
EVICTION_DAYS = RULES.measles_eviction_days_after_rash.value
CURRENT_DAYS = RULES.measles_case_current_days.value
BEFORE_RASH_DAYS = RULES.measles_contagious_days_before_rash.value


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def ill(*conditions: ConditionFact, birth: object = CHILD, **details: object) -> PatientRecord:
    return patient(birth, conditions=conditions, **details)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    rules: tuple[str, ...]
    indicator: Indicator | None = None  # of the first card
    keys: frozenset[str] = field(default_factory=frozenset)  # message keys expected on the first card
    absent: frozenset[str] = field(default_factory=frozenset)  # message keys the first card must not carry
    eviction_until: date | None = None  # the date in the summary, when there is one
    now: datetime = NOW
    settings: RuleSettings = INFO

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, self.now, settings=self.settings)


CASES = [
    Case(
        "confirmed, rash today: critical, exclusion until day 5 included",
        ill(measles(TODAY)),
        (CASE,),
        Indicator.CRITICAL,
        frozenset(
            {
                "mmr.summary.measles-case",
                "mmr.measles-case.confirmed",
                "mmr.explain.measles-case.report",
                "mmr.explain.measles-case.isolate",
                "mmr.explain.measles-case.eviction",
                "mmr.explain.measles-case.air",
                "mmr.explain.measles-case.contacts",
                "mmr.explain.measles-case.no-dose",
                "mmr.fact.measles-case",
                "mmr.fact.measles-contagious",
                "mmr.decision.measles-onset-is-rash",
                "mmr.decision.measles-contacts",
            }
        ),
        frozenset({"mmr.decision.measles-suspected"}),
        TODAY + timedelta(days=EVICTION_DAYS),
    ),
    Case(
        "rash began 5 days ago: still contagious today (the last day of exclusion)",
        ill(measles(days_ago(EVICTION_DAYS))),
        (CASE,),
        Indicator.CRITICAL,
        frozenset({"mmr.summary.measles-case", "mmr.explain.measles-case.eviction"}),
        eviction_until=TODAY,
    ),
    Case(
        "rash began 6 days ago: no longer contagious, a warning to report if not done",
        ill(measles(days_ago(EVICTION_DAYS + 1))),
        (CASE,),
        Indicator.WARNING,
        frozenset(
            {
                "mmr.summary.measles-case.past-contagious",
                "mmr.explain.measles-case.no-longer-contagious",
                "mmr.explain.measles-case.report",
                "mmr.explain.measles-case.contacts",
            }
        ),
        frozenset({"mmr.explain.measles-case.isolate", "mmr.explain.measles-case.air"}),
        TODAY - timedelta(days=1),
    ),
    Case(
        "provisional diagnosis: a suspected case, reported all the same",
        ill(measles(days_ago(1), confirmed=False)),
        (CASE,),
        Indicator.CRITICAL,
        frozenset({"mmr.measles-case.suspected", "mmr.decision.measles-suspected", "mmr.explain.measles-case.report"}),
    ),
    Case(
        "onset not recorded: critical, exclusion stated as a rule, the onset asked for",
        ill(measles(None)),
        (CASE,),
        Indicator.CRITICAL,
        frozenset(
            {
                "mmr.summary.measles-case.undated",
                "mmr.explain.measles-case.eviction-undated",
                "mmr.fact.measles-case-undated",
            }
        ),
        frozenset({"mmr.decision.measles-onset-is-rash", "mmr.fact.measles-contagious"}),
    ),
    Case(
        f"active, begun {CURRENT_DAYS} days ago: still a current case",
        ill(measles(days_ago(CURRENT_DAYS))),
        (CASE,),
        Indicator.WARNING,
    ),
    Case(
        f"active, begun {CURRENT_DAYS + 1} days ago: a past measles never closed, MMR advice as usual",
        ill(measles(days_ago(CURRENT_DAYS + 1)), birth=ADULT),
        ("mmr.catch-up",),
        Indicator.INFO,
        frozenset({"mmr.fact.measles-history", "mmr.fact.measles-not-closed", "mmr.decision.measles-not-closed"}),
    ),
    Case(
        "no onset, recorded long ago: read as past by the day it was recorded",
        ill(measles(None, recorded=days_ago(CURRENT_DAYS + 1)), birth=ADULT),
        ("mmr.catch-up",),
        keys=frozenset({"mmr.fact.measles-not-closed"}),
    ),
    Case(
        "no onset, recorded yesterday: a current case",
        ill(measles(None, recorded=days_ago(1))),
        (CASE,),
        Indicator.CRITICAL,
    ),
    Case(
        "resolved measles: a history, no case card (the series is still owed from 1980)",
        ill(measles(days_ago(EVICTION_DAYS), active=False), birth=ADULT),
        ("mmr.catch-up",),
        keys=frozenset({"mmr.fact.measles-history"}),
        absent=frozenset({"mmr.fact.measles-not-closed"}),
    ),
    Case(
        "history-of code recorded active: a history, never a case",
        ill(condition(Concept.MEASLES_HISTORY, "Antécédent de rougeole"), birth=ADULT),
        ("mmr.catch-up",),
        keys=frozenset({"mmr.fact.measles-history"}),
    ),
    Case(
        "resolved measles and a new contact: immune, no post-exposure dose",
        ill(
            measles(date(2015, 3, 1), active=False),
            birth=born(1970, 2, 2),
            exposures=(measles_contact(NOW - timedelta(hours=20)),),
        ),
        ("mmr.up-to-date",),
        keys=frozenset({"mmr.summary.measles-immune"}),
    ),
    Case(
        "a case who was a contact: the case card alone, no post-exposure dose",
        ill(measles(days_ago(1)), exposures=(measles_contact(NOW - timedelta(days=12)),)),
        (CASE,),
        Indicator.CRITICAL,
    ),
    Case(
        "a case without a birth date: the case card alone",
        ill(measles(days_ago(2)), birth=None),
        (CASE,),
        Indicator.CRITICAL,
    ),
    Case(
        "a pregnant case: the case card alone (no dose proposed, even after delivery, while ill)",
        ill(measles(days_ago(2)), birth=ADULT, sex=Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1))),
        (CASE,),
        Indicator.CRITICAL,
    ),
    Case(
        "a case owed two doses: no dose card while ill",
        ill(measles(days_ago(2)), birth=born(2019, 1, 1)),
        (CASE,),
        settings=RuleSettings(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_measles_case(case: Case) -> None:
    advices = case.scenario.run()
    assert tuple(rules_of(advices)) == case.rules
    first = advices[0]
    if case.indicator is not None:
        assert first.indicator == case.indicator
    assert case.keys <= keys(first), case.keys - keys(first)
    assert not case.absent & keys(first)
    if case.eviction_until is not None:
        assert first.summary.params["until"] == case.eviction_until
    for advice in advices:
        assert advice.suggestions == () or advice.rule != CASE  # the case card proposes no dose


def test_the_contagious_period_runs_from_before_the_rash_to_the_end_of_exclusion() -> None:
    (advice,) = Scenario(ill(measles(TODAY)), NOW).run()
    (contagious,) = [f for f in advice.facts if f.key == "mmr.fact.measles-contagious"]
    assert contagious.params == {
        "start": TODAY - timedelta(days=BEFORE_RASH_DAYS),
        "end": TODAY + timedelta(days=EVICTION_DAYS),
    }


def test_the_case_card_cites_the_report_first_and_each_section_once() -> None:
    (advice,) = Scenario(ill(measles(TODAY)), NOW).run()
    assert advice.guideline[0] == RULES.measles_case_report.ref
    assert {RULES.measles_eviction_days_after_rash.ref, RULES.measles_airborne_hours.ref} <= set(advice.guideline)


def test_of_several_measles_records_the_confirmed_dated_one_is_the_case() -> None:
    dated = measles(days_ago(3), ident="Condition/dated")
    record = ill(measles(None, confirmed=False, ident="Condition/undated"), dated)
    case = current_case(record, TODAY, RULES)
    assert case is not None and case.condition == dated


SCENARIOS = [
    Scenario(ill(measles(days_ago(1))), NOW, orders=orders(mmr_order())),
    Scenario(ill(measles(days_ago(1)), birth=None), NOW, orders=orders(mmr_order())),
]


def test_an_mmr_order_for_a_case_is_to_be_removed() -> None:
    (advice,) = SCENARIOS[0].run()
    assert advice.rule == "mmr.order.measles-case" and advice.indicator == Indicator.WARNING
    (removal,) = [a for a in actions(advice) if isinstance(a, RemoveDraftOrder)]
    assert removal.order_reference == "MedicationRequest/o1"
    assert {"mmr.explain.order.measles-case", "mmr.fact.measles-case"} <= keys(advice)


def test_an_mmr_order_for_a_case_without_birth_date_does_not_ask_for_it() -> None:
    assert rules_of(SCENARIOS[1].run()) == ["mmr.order.measles-case"]


def test_a_contraindication_still_comes_first_on_an_order() -> None:
    record = ill(measles(days_ago(1)), birth=ADULT, sex=Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1)))
    assert rules_of(Scenario(record, NOW, orders=orders(mmr_order())).run()) == ["mmr.order.remove"]


def test_an_mmr_order_for_a_suspected_case_says_it_is_handled_as_a_case() -> None:
    record = ill(measles(days_ago(1), confirmed=False))
    (advice,) = Scenario(record, NOW, orders=orders(mmr_order())).run()
    assert advice.rule == "mmr.order.measles-case"
    assert {"mmr.decision.measles-suspected", "mmr.measles-case.suspected"} <= keys(advice)
