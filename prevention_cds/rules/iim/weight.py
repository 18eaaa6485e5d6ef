"""Whether the recorded weight can carry a mg/kg dose: missing, dated in the future, implausible, stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from prevention_cds.rules.advice import Message, ParamValue
from prevention_cds.rules.calendar_math import local_date
from prevention_cds.rules.facts import PatientRecord, RecordElement, WeightMeasurement
from prevention_cds.rules.iim.age import Age
from prevention_cds.rules.iim.parameters import IimParameters


class WeightProblem(StrEnum):
    MISSING = "missing"
    UNREADABLE = "unreadable"  # a weight is recorded, in a form that cannot be read (its unit, its value)
    FUTURE = "future"
    IMPLAUSIBLE = "implausible"
    STALE = "stale"


@dataclass(frozen=True)
class UsableWeight:
    kilograms: Decimal  # the dose is computed from it
    measured_on: date
    measurement: WeightMeasurement
    shown_kg: Decimal  # as the card and the instructions show it (``weight_display_step_kg``)

    @property
    def recorded_as_shown(self) -> bool:
        """The entry reads as the weight shown ("20 kg", "3,5 kg"): no need to repeat it."""
        value, _, unit = self.measurement.original_value.strip().replace(",", ".").partition(" ")
        try:
            return unit.strip() == "kg" and Decimal(value) == self.shown_kg
        except ArithmeticError:
            return False


@dataclass(frozen=True)
class WeightUnavailable:
    problem: WeightProblem
    measurement: WeightMeasurement | None = None
    measured_on: date | None = None  # in the practice's time zone
    min_kg: Decimal | None = None
    max_kg: Decimal | None = None
    max_age_days: int | None = None
    shown_kg: Decimal | None = None  # the weight as the card shows it

    def message(self) -> Message:
        if self.problem is WeightProblem.UNREADABLE:
            return Message.of("iim.weight.unreadable")
        if self.measurement is None or self.measured_on is None:
            return Message.of("iim.weight.missing")
        shown = self.shown_kg if self.shown_kg is not None else self.measurement.kilograms
        params: dict[str, ParamValue] = {"weight_kg": shown, "weighed_on": self.measured_on}
        if self.problem is WeightProblem.IMPLAUSIBLE and self.min_kg is not None and self.max_kg is not None:
            return Message.of("iim.weight.implausible", min_kg=self.min_kg, max_kg=self.max_kg, **params)
        if self.problem is WeightProblem.STALE and self.max_age_days is not None:
            return Message.of("iim.weight.stale", max_days=self.max_age_days, **params)
        return Message.of("iim.weight.future", **params)


WeightStatus = UsableWeight | WeightUnavailable


def plausible_bounds(age: Age | None, rules: IimParameters) -> tuple[Decimal, Decimal]:
    """Absolute bounds, narrowed by age: an adult's weight on a child's chart must not be dosed from."""
    low, high = rules.weight_min_kg.value, rules.weight_max_kg.value
    row = age.row(rules.weight_plausible_by_age.value) if age is not None else None
    if row is not None:
        low, high = max(low, row.value.min_kg), min(high, row.value.max_kg)
    return low, high


def max_weight_age_days(age: Age | None, rules: IimParameters) -> int | None:
    """How old a weighing may be at this age (None: no limit — adults get fixed doses)."""
    row = age.row(rules.weight_max_age_by_age.value) if age is not None else None
    return row.value if row is not None else None


def weight_status(record: PatientRecord, age: Age | None, now: datetime, rules: IimParameters) -> WeightStatus:
    """Judge the latest weighing only: an older plausible one would hide a data problem."""
    latest = record.latest_weight
    if latest is None:
        unreadable = any(v.element is RecordElement.WEIGHT for v in record.unreadable)
        return WeightUnavailable(WeightProblem.UNREADABLE if unreadable else WeightProblem.MISSING)
    today, measured_on = now.date(), local_date(latest.measured_at, now)
    shown = shown_kg(latest.kilograms, rules)
    if measured_on > today:
        return WeightUnavailable(WeightProblem.FUTURE, latest, measured_on, shown_kg=shown)
    low, high = plausible_bounds(age, rules)
    if not low <= latest.kilograms <= high:
        return WeightUnavailable(
            WeightProblem.IMPLAUSIBLE, latest, measured_on, min_kg=low, max_kg=high, shown_kg=shown
        )
    max_days = max_weight_age_days(age, rules)
    if max_days is not None and (today - measured_on).days > max_days:
        return WeightUnavailable(WeightProblem.STALE, latest, measured_on, max_age_days=max_days, shown_kg=shown)
    return UsableWeight(latest.kilograms, measured_on, latest, shown)


def shown_kg(kilograms: Decimal, rules: IimParameters) -> Decimal:
    return kilograms.quantize(rules.weight_display_step_kg.value, rounding=ROUND_HALF_UP)
