"""Time windows: 10 days after the last contact, a previous course still covering, the ideal delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from prevention_cds.rules.advice import Message
from prevention_cds.rules.calendar_math import elapsed, local_date
from prevention_cds.rules.facts import Exposure
from prevention_cds.rules.iim.data import iim_data


@dataclass(frozen=True)
class ContactWindow:
    """Days counted in calendar days from the date of the last contact (day 0)."""

    last_contact: date
    today: date
    length_days: int

    @classmethod
    def after(cls, last_contact: datetime, now: datetime, length_name: str) -> ContactWindow:
        today = now.date()
        return cls(local_date(last_contact, now), today, iim_data().int(length_name, today))

    @property
    def days_since(self) -> int:
        return max(0, (self.today - self.last_contact).days)  # a contact dated later than today counts as today

    @property
    def is_open(self) -> bool:
        return self.days_since <= self.length_days

    @property
    def last_day(self) -> date:
        return self.last_contact + timedelta(days=self.length_days)

    def fact(self) -> Message:
        return Message.of("iim.fact.last-contact", last_contact=self.last_contact, days=self.days_since)


def prophylaxis_window(last_contact: datetime, now: datetime) -> ContactWindow:
    return ContactWindow.after(last_contact, now, "contact_window_days")


def vaccination_window(last_contact: datetime, now: datetime) -> ContactWindow:
    return ContactWindow.after(last_contact, now, "vaccination_window_days")


def covered_by_prior_course(exposure: Exposure, today: date) -> bool:
    """A course that ended 10 days ago or less still covers: no new course (clinical.md §A.7)."""
    ended = exposure.prior_prophylaxis_ended_on
    return ended is not None and (today - ended).days <= iim_data().int("prior_course_cover_days", today)


def urgency(window: ContactWindow) -> Message:
    data, on = iim_data(), window.today
    return Message.of(
        "iim.urgency",
        min_h=data.int("ideal_delay_hours_min", on),
        max_h=data.int("ideal_delay_hours_max", on),
        last_day=window.last_day,
        window_days=window.length_days,
    )


def not_later(first: datetime, second: datetime, *, date_only: bool) -> bool:
    """``first`` at or before ``second``; by date when a time is missing (the same day counts: the reading
    that keeps the person a contact)."""
    if date_only:
        return local_date(first, second) <= second.date()
    return elapsed(first, second) >= timedelta(0)
