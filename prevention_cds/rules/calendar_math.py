"""Calendar arithmetic shared by both rule sets: ages in months and years, adding months."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta


def add_months(start: date, months: int) -> date:
    """Same day of month ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day <= 28:  # every month has it: no calendar lookup (a hot path: every dose and age of every record)
        return date(year, month, start.day)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def completed_months(born: date, on: date) -> int:
    """Whole months of age on ``on`` (the monthly birthday counts as completed on that day)."""
    months = (on.year - born.year) * 12 + (on.month - born.month)
    if add_months(born, months) > on:
        months -= 1
    return months


def completed_years(born: date, on: date) -> int:
    return completed_months(born, on) // 12


def elapsed(since: datetime, now: datetime) -> timedelta:
    """``now - since``; a naive datetime is read in the other one's time zone (records mix both)."""
    if (since.tzinfo is None) != (now.tzinfo is None):
        if since.tzinfo is None:
            since = since.replace(tzinfo=now.tzinfo)
        else:
            now = now.replace(tzinfo=since.tzinfo)
    return now - since


def local_date(moment: datetime, now: datetime) -> date:
    """The calendar date of ``moment`` in ``now``'s time zone: 23:30 UTC is already tomorrow in Paris.
    A naive ``moment`` (or ``now``) is read as already local, as in ``elapsed``."""
    if moment.tzinfo is None or now.tzinfo is None:
        return moment.date()
    return moment.astimezone(now.tzinfo).date()
