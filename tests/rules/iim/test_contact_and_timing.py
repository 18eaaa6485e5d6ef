"""Who is a contact (clinical.md §A.2) and when prophylaxis is still useful (§A.3, §A.7)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from prevention_cds.rules.advice import Indicator
from prevention_cds.rules.facts import Exposure, ExposureKind, IimSerogroup
from prevention_cds.settings import PRACTICE_TIMEZONE

from .builders import NOW, TODAY, born_years_ago, evaluate, exposure, keys, only, record, rules_of

ADULT = born_years_ago(40)

SETTINGS = [
    ("household", True),
    ("family-gathering", False),
    ("home-childcare", True),
    ("intimate", True),
    ("close-friend", True),
    ("party-or-meal", False),
    ("creche-same-section", True),
    ("creche-other", False),
    ("leisure-same-nap-room", True),
    ("leisure-other", False),
    ("nursery-class", True),
    ("nursery-other", False),
    ("school-classroom-neighbour", True),
    ("boarding-same-room", True),
    ("university-other", False),
    ("healthcare-airway-unmasked", True),
    ("healthcare-other", False),
    ("sport-prolonged-contact", True),
    ("sport-other", False),
    ("assessed-close-contact", True),
    ("other-community", False),
    ("other", False),
]


@pytest.mark.parametrize(("setting", "is_contact"), SETTINGS)
def test_settings_table(setting: str, is_contact: bool) -> None:
    advice = evaluate(record(ADULT, exposures=(exposure(setting),)))
    expected = "iim.prophylaxis.rifampicin" if is_contact else "iim.not-a-contact"
    assert rules_of(advice) == [expected]
    if not is_contact:
        card = advice[0]
        assert card.indicator is Indicator.INFO
        assert card.suggestions == ()
        assert keys(card.explanation)[:2] == ["iim.contact.not-recommended", "iim.not-a-contact.criteria"]


def _airway(days_ago: int, **extra: object) -> Exposure:
    return exposure("healthcare-airway-unmasked", days_ago, IimSerogroup.B, **extra)


HEALTH_WORKER = [
    # (id, exposure, expected rule)
    (
        "before the antibiotic",
        _airway(days_ago=2, case_first_effective_antibiotic=NOW - timedelta(days=1)),
        "iim.prophylaxis.rifampicin",
    ),
    (
        "after the antibiotic",
        _airway(days_ago=1, case_first_effective_antibiotic=NOW - timedelta(days=2)),
        "iim.not-a-contact",
    ),
    ("antibiotic time not recorded", _airway(days_ago=1), "iim.prophylaxis.rifampicin"),
    (
        "period from before the antibiotic",
        _airway(
            days_ago=1, first_contact=NOW - timedelta(days=3), case_first_effective_antibiotic=NOW - timedelta(days=2)
        ),
        "iim.prophylaxis.rifampicin",
    ),
    (
        "window counted from the antibiotic dose, not the end of the period",
        _airway(
            days_ago=5, first_contact=NOW - timedelta(days=13), case_first_effective_antibiotic=NOW - timedelta(days=11)
        ),
        "iim.window-closed",
    ),
    (
        "date only, same day as the antibiotic",
        Exposure(
            ExposureKind.IIM,
            (NOW - timedelta(days=1)).replace(hour=0, minute=0),
            has_time=False,
            setting="healthcare-airway-unmasked",
            case_first_effective_antibiotic=(NOW - timedelta(days=1)).replace(hour=8),
        ),
        "iim.prophylaxis.rifampicin",
    ),
]


@pytest.mark.parametrize(("case", "exposed", "rule"), HEALTH_WORKER, ids=[c[0] for c in HEALTH_WORKER])
def test_health_worker_airway_rule(case: str, exposed: Exposure, rule: str) -> None:
    advice = evaluate(record(ADULT, exposures=(exposed,)))
    assert rules_of(advice) == [rule]
    assert any(k.startswith("iim.decision.airway") for k in keys(advice[0].decisions))


@pytest.mark.parametrize(
    ("setting", "reason"), [(None, "iim.contact.setting-missing"), ("bus", "iim.contact.setting-unknown")]
)
def test_setting_missing_or_unknown_asks_for_it(setting: str | None, reason: str) -> None:
    card = only(evaluate(record(ADULT, exposures=(exposure(setting),))), "iim.setting-unknown")
    assert card.indicator is Indicator.WARNING
    assert keys(card.explanation)[0] == reason
    assert card.suggestions == ()


def test_no_exposure_no_card() -> None:
    assert evaluate(record(ADULT, exposures=())) == ()


def test_a_contact_exposure_wins_over_a_later_non_contact_one() -> None:
    exposures = (exposure("household", days_ago=4), exposure("party-or-meal", days_ago=1))
    assert rules_of(evaluate(record(ADULT, exposures=exposures))) == ["iim.prophylaxis.rifampicin"]


WINDOW = [
    (0, "iim.prophylaxis.rifampicin"),
    (10, "iim.prophylaxis.rifampicin"),
    (11, "iim.window-closed"),
    (30, "iim.window-closed"),
]


@pytest.mark.parametrize(("days", "rule"), WINDOW)
def test_ten_day_window(days: int, rule: str) -> None:
    advice = evaluate(record(ADULT, exposures=(exposure(days_ago=days, serogroup=IimSerogroup.C),)))
    # Serogroup C, household: the vaccination window is the same 10 days.
    assert rules_of(advice) == ([rule] if rule == "iim.window-closed" else [rule, "iim.vaccination"])
    if rule == "iim.window-closed":
        card = advice[0]
        assert card.indicator is Indicator.INFO and card.suggestions == ()
        assert card.summary.params["days"] == days
        assert "iim.not-a-contact.watch" in keys(card.explanation)
        assert "iim.vaccination.window-closed" in keys(card.explanation)
    else:
        urgency = next(m for m in advice[0].explanation if m.key == "iim.urgency")
        assert urgency.params["last_day"] == TODAY - timedelta(days=days) + timedelta(days=10)
        assert (urgency.params["min_h"], urgency.params["max_h"]) == (24, 48)


PRIOR_COURSE = [
    (0, "iim.already-covered"),
    (10, "iim.already-covered"),
    (11, "iim.prophylaxis.rifampicin"),
]


@pytest.mark.parametrize(("ended_days_ago", "rule"), PRIOR_COURSE)
def test_prior_course_still_covers_for_ten_days(ended_days_ago: int, rule: str) -> None:
    ended = TODAY - timedelta(days=ended_days_ago)
    advice = evaluate(record(ADULT, exposures=(exposure(days_ago=2, prior_prophylaxis_ended_on=ended),)))
    assert rules_of(advice) == [rule]
    if rule == "iim.already-covered":
        assert advice[0].indicator is Indicator.INFO and advice[0].suggestions == ()


@pytest.mark.parametrize(
    ("last_contact_utc", "rule"),
    [
        # 10 Nov 23:30 UTC is 11 Nov 00:30 in Paris: day 10 on 21 Nov, still open.
        (datetime(2026, 11, 10, 23, 30, tzinfo=UTC), "iim.prophylaxis.rifampicin"),
        # 10 Nov 22:30 UTC is 10 Nov 23:30 in Paris: day 11, closed.
        (datetime(2026, 11, 10, 22, 30, tzinfo=UTC), "iim.window-closed"),
    ],
)
def test_days_are_counted_in_the_practice_time_zone(last_contact_utc: datetime, rule: str) -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
    exposed = replace(exposure(), last_contact=last_contact_utc)
    assert rules_of(evaluate(record(ADULT, exposures=(exposed,)), now=now)) == [rule]


@pytest.mark.parametrize("days_ahead", [1, 13])
def test_a_last_contact_dated_in_the_future_counts_as_today(days_ahead: int) -> None:
    """D.2: the deadlines run from today, not from the future date, and the card says the date is in the
    future (a probable entry error)."""
    rec = record(ADULT, exposures=(exposure(serogroup=IimSerogroup.C, days_ago=-days_ahead),))
    advice = evaluate(rec)
    course = only(advice, "iim.prophylaxis.rifampicin")
    assert course.deadline == TODAY + timedelta(days=10)
    fact = next(m for m in course.facts if m.key.startswith("iim.fact.last-contact"))
    assert fact.key == "iim.fact.last-contact-future" and fact.decisive
    assert fact.params["recorded"] == TODAY + timedelta(days=days_ahead) and fact.params["today"] == TODAY
    vaccination = only(advice, "iim.vaccination")
    assert vaccination.deadline == TODAY + timedelta(days=10)


def test_a_last_contact_today_is_day_zero() -> None:
    course = only(evaluate(record(ADULT, exposures=(exposure(days_ago=0),))), "iim.prophylaxis.rifampicin")
    fact = next(m for m in course.facts if m.key.startswith("iim.fact.last-contact"))
    assert fact.key == "iim.fact.last-contact" and fact.params["days"] == 0
