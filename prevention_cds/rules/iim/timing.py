"""Time windows: after the last contact, a previous course still covering, the ideal delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from prevention_cds.rules.advice import Message
from prevention_cds.rules.calendar_math import elapsed, local_date
from prevention_cds.rules.citation import Cited
from prevention_cds.rules.facts import Exposure
from prevention_cds.rules.iim.parameters import IimParameters


@dataclass(frozen=True)
class ContactWindow:
    """Days counted in calendar days from the date of the last contact (day 0). A last contact recorded after
    today counts as today (clinical-decisions D.2): every deadline runs from today, and the card says the
    recorded date is in the future."""

    recorded: date  # the date of the last contact in the record
    today: date
    length: Cited[int]  # days

    @classmethod
    def after(cls, last_contact: datetime, now: datetime, length: Cited[int]) -> ContactWindow:
        return cls(local_date(last_contact, now), now.date(), length)

    @property
    def last_contact(self) -> date:
        return min(self.recorded, self.today)

    @property
    def in_future(self) -> bool:
        return self.recorded > self.today

    @property
    def length_days(self) -> int:
        return self.length.value

    @property
    def days_since(self) -> int:
        return (self.today - self.last_contact).days

    @property
    def is_open(self) -> bool:
        return self.days_since <= self.length_days

    @property
    def last_day(self) -> date:
        return self.last_contact + timedelta(days=self.length_days)

    def fact(self) -> Message:
        if self.in_future:
            return Message.decisive_of("iim.fact.last-contact-future", recorded=self.recorded, today=self.today)
        return Message.decisive_of("iim.fact.last-contact", last_contact=self.last_contact, days=self.days_since)


def prophylaxis_window(last_contact: datetime, now: datetime, rules: IimParameters) -> ContactWindow:
    return ContactWindow.after(last_contact, now, rules.contact_window_days)


def vaccination_window(last_contact: datetime, now: datetime, rules: IimParameters) -> ContactWindow:
    return ContactWindow.after(last_contact, now, rules.vaccination_window_days)


def covered_by_prior_course(exposure: Exposure, today: date, rules: IimParameters) -> bool:
    """A course that ended within the cover period still covers: no new course."""
    ended = exposure.prior_prophylaxis_ended_on
    return ended is not None and (today - ended).days <= rules.prior_course_cover_days.value


def urgency(window: ContactWindow, rules: IimParameters) -> Message:
    return Message.of(
        "iim.urgency",
        min_h=rules.ideal_delay_hours_min.value,
        max_h=rules.ideal_delay_hours_max.value,
        last_day=window.last_day,
        window_days=window.length_days,
    )


def not_later(first: datetime, second: datetime, *, date_only: bool) -> bool:
    """``first`` at or before ``second``; by date when a time is missing (the same day counts: the reading
    that keeps the person a contact)."""
    if date_only:
        return local_date(first, second) <= second.date()
    return elapsed(first, second) >= timedelta(0)
