"""Yellow fever and MMR (issue 14 §5): French travel advice since 2021 — for a child under 2 years, not the same
day, at least 28 days apart; from 2 years the general live-vaccine rule (the same day or 28 days apart). Applied to
recorded doses, to an MMR order when yellow fever was given today or is ordered with it, and to a yellow fever
order after a recent MMR dose. Edges: the day before and the day of the second birthday, 27 and 28 days."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest

from prevention_cds.rules.advice import ReplaceDraftOrder
from prevention_cds.rules.facts import OrderContext, PatientRecord, VaccineDose
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruleset import RuleSettings

from .records import (
    Scenario,
    at,
    born,
    keys,
    medication_of,
    mmr,
    mmr_order,
    orders,
    patient,
    rules_of,
    yellow_fever,
    yellow_fever_order,
)

NOW = at(2025, 6, 12, 10)
TODAY = NOW.date()
RULES = MmrParameters.on(TODAY)
LIVE_DAYS = RULES.live_vaccine_interval_days.value
APART_MONTHS = RULES.yellow_fever_apart_below_months.value
INFO = RuleSettings(info_card_when_up_to_date=True)

EIGHTEEN_MONTHS = born(2023, 12, 12)
TWO_TOMORROW = born(2023, 6, 13)  # 2 years old tomorrow: still under 2 today
TWO_TODAY = born(2023, 6, 12)  # second birthday today
THREE_YEARS = born(2022, 6, 1)
BORN_2023_06 = born(2023, 6)  # 2 years old somewhere in June 2025: may still be under 2


def _same_day(birth: PartialDate, on: date = TODAY) -> PatientRecord:
    return patient(birth, doses=(mmr(on), yellow_fever(on)))


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    counted: bool  # the MMR dose given the same day as yellow fever
    now: datetime = NOW

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, self.now, settings=INFO)


CASES = [
    Case("18 months, the same day: not counted", _same_day(EIGHTEEN_MONTHS), False),
    Case("the day before the second birthday, the same day: not counted", _same_day(TWO_TOMORROW), False),
    Case("on the second birthday, the same day: counted", _same_day(TWO_TODAY), True),
    Case("3 years, the same day: counted", _same_day(THREE_YEARS), True),
    Case("born in June 2023 (day unknown), the same day: may be under 2, not counted", _same_day(BORN_2023_06), False),
    Case(
        "18 months, yellow fever the day before: the live-vaccine interval rejects it anyway",
        patient(EIGHTEEN_MONTHS, doses=(mmr(TODAY), yellow_fever(TODAY - timedelta(days=1)))),
        False,
    ),
    Case(
        "before the 2021 advice: the same day counted at 18 months",
        patient(born(2019, 1, 1), doses=(mmr(date(2020, 7, 1)), yellow_fever(date(2020, 7, 1)))),
        True,
        at(2020, 9, 1),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_recorded_dose_given_with_yellow_fever(case: Case) -> None:
    advices = case.scenario.run()
    facts = {m.key for advice in advices for m in advice.facts}
    found = {k for advice in advices for k in keys(advice)}
    if case.counted:
        assert "mmr.fact.dose-counted" in facts and "mmr.fact.dose-rejected" not in facts
        assert "mmr.reject.yellow-fever-same-day" not in found
    else:
        assert "mmr.fact.dose-rejected" in facts and "mmr.fact.dose-counted" not in facts


def test_a_dose_rejected_for_yellow_fever_says_why_and_the_choice() -> None:
    (advice,) = CASES[0].scenario.run()
    assert {"mmr.reject.yellow-fever-same-day", "mmr.decision.yellow-fever-same-day"} <= keys(advice)


def test_after_yellow_fever_today_the_next_dose_is_dated_28_days_later() -> None:
    record = patient(EIGHTEEN_MONTHS, doses=(yellow_fever(TODAY),))
    (advice,) = Scenario(record, NOW).run()
    assert medication_of(advice).proposal.not_before == TODAY + timedelta(days=LIVE_DAYS)


# --- orders ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderCase:
    name: str
    record: PatientRecord
    drafts: OrderContext
    rules: tuple[str, ...]
    earliest: date | None = None  # the date the card gives
    keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, NOW, orders=self.drafts)


def _with(birth: PartialDate | None, *doses: VaccineDose) -> PatientRecord:
    return patient(birth, doses=doses)


TOGETHER = orders(mmr_order(), yellow_fever_order())
YF_ALONE = orders(yellow_fever_order())
LATER = TODAY + timedelta(days=LIVE_DAYS)
ORDER_CASES = [
    OrderCase(
        "18 months, MMR and yellow fever ordered together: not the same day",
        _with(EIGHTEEN_MONTHS, mmr(date(2024, 12, 12))),
        TOGETHER,
        ("mmr.order.yellow-fever-together",),
        LATER,
        frozenset({"mmr.fact.yellow-fever-order", "mmr.explain.order.yellow-fever-together"}),
    ),
    OrderCase(
        "on the second birthday, ordered together: fine",
        _with(TWO_TODAY, mmr(date(2024, 6, 12))),
        TOGETHER,
        (),
    ),
    OrderCase(
        "18 months, yellow fever given this morning, MMR ordered: too early",
        _with(EIGHTEEN_MONTHS, mmr(date(2024, 12, 12)), yellow_fever(TODAY)),
        orders(mmr_order()),
        ("mmr.order.too-early",),
        LATER,
        frozenset({"mmr.reject.yellow-fever-same-day", "mmr.decision.yellow-fever-same-day"}),
    ),
    OrderCase(
        "3 years, yellow fever given this morning, MMR ordered: the same day is fine",
        _with(THREE_YEARS, mmr(date(2023, 6, 1)), yellow_fever(TODAY)),
        orders(mmr_order()),
        (),
    ),
    OrderCase(
        "no birth date, yellow fever given this morning: the age cannot rule it out",
        _with(None, yellow_fever(TODAY)),
        orders(mmr_order()),
        ("mmr.missing-birth-date", "mmr.order.too-early"),
        LATER,
    ),
    OrderCase(
        f"adult, yellow fever ordered {LIVE_DAYS - 1} days after MMR: too soon",
        _with(born(1990, 1, 1), mmr(TODAY - timedelta(days=LIVE_DAYS - 1))),
        YF_ALONE,
        ("mmr.order.yellow-fever-after-mmr",),
        TODAY + timedelta(days=1),
        frozenset({"mmr.explain.order.yellow-fever-too-soon", "mmr.explain.order.yellow-fever-from"}),
    ),
    OrderCase(
        f"adult, yellow fever ordered {LIVE_DAYS} days after MMR: fine",
        _with(born(1990, 1, 1), mmr(TODAY - timedelta(days=LIVE_DAYS))),
        YF_ALONE,
        (),
    ),
    OrderCase(
        "adult, yellow fever ordered the day of an MMR dose: fine",
        _with(born(1990, 1, 1), mmr(TODAY)),
        YF_ALONE,
        (),
    ),
    OrderCase(
        "18 months, yellow fever ordered the day of an MMR dose: not the same day",
        _with(EIGHTEEN_MONTHS, mmr(TODAY)),
        YF_ALONE,
        ("mmr.order.yellow-fever-after-mmr",),
        LATER,
        frozenset({"mmr.explain.order.yellow-fever-same-day"}),
    ),
    OrderCase("18 months, yellow fever ordered, no MMR on record: nothing", _with(EIGHTEEN_MONTHS), YF_ALONE, ()),
]


@pytest.mark.parametrize("case", ORDER_CASES, ids=[c.name for c in ORDER_CASES])
def test_orders_with_yellow_fever(case: OrderCase) -> None:
    advices = case.scenario.run()
    assert tuple(rules_of(advices)) == case.rules
    if not advices:
        return
    last = advices[-1]
    assert case.keys <= keys(last), case.keys - keys(last)
    dated = {
        "mmr.order.yellow-fever-together": "mmr.explain.order.yellow-fever-together",
        "mmr.order.too-early": "mmr.summary.order.too-early",
        "mmr.order.yellow-fever-after-mmr": "mmr.summary.order.yellow-fever-after-mmr",
    }
    messages = [last.summary, *last.explanation]
    (dating,) = [m for m in messages if m.key == dated[last.rule]]
    assert case.earliest in dating.params.values()


def test_ordered_together_the_clinician_chooses_which_comes_first() -> None:
    (advice,) = ORDER_CASES[0].scenario.run()
    (suggestion,) = advice.suggestions
    assert not suggestion.recommended
    (replacement,) = [a for a in suggestion.actions if isinstance(a, ReplaceDraftOrder)]
    assert replacement.order_reference == "MedicationRequest/o1" and replacement.proposal.not_before == LATER


def test_the_age_limit_is_rule_data_in_force_from_2021() -> None:
    assert APART_MONTHS > 0 and MmrParameters.on(date(2020, 12, 31)).yellow_fever_apart_below_months.value == 0


SCENARIOS = [case.scenario for case in ORDER_CASES]


def test_on_order_select_an_mmr_order_is_weighed_against_a_yellow_fever_order_not_selected() -> None:
    drafts = orders(mmr_order(), replace(yellow_fever_order(), selected=False), hook="order-select")
    advices = Scenario(_with(EIGHTEEN_MONTHS, mmr(date(2024, 12, 12))), NOW, orders=drafts).run()
    assert rules_of(advices) == ["mmr.order.yellow-fever-together"]
