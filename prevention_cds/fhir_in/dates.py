"""Reading dates: FHIR dates and dateTimes (already typed by the R4B models, or text in a component) as aware
times in practice time, and effective periods."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from prevention_cds.rules.facts import UNREADABLE, RecordedPeriod, RecordedTime, Unreadable
from prevention_cds.settings import PRACTICE_TIMEZONE

# Years outside this range are entry errors or "open-ended" markers (9999-12-31), never clinical facts.
PLAUSIBLE_YEARS = range(1880, 2200)


def as_time(value: Any) -> RecordedTime | None:
    """A typed FHIR date or dateTime as a recorded time (a time without an offset is practice time). Partial or
    implausible dates -> None."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=PRACTICE_TIMEZONE)
        return RecordedTime(aware, True) if aware.year in PLAUSIBLE_YEARS else None
    if isinstance(value, date):
        moment = datetime.combine(value, time(0, 0), tzinfo=PRACTICE_TIMEZONE)
        return RecordedTime(moment, False) if value.year in PLAUSIBLE_YEARS else None
    return None


def as_date(value: Any) -> date | None:
    recorded = as_time(value)
    return recorded.moment.date() if recorded else None


def stated_time(value: Any) -> RecordedTime | Unreadable | None:
    """As ``as_time``, telling a value that is not there (None) from one that cannot be read (UNREADABLE)."""
    if value is None:
        return None
    return as_time(value) or UNREADABLE


def stated_date(value: Any) -> date | Unreadable | None:
    if value is None:
        return None
    return as_date(value) or UNREADABLE


def stated_period(period: Any) -> RecordedPeriod | None:
    """A typed FHIR Period as recorded (None when there is none)."""
    return RecordedPeriod(stated_time(period.start), stated_time(period.end)) if period is not None else None


def effective_time(model: Any) -> RecordedTime | None:
    """effectiveDateTime, or the start of effectivePeriod."""
    period = model.effectivePeriod
    return as_time(model.effectiveDateTime) or (as_time(period.start) if period else None)


def time_from_text(text: Any) -> RecordedTime | None:
    """A dateTime or a full date written as text (components are read from the JSON, not typed by a model)."""
    if not isinstance(text, str):
        return None
    try:
        parsed: date = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None
    return as_time(parsed)
