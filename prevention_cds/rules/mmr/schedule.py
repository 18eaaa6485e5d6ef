"""Dates of the doses still owed: earliest, due and overdue, following the routine calendar.

- earliest: the first date the dose would count (minimum age, the intervals after any MMR or live vaccine dose
  and after immunoglobulins; the following dose the MMR interval after this one's due date);
- due: the calendar age while the patient has not reached it, otherwise now (catch-up), never before earliest;
- overdue: for a minor on the routine calendar, the age after which the dose is late (docs/clinical-decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prevention_cds.rules.advice import ForecastStatus
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds
from prevention_cds.rules.mmr.validity import PriorVaccine, SpacingEvents, earliest_valid

PLANNED = "planned"  # display of a planned dose when it constrains the next one


@dataclass(frozen=True)
class PlannedDose:
    number: int
    series: int
    earliest: date
    due: date
    overdue: date | None
    status: ForecastStatus
    on_calendar: bool  # the patient has not passed the calendar age for this dose
    counts: bool = True  # False for the post-exposure dose of an infant under the minimum age
    follows_planned: bool = False  # its earliest date is set by the previous planned dose (the interval)
    at_min_age: bool = False  # a later dose whose date is set by the minimum age, not by the previous dose


@dataclass(frozen=True)
class PlanRequest:
    counted: int  # valid doses already given
    owed: int  # valid doses still owed
    routine_calendar: bool
    overdue_applies: bool  # a minor: a dose past its calendar age is overdue
    post_exposure_dose: bool = False  # an uncounted infant dose first (within the post-exposure vaccine window)
    due_now: bool = False  # post-exposure: the next dose now, not at its calendar age
    not_before: date | None = None  # e.g. the expected delivery date


def plan_doses(
    request: PlanRequest, birth: BirthBounds, events: SpacingEvents, today: date, rules: MmrParameters
) -> tuple[PlannedDose, ...]:
    extra = 1 if request.post_exposure_dose else 0
    total = request.owed + extra
    series = request.counted + total
    planned: list[PlannedDose] = []
    recorded = events  # before any planned dose
    for index in range(total):
        uncounted = request.post_exposure_dose and index == 0
        min_age = (rules.pep_min_age_months if uncounted else rules.min_age_months).value
        reached = birth.surely_reached(min_age)
        earliest = earliest_valid(events, reached, rules)
        unplanned = earliest_valid(recorded, reached, rules)  # what the record alone allows
        if request.not_before is not None:
            earliest, unplanned = max(earliest, request.not_before), max(unplanned, request.not_before)
        slot = request.counted + index - extra  # position in the routine calendar
        calendar = request.routine_calendar and not uncounted and slot < len(rules.dose_due_age_months)
        calendar_due = birth.surely_reached(rules.dose_due_age_months[slot].value) if calendar else None
        calendar_overdue = birth.possibly_reached(rules.dose_overdue_age_months[slot].value) if calendar else None
        first = index == 0
        if calendar_due is not None and calendar_due > today and not (first and request.due_now):
            due = max(earliest, calendar_due)
        else:
            due = max(earliest, today)
        overdue = calendar_overdue if request.overdue_applies and not uncounted else None
        status = ForecastStatus.OVERDUE if overdue is not None and overdue <= today else ForecastStatus.DUE
        planned.append(
            PlannedDose(
                number=request.counted + index + 1,
                series=series,
                earliest=earliest,
                due=due,
                overdue=overdue,
                status=status,
                on_calendar=calendar_overdue is not None and calendar_overdue > today,
                counts=not uncounted,
                follows_planned=earliest > unplanned,
                at_min_age=not first and due == earliest == reached,
            )
        )
        events = events.with_mmr_dose(PriorVaccine(due, PLANNED))
    return tuple(planned)


def next_dose_expected(plan: tuple[PlannedDose, ...], today: date) -> bool:
    """A card is worth showing: the next dose is due now, or the patient is past its calendar age."""
    return bool(plan) and (plan[0].due <= today or not plan[0].on_calendar)
