"""How the rules weigh what a record states: whether a condition is active and confirmed, whether an acute
illness is still going on, whether an allergy still counts, which pregnancy evidence wins, which occupations are the
patient's today, when an exposure's last contact was and which disease it concerns.

Pure functions over the readings of ``rules/facts.py``; the record builder (``fhir_in.record``) applies them once
per call, so that every rule sees the same answer. The one that depends on the day and on a rule value (an acute
illness going on) is applied by the rule set that owns the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    ClinicalStatus,
    ConditionFact,
    ExpectedDelivery,
    ExposureKind,
    Occupation,
    Pregnancy,
    PregnancyObservation,
    RecordedPeriod,
    RecordedTime,
    Unreadable,
    Verification,
)

ONGOING_CONDITION = frozenset({ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE})
PAST_ALLERGY = frozenset({ClinicalStatus.INACTIVE, ClinicalStatus.RESOLVED})
DOUBTFUL = frozenset({Verification.UNCONFIRMED, Verification.PROVISIONAL, Verification.DIFFERENTIAL})

StatedStatuses = frozenset[ClinicalStatus | Unreadable]
StatedVerification = frozenset[Verification | Unreadable]


def condition_is_active(clinical: StatedStatuses, abatement: date | Unreadable | None) -> bool:
    """Active when its clinical status says so or says nothing, and no abatement is recorded (even one whose date
    cannot be read). A clinical status that cannot be read is not taken as active."""
    return (not clinical or not clinical.isdisjoint(ONGOING_CONDITION)) and abatement is None


def is_confirmed(verification: StatedVerification) -> bool:
    """Confirmed unless its verification status casts doubt: a record without one counts as confirmed."""
    return verification.isdisjoint(DOUBTFUL)


def acute_illness_is_current(condition: ConditionFact, today: date, lasts_days: int) -> bool:
    """Whether the record of an acute illness (measles) describes an illness going on today.

    Only an active record can; it is dated by its onset, else by when it was recorded. Up to ``lasts_days`` after
    that date it is current; an older one is a past illness whose record was never closed. An undated active record
    is current: the measures a current illness calls for are not dropped for want of a date.
    """
    if not condition.active:
        return False
    dated = condition.onset or condition.recorded
    return dated is None or today <= dated + timedelta(days=lasts_days)


def allergy_is_current(clinical: StatedStatuses) -> bool:
    """An allergy counts unless its record says it is inactive or resolved."""
    return clinical.isdisjoint(PAST_ALLERGY)


def latest_pregnancy(
    observations: Iterable[PregnancyObservation],
    deliveries: Iterable[ExpectedDelivery],
    conditions: Iterable[ConditionFact],
) -> Pregnancy | None:
    """The latest evidence of pregnancy status, from the observations and the active pregnancy conditions (dated
    by when they were recorded, else their onset); when it says pregnant, with the latest expected delivery date
    recorded for this pregnancy (a term before the evidence is a previous pregnancy's)."""
    evidence = [Pregnancy(o.pregnant, o.observed_on, None, o.source_id) for o in observations]
    evidence += [
        Pregnancy(True, c.recorded or c.onset, None, c.source_id)
        for c in conditions
        if c.concept == Concept.PREGNANCY and c.active
    ]
    if not evidence:
        return None
    latest = max(evidence, key=lambda p: p.observed_on or date.min)
    if not latest.pregnant:
        return latest
    since = latest.observed_on or date.min
    expected = max(
        (d for d in deliveries if d.expected >= since), key=lambda d: (d.observed_on, d.expected), default=None
    )
    return Pregnancy(True, latest.observed_on, expected.expected if expected else None, latest.source_id)


def pregnancy_outlasted(stated_on: date | None, today: date, max_days: int) -> bool:
    """Whether pregnancy evidence dated ``stated_on`` is older than any pregnancy lasts (``max_days``): the
    pregnancy it showed has ended since. Undated evidence is not (vaccinating a pregnant woman is the harm)."""
    return stated_on is not None and (today - stated_on).days > max_days


def current_occupations(occupations: Iterable[Occupation]) -> frozenset[Concept]:
    """The occupations held today: one whose period has any recorded end does not count."""
    held: set[Concept] = set()
    for occupation in occupations:
        if occupation.period is None or occupation.period.end is None:
            held |= occupation.concepts
    return frozenset(held)


def last_contact(contact: RecordedPeriod, now: datetime | None) -> RecordedTime | None:
    """When the last contact of an exposure was: the end of its contact period, else its start.

    A period that has begun and has no usable end, or ends after ``now``, is ongoing (FHIR Period): the last
    contact is now, which keeps the prophylaxis and vaccination windows open rather than closing them on the
    first day of exposure. None when no usable date is recorded.
    """
    start, end = contact.start, contact.end
    ended = isinstance(end, RecordedTime) and (now is None or end.moment <= now)
    if isinstance(start, RecordedTime) and now is not None and not ended:
        return RecordedTime(now, has_time=True)
    if isinstance(end, RecordedTime):
        return end
    return start if isinstance(start, RecordedTime) else None


def exposure_disease(coded: ExposureKind | None) -> ExposureKind:
    """The disease of an exposure: the one its code names; a measles contact when the code names none the
    service can read."""
    return coded if coded is not None else ExposureKind.MEASLES
