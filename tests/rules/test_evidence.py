"""How the rules weigh what a record states (``rules/evidence.py``): pure functions over readings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from prevention_cds.rules import evidence
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    UNREADABLE,
    ClinicalStatus,
    ConditionFact,
    ExpectedDelivery,
    ExposureKind,
    Occupation,
    PregnancyObservation,
    RecordedPeriod,
    RecordedTime,
    Unreadable,
    Verification,
)
from prevention_cds.settings import PRACTICE_TIMEZONE

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=PRACTICE_TIMEZONE)
HEALTH = frozenset({Concept.HEALTHCARE_PROFESSIONAL})


def at(days_ago: int, has_time: bool = True) -> RecordedTime:
    return RecordedTime(NOW - timedelta(days=days_ago), has_time)


# --- conditions and allergies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinical", "abatement", "active"),
    [
        (frozenset(), None, True),  # no clinical status: taken as active
        (frozenset({ClinicalStatus.ACTIVE}), None, True),
        (frozenset({ClinicalStatus.RELAPSE}), None, True),
        (frozenset({ClinicalStatus.RECURRENCE, ClinicalStatus.RESOLVED}), None, True),
        (frozenset({ClinicalStatus.RESOLVED}), None, False),
        (frozenset({ClinicalStatus.REMISSION}), None, False),
        (frozenset({UNREADABLE}), None, False),
        (frozenset({ClinicalStatus.ACTIVE}), date(2026, 1, 1), False),
        (frozenset(), UNREADABLE, False),  # an abatement whose date cannot be read still ends it
    ],
)
def test_a_condition_is_active_by_its_clinical_status_until_it_abates(
    clinical: frozenset[ClinicalStatus | Unreadable], abatement: date | Unreadable | None, active: bool
) -> None:
    assert evidence.condition_is_active(clinical, abatement) is active


@pytest.mark.parametrize(
    ("verification", "confirmed"),
    [
        (frozenset(), True),  # no verification status: counts as confirmed
        (frozenset({Verification.CONFIRMED}), True),
        (frozenset({UNREADABLE}), True),
        (frozenset({Verification.UNCONFIRMED}), False),
        (frozenset({Verification.PROVISIONAL}), False),
        (frozenset({Verification.DIFFERENTIAL, Verification.CONFIRMED}), False),
    ],
)
def test_a_record_is_confirmed_unless_its_verification_casts_doubt(
    verification: frozenset[Verification | Unreadable], confirmed: bool
) -> None:
    assert evidence.is_confirmed(verification) is confirmed


def test_an_allergy_counts_unless_inactive_or_resolved() -> None:
    assert evidence.allergy_is_current(frozenset())
    assert evidence.allergy_is_current(frozenset({ClinicalStatus.ACTIVE, UNREADABLE}))
    assert not evidence.allergy_is_current(frozenset({ClinicalStatus.INACTIVE}))
    assert not evidence.allergy_is_current(frozenset({ClinicalStatus.ACTIVE, ClinicalStatus.RESOLVED}))


# --- pregnancy ------------------------------------------------------------------------------------------------


def _pregnancy_condition(recorded: date | None, active: bool = True, onset: date | None = None) -> ConditionFact:
    return ConditionFact(Concept.PREGNANCY, "grossesse", onset=onset, recorded=recorded, active=active,
                         source_id="Condition/g")


def test_no_pregnancy_evidence() -> None:
    assert evidence.latest_pregnancy((), (ExpectedDelivery(date(2026, 5, 1), date(2026, 12, 1)),), ()) is None
    assert evidence.latest_pregnancy((), (), (_pregnancy_condition(date(2026, 5, 1), active=False),)) is None


def test_the_latest_pregnancy_evidence_wins_with_the_latest_expected_delivery() -> None:
    observations = (PregnancyObservation(True, date(2026, 6, 1), "Observation/p"),)
    deliveries = (ExpectedDelivery(date(2026, 5, 1), date(2027, 1, 10)),
                  ExpectedDelivery(date(2026, 7, 1), date(2027, 1, 20)))
    found = evidence.latest_pregnancy(observations, deliveries, (_pregnancy_condition(date(2026, 4, 1)),))
    assert found is not None and found.pregnant and found.source_id == "Observation/p"
    assert found.observed_on == date(2026, 6, 1) and found.expected_delivery == date(2027, 1, 20)


def test_an_expected_delivery_before_the_pregnancy_evidence_is_a_previous_pregnancys() -> None:
    observations = (PregnancyObservation(True, date(2026, 6, 1), "Observation/p"),)
    previous = ExpectedDelivery(date(2024, 3, 1), date(2024, 10, 1))
    found = evidence.latest_pregnancy(observations, (previous,), ())
    assert found is not None and found.pregnant and found.expected_delivery is None
    on_the_day = ExpectedDelivery(date(2026, 1, 1), date(2026, 6, 1))
    found = evidence.latest_pregnancy(observations, (previous, on_the_day), ())
    assert found is not None and found.expected_delivery == date(2026, 6, 1)


@pytest.mark.parametrize(
    ("stated_on", "outlasted"),
    [(date(2026, 1, 1), False), (date(2025, 12, 31), True), (None, False)],
    ids=["on the last day", "a day older", "undated"],
)
def test_pregnancy_evidence_outlasts_any_pregnancy_after_max_days(stated_on: date | None, outlasted: bool) -> None:
    today = date(2026, 1, 1) + timedelta(days=294)
    assert evidence.pregnancy_outlasted(stated_on, today, 294) is outlasted


def test_a_later_not_pregnant_observation_wins_over_an_active_condition() -> None:
    observations = (PregnancyObservation(False, date(2026, 9, 1), "Observation/n"),)
    deliveries = (ExpectedDelivery(date(2026, 5, 1), date(2027, 1, 10)),)
    found = evidence.latest_pregnancy(observations, deliveries, (_pregnancy_condition(date(2026, 4, 1)),))
    assert found is not None and not found.pregnant and found.expected_delivery is None


def test_a_pregnancy_condition_is_dated_by_its_record_else_its_onset() -> None:
    observations = (PregnancyObservation(False, date(2026, 3, 1)),)
    found = evidence.latest_pregnancy(observations, (), (_pregnancy_condition(None, onset=date(2026, 4, 1)),))
    assert found is not None and found.pregnant and found.observed_on == date(2026, 4, 1)
    undated = evidence.latest_pregnancy((), (), (_pregnancy_condition(None),))
    assert undated is not None and undated.pregnant and undated.observed_on is None


# --- occupations ----------------------------------------------------------------------------------------------


def test_an_ended_occupation_does_not_count() -> None:
    held = Occupation(HEALTH)
    open_period = Occupation(HEALTH, RecordedPeriod(at(400), None))
    assert evidence.current_occupations((held,)) == HEALTH
    assert evidence.current_occupations((open_period,)) == HEALTH
    for end in (at(10), at(-10), UNREADABLE):  # any recorded end, even a later or unreadable one
        assert evidence.current_occupations((Occupation(HEALTH, RecordedPeriod(at(400), end)),)) == frozenset()


# --- exposures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(5), None, RecordedTime(NOW, True)),  # open: ongoing, the last contact is now
        (at(5), UNREADABLE, RecordedTime(NOW, True)),  # an end that cannot be read (9999-12-31) is open too
        (at(5), at(-3), RecordedTime(NOW, True)),  # ends later: ongoing
        (at(5), at(2, has_time=False), at(2, has_time=False)),  # ended
        (None, at(-3), at(-3)),  # a moment (or a period without a start) is taken as it is
        (UNREADABLE, None, None),
        (None, None, None),
    ],
)
def test_the_last_contact_of_an_ongoing_exposure_is_now(
    start: RecordedTime | Unreadable | None, end: RecordedTime | Unreadable | None, expected: RecordedTime | None
) -> None:
    assert evidence.last_contact(RecordedPeriod(start, end), NOW) == expected


def test_without_a_time_of_reading_an_open_exposure_ends_at_its_start() -> None:
    assert evidence.last_contact(RecordedPeriod(at(5), None), None) == at(5)
    assert evidence.last_contact(RecordedPeriod(at(5), at(-3)), None) == at(-3)


def test_an_exposure_naming_no_disease_is_a_measles_contact() -> None:
    assert evidence.exposure_disease(ExposureKind.IIM) is ExposureKind.IIM
    assert evidence.exposure_disease(None) is ExposureKind.MEASLES


# --- an acute illness going on ------------------------------------------------------------------------------

TODAY = NOW.date()
LASTS = 30


@pytest.mark.parametrize(
    ("onset", "recorded", "active", "current"),
    [
        (TODAY, None, True, True),
        (TODAY - timedelta(days=LASTS), None, True, True),  # the last day it is still current
        (TODAY - timedelta(days=LASTS + 1), None, True, False),  # a record never closed
        (None, TODAY - timedelta(days=LASTS + 1), True, False),  # dated by when it was recorded
        (TODAY - timedelta(days=2), TODAY - timedelta(days=LASTS + 9), True, True),  # the onset wins
        (None, None, True, True),  # undated: its measures are not dropped
        (TODAY + timedelta(days=1), None, True, True),  # an onset after today (an entry error) is not past
        (TODAY, None, False, False),  # resolved or inactive: never current
    ],
)
def test_an_acute_illness_is_current_while_recent_and_active(
    onset: date | None, recorded: date | None, active: bool, current: bool
) -> None:
    condition = ConditionFact(Concept.MEASLES, "Rougeole", onset=onset, recorded=recorded, active=active)
    assert evidence.acute_illness_is_current(condition, TODAY, LASTS) is current
