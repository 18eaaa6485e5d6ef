"""When an MMR dose counts, and the first date on which the next one would.

One predicate serves recorded doses, planned doses and draft orders: the minimum age, ``min_interval_days``
after any earlier MMR dose (counted or not: a live vaccine interferes whether or not it counted), another live
vaccine the same day or at least ``live_vaccine_interval_days`` before (for a young child, never the same day as
a yellow fever vaccine), and the delay after polyvalent immunoglobulins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from prevention_cds.rules.calendar_math import add_months
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds


class RejectionReason(StrEnum):
    TOO_YOUNG = "too-young"
    DUPLICATE = "duplicate"  # same day as another MMR dose of the record
    TOO_SOON = "too-soon"  # under the minimum interval after an earlier MMR dose
    LIVE_VACCINE = "live-vaccine"  # within the interval after another live vaccine (the same day is allowed)
    IMMUNOGLOBULIN = "immunoglobulin"  # within the delay after polyvalent immunoglobulins
    YELLOW_FEVER_SAME_DAY = "yellow-fever-same-day"  # a young child, the same day as a yellow fever vaccine
    FUTURE_DATE = "future-date"  # recorded as given after today


@dataclass(frozen=True)
class PriorVaccine:
    given_on: date
    display: str
    yellow_fever: bool = False


@dataclass(frozen=True)
class AgeLimits:
    """The days, from the birth date, that decide whether a dose given on some day counts."""

    min_age_on: date | None  # the first day the minimum age is certain; None: not checked (no birth date)
    yellow_fever_apart_until: date  # before this day, a yellow fever vaccine the same day stops the dose counting

    @staticmethod
    def of(birth: BirthBounds | None, min_age_months: int, rules: MmrParameters) -> AgeLimits:
        apart_months = rules.yellow_fever_apart_below_months.value
        if birth is None:  # the child may be young enough: the limit applies, when there is one
            return AgeLimits(None, date.max if apart_months else date.min)
        return AgeLimits(birth.surely_reached(min_age_months), birth.surely_reached(apart_months))


@dataclass(frozen=True)
class Obstacle:
    """Why a dose given on some day does not count, and from when it would."""

    reason: RejectionReason
    event_on: date  # the earlier dose, other vaccine or immunoglobulin date; the minimum-age date if too young
    clears_on: date
    other: str | None = None  # display of the other vaccine


@dataclass(frozen=True)
class SpacingEvents:
    """What constrains the next MMR dose."""

    mmr_doses: tuple[PriorVaccine, ...] = ()
    other_live_vaccines: tuple[PriorVaccine, ...] = ()
    immunoglobulins: tuple[date, ...] = ()

    def with_mmr_dose(self, dose: PriorVaccine) -> SpacingEvents:
        return replace(self, mmr_doses=(*self.mmr_doses, dose))


def _mmr_clears(dose: PriorVaccine, rules: MmrParameters) -> date:
    return dose.given_on + timedelta(days=rules.min_interval_days.value)


def _live_clears(dose: PriorVaccine, rules: MmrParameters) -> date:
    return dose.given_on + timedelta(days=rules.live_vaccine_interval_days.value)


def _immunoglobulin_clears(given_on: date, rules: MmrParameters) -> date:
    return add_months(given_on, rules.immunoglobulin_delay_months.value)


def obstacles(on: date, events: SpacingEvents, limits: AgeLimits, rules: MmrParameters) -> tuple[Obstacle, ...]:
    """Everything that stops an MMR dose given on ``on`` from counting (empty: it counts).

    ``events`` before ``on`` are considered; a dose of ``events.mmr_doses`` on the same day is a duplicate
    (the caller passes only the doses that precede the one judged).
    """
    found: list[Obstacle] = []
    min_age_on = limits.min_age_on
    if min_age_on is not None and on < min_age_on:
        found.append(Obstacle(RejectionReason.TOO_YOUNG, min_age_on, min_age_on))
    earlier_mmr = [d for d in events.mmr_doses if d.given_on <= on]
    if earlier_mmr:
        last = max(earlier_mmr, key=lambda d: d.given_on)
        if last.given_on == on:
            found.append(Obstacle(RejectionReason.DUPLICATE, on, _mmr_clears(last, rules), last.display))
        elif on < _mmr_clears(last, rules):
            found.append(Obstacle(RejectionReason.TOO_SOON, last.given_on, _mmr_clears(last, rules), last.display))
    # another live vaccine the same day is allowed (co-administration), but for a young child not yellow fever
    same_day_yellow_fever = [
        d for d in events.other_live_vaccines if d.yellow_fever and d.given_on == on < limits.yellow_fever_apart_until
    ]
    if same_day_yellow_fever:
        other = same_day_yellow_fever[0]
        found.append(Obstacle(RejectionReason.YELLOW_FEVER_SAME_DAY, on, _live_clears(other, rules), other.display))
    live_conflicts = [d for d in events.other_live_vaccines if d.given_on < on < _live_clears(d, rules)]
    if live_conflicts:
        last_live = max(live_conflicts, key=lambda d: d.given_on)
        found.append(
            Obstacle(
                RejectionReason.LIVE_VACCINE, last_live.given_on, _live_clears(last_live, rules), last_live.display
            )
        )
    ig_conflicts = [g for g in events.immunoglobulins if g <= on < _immunoglobulin_clears(g, rules)]
    if ig_conflicts:
        last_ig = max(ig_conflicts)
        found.append(Obstacle(RejectionReason.IMMUNOGLOBULIN, last_ig, _immunoglobulin_clears(last_ig, rules)))
    return tuple(found)


def earliest_valid(events: SpacingEvents, not_before: date, rules: MmrParameters) -> date:
    """The first date a new dose would count: the latest of ``not_before`` (usually the minimum age), every
    recorded MMR or live vaccine dose plus its interval, and every immunoglobulin date plus its delay."""
    return max(
        (
            not_before,
            *(_mmr_clears(d, rules) for d in events.mmr_doses),
            *(_live_clears(d, rules) for d in events.other_live_vaccines),
            *(_immunoglobulin_clears(g, rules) for g in events.immunoglobulins),
        )
    )
