"""The IIM rule data in force on a date, typed: the only place that reads ``prevention_cds/rules/data/iim.json``.

Every value is ``Cited``: the rules use ``.value``, and a card cites the value's section by using it through
``Citations.cite`` (``rules/citation.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, Generic, TypeVar

from prevention_cds.rules.advice import Medicine, Route
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.common_parameters import ChildbearingAge, CommonParameters
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import IimSerogroup
from prevention_cds.rules.iim.contact_setting import ContactSetting, SettingRule
from prevention_cds.rules.ruledata import DayValues, RuleData, RuleDataError

RULESET = "iim"
T = TypeVar("T")
U = TypeVar("U")

_AGE_UNITS = {"below_age_days": "d", "below_age_months": "mo", "below_age_years": "a"}


@dataclass(frozen=True)
class AgeLimit:
    amount: int
    unit: str  # UCUM: "d" days, "mo" completed months, "a" completed years


@dataclass(frozen=True)
class AgeBandRow(Generic[T]):
    """A row of an age-banded table: applies below ``below``, or at any age when None."""

    below: AgeLimit | None
    value: T


@dataclass(frozen=True)
class WeightRange:
    min_kg: Decimal
    max_kg: Decimal


AgeBanded = tuple[AgeBandRow[T], ...]


@dataclass(frozen=True)
class OralSuspension:
    mg: Cited[Decimal]  # ``mg`` in ``ml``
    ml: Cited[Decimal]
    bottle_ml: Cited[Decimal]


@dataclass(frozen=True)
class RifampicinValues:
    adult_dose_mg: Cited[Decimal]
    child_mg_per_kg: Cited[Decimal]
    neonate_mg_per_kg: Cited[Decimal]
    max_dose_mg: Cited[Decimal]
    doses_per_day: Cited[int]
    interval_hours: Cited[int]
    duration_days: Cited[int]
    suspension: OralSuspension
    capsule_mg: Cited[Decimal]
    capsule_from_age_years: Cited[int]  # capsules are contraindicated below
    capsule_child_tolerance_percent: Cited[int]
    capsule_products: Cited[Mapping[Concept, Decimal]]  # capsule product ValueSet -> mg per capsule
    routes: Cited[tuple[Route, ...]]  # the first is the one proposed
    contraindications: Statement


@dataclass(frozen=True)
class CiprofloxacinValues:
    adult_dose_mg: Cited[Decimal]
    child_mg_per_kg: Cited[Decimal]
    max_dose_mg: Cited[Decimal]
    child_dose_provisional: Cited[bool]
    suspension: OralSuspension
    routes: Cited[tuple[Route, ...]]
    contraindications: Statement
    neonate_restriction: Statement


@dataclass(frozen=True)
class CeftriaxoneValues:
    adult_dose_mg: Cited[Decimal]
    child_dose_mg: Cited[Decimal]
    routes: Cited[tuple[Route, ...]]
    contraindications: Statement
    neonate_restriction: Statement
    preterm_until_postmenstrual_weeks: Cited[int]


class InteractionLevel(StrEnum):
    """The Thésaurus levels, most severe first."""

    CONTRAINDICATED = "contraindicated"
    AVOID = "avoid"  # association déconseillée
    PRECAUTION = "precaution"  # précaution d'emploi
    TO_CONSIDER = "to-consider"  # à prendre en compte


class InteractionAction(StrEnum):
    """What the rules do when the record holds the interacting medicine."""

    EXCLUDE = "exclude"  # the antibiotic is not proposed (a contraindication)
    SECOND_LINE_FIRST = "second-line-first"  # rifampicin: a 2-day course is unsafe, the second line comes first
    PREFER_CEFTRIAXONE = "prefer-ceftriaxone"  # ciprofloxacin stays possible, ceftriaxone is recommended
    ADVISE = "advise"  # the antibiotic stays, with what to do
    INFORM = "inform"  # the antibiotic stays; the interaction is told on the explanation page, not the card


@dataclass(frozen=True)
class InteractionRule:
    """One ``interaction_*`` entry: an antibiotic, the ValueSet of the medicines it interacts with, what to do."""

    drug: Concept  # the prophylaxis antibiotic
    medicines: Concept
    level: InteractionLevel
    action: InteractionAction


@dataclass(frozen=True)
class IimParameters:
    contact_settings: Cited[Mapping[ContactSetting, SettingRule]]
    contact_window_days: Cited[int]
    ideal_delay_hours_min: Cited[int]
    ideal_delay_hours_max: Cited[int]
    prior_course_cover_days: Cited[int]
    repeat_case_period_months: Cited[int]
    second_line_indications: Statement
    neonate_below_age_days: Cited[int]
    adult_from_age_years: Cited[int]
    rifampicin: RifampicinValues
    ciprofloxacin: CiprofloxacinValues
    ceftriaxone: CeftriaxoneValues
    oral_suspension_volume_step_ml: Cited[Decimal]
    weight_display_step_kg: Cited[Decimal]  # a weight shown on a card or instruction; the dose uses it unrounded
    weight_min_kg: Cited[Decimal]
    weight_max_kg: Cited[Decimal]
    weight_plausible_by_age: Cited[AgeBanded[WeightRange]]
    weight_max_age_by_age: Cited[AgeBanded[int]]  # days
    vaccination_window_days: Cited[int]
    vaccination_serogroups: Cited[frozenset[IimSerogroup]]
    contact_vaccine: Cited[Medicine]
    contact_vaccine_routes: Cited[tuple[Route, ...]]
    contact_vaccine_min_age_days: Cited[int]
    contact_vaccine_products_by_age: Cited[AgeBanded[str]]  # the licensed products at an age
    menacwy_calendar_doses_months: Cited[tuple[int, ...]]
    prior_doses_counting: Cited[Mapping[IimSerogroup, tuple[Concept, ...]]]
    prior_dose_min_age_months: Cited[int]
    prior_dose_validity_years: Cited[int]
    contraception_barrier_days_after: Cited[int]
    ciprofloxacin_absorption_spacing_hours: Cited[int]
    childbearing_age: ChildbearingAge
    age_in_months_below_months: Cited[int]
    pregnancy_evidence_max_days: Cited[int]
    newborn_vitamin_k_min_mg: Cited[Decimal]
    newborn_vitamin_k_max_mg: Cited[Decimal]
    index_case_eradicating_treatments: Cited[tuple[Concept, ...]]
    order_dose_tolerance_percent: Cited[int]
    interactions: tuple[Cited[InteractionRule], ...]  # most severe level first
    unit_dispensing: Statement
    preterm_unknown_gestation_weeks: Cited[int]
    index_case_notification: Statement
    index_case_vaccination: Statement
    index_case_complement_screening: Statement
    cluster_management: Statement

    @staticmethod
    def on(day: date) -> IimParameters:
        return _parameters_on(day)


# The rule data never changes while the service runs, so the parameters of a day are read once.
@cache  # one entry per day evaluated: a few kilobytes a day
def _parameters_on(day: date) -> IimParameters:
    values = RuleData.load(RULESET).on(day)
    common = CommonParameters.on(day)
    parameters = IimParameters(
        contact_settings=_settings(values.raw("contact_settings")),
        contact_window_days=values.integer("contact_window_days"),
        ideal_delay_hours_min=values.integer("ideal_delay_hours_min"),
        ideal_delay_hours_max=values.integer("ideal_delay_hours_max"),
        prior_course_cover_days=values.integer("prior_course_cover_days"),
        repeat_case_period_months=values.integer("repeat_case_period_months"),
        second_line_indications=values.statement("second_line_indications"),
        neonate_below_age_days=values.integer("neonate_below_age_days"),
        adult_from_age_years=values.integer("adult_from_age_years"),
        rifampicin=RifampicinValues(
            adult_dose_mg=values.decimal("rifampicin_adult_dose_mg"),
            child_mg_per_kg=values.decimal("rifampicin_child_mg_per_kg"),
            neonate_mg_per_kg=values.decimal("rifampicin_neonate_mg_per_kg"),
            max_dose_mg=values.decimal("rifampicin_max_dose_mg"),
            doses_per_day=values.integer("rifampicin_doses_per_day"),
            interval_hours=values.integer("rifampicin_interval_hours"),
            duration_days=values.integer("rifampicin_duration_days"),
            suspension=_suspension(values, "rifampicin"),
            capsule_mg=values.decimal("rifampicin_capsule_mg"),
            capsule_from_age_years=values.integer("rifampicin_capsule_from_age_years"),
            capsule_child_tolerance_percent=values.integer("rifampicin_capsule_child_tolerance_percent"),
            capsule_products=_map(
                values.raw("rifampicin_capsule_products"),
                lambda table: {Concept(k): Decimal(str(v)) for k, v in table.items()},
            ),
            routes=_routes(values, "rifampicin_routes"),
            contraindications=values.statement("rifampicin_contraindications"),
        ),
        ciprofloxacin=CiprofloxacinValues(
            adult_dose_mg=values.decimal("ciprofloxacin_adult_dose_mg"),
            child_mg_per_kg=values.decimal("ciprofloxacin_child_mg_per_kg"),
            max_dose_mg=values.decimal("ciprofloxacin_max_dose_mg"),
            child_dose_provisional=values.flag("ciprofloxacin_child_dose_provisional"),
            suspension=_suspension(values, "ciprofloxacin"),
            routes=_routes(values, "ciprofloxacin_routes"),
            contraindications=values.statement("ciprofloxacin_contraindications"),
            neonate_restriction=values.statement("ciprofloxacin_neonate_restriction"),
        ),
        ceftriaxone=CeftriaxoneValues(
            adult_dose_mg=values.decimal("ceftriaxone_adult_dose_mg"),
            child_dose_mg=values.decimal("ceftriaxone_child_dose_mg"),
            routes=_routes(values, "ceftriaxone_routes"),
            contraindications=values.statement("ceftriaxone_contraindications"),
            neonate_restriction=values.statement("ceftriaxone_neonate_restriction"),
            preterm_until_postmenstrual_weeks=values.integer("ceftriaxone_preterm_until_postmenstrual_weeks"),
        ),
        oral_suspension_volume_step_ml=values.decimal("oral_suspension_volume_step_ml"),
        weight_display_step_kg=values.decimal("weight_display_step_kg"),
        weight_min_kg=values.decimal("weight_min_kg"),
        weight_max_kg=values.decimal("weight_max_kg"),
        weight_plausible_by_age=_age_banded(
            values.raw("weight_plausible_by_age"),
            lambda row: WeightRange(Decimal(str(row["min_kg"])), Decimal(str(row["max_kg"]))),
        ),
        weight_max_age_by_age=_age_banded(values.raw("weight_max_age_by_age"), lambda row: int(row["max_days"])),
        vaccination_window_days=values.integer("vaccination_window_days"),
        vaccination_serogroups=_map(values.texts("vaccination_serogroups"), lambda v: frozenset(map(IimSerogroup, v))),
        contact_vaccine=_map(values.text("contact_vaccine"), Medicine),
        contact_vaccine_routes=_routes(values, "contact_vaccine_routes"),
        contact_vaccine_min_age_days=values.integer("contact_vaccine_min_age_days"),
        contact_vaccine_products_by_age=_age_banded(
            values.raw("contact_vaccine_products_by_age"), lambda row: str(row["products"])
        ),
        menacwy_calendar_doses_months=_map(values.raw("menacwy_calendar_doses_months"), lambda v: tuple(map(int, v))),
        prior_doses_counting=_map(
            values.raw("prior_doses_counting"),
            lambda table: {IimSerogroup(group): tuple(map(Concept, concepts)) for group, concepts in table.items()},
        ),
        prior_dose_min_age_months=values.integer("prior_dose_min_age_months"),
        prior_dose_validity_years=values.integer("prior_dose_validity_years"),
        contraception_barrier_days_after=values.integer("contraception_barrier_days_after"),
        ciprofloxacin_absorption_spacing_hours=values.integer("ciprofloxacin_absorption_spacing_hours"),
        childbearing_age=common.childbearing_age,
        age_in_months_below_months=common.age_in_months_below_months,
        pregnancy_evidence_max_days=common.pregnancy_evidence_max_days,
        newborn_vitamin_k_min_mg=values.decimal("newborn_vitamin_k_min_mg"),
        newborn_vitamin_k_max_mg=values.decimal("newborn_vitamin_k_max_mg"),
        index_case_eradicating_treatments=_map(
            values.texts("index_case_eradicating_treatments"), lambda v: tuple(map(Concept, v))
        ),
        order_dose_tolerance_percent=values.integer("order_dose_tolerance_percent"),
        interactions=_interactions(values),
        unit_dispensing=values.statement("unit_dispensing"),
        preterm_unknown_gestation_weeks=values.integer("preterm_unknown_gestation_weeks"),
        index_case_notification=values.statement("index_case_notification"),
        index_case_vaccination=values.statement("index_case_vaccination"),
        index_case_complement_screening=values.statement("index_case_complement_screening"),
        cluster_management=values.statement("cluster_management"),
    )
    values.check_all_read()
    return parameters


def _map(cited: Cited[T], parse: Callable[[T], U]) -> Cited[U]:
    """The value parsed into the rules' own types, with its source kept."""
    try:
        return Cited(parse(cited.value), cited.ref)
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleDataError(f"{RULESET}: {cited.ref.section!r}: {exc}") from exc


_LEVEL_ORDER = tuple(InteractionLevel)


def _interactions(values: DayValues) -> tuple[Cited[InteractionRule], ...]:
    rules = [
        _map(
            values.raw(name),
            lambda row: InteractionRule(
                Concept(row["drug"]),
                Concept(row["medicines"]),
                InteractionLevel(row["level"]),
                InteractionAction(row["action"]),
            ),
        )
        for name in values.names_starting("interaction_")
    ]
    return tuple(sorted(rules, key=lambda r: _LEVEL_ORDER.index(r.value.level)))


def _suspension(values: DayValues, drug: str) -> OralSuspension:
    """The oral suspension of ``drug``: mg per so many mL, and the bottle's volume."""
    return OralSuspension(values.decimal(f"{drug}_suspension_mg"), values.decimal(f"{drug}_suspension_ml"),
                          values.decimal(f"{drug}_suspension_bottle_ml"))


def _routes(values: DayValues, name: str) -> Cited[tuple[Route, ...]]:
    routes = _map(values.texts(name), lambda v: tuple(map(Route, v)))
    if not routes.value:
        raise RuleDataError(f"{RULESET}.{name}: no route")
    return routes


def _settings(table: Cited[Any]) -> Cited[Mapping[ContactSetting, SettingRule]]:
    def parse(rows: Mapping[str, Mapping[str, bool]]) -> Mapping[ContactSetting, SettingRule]:
        return {
            ContactSetting(code): SettingRule(
                setting=ContactSetting(code),
                prophylaxis=row["prophylaxis"],
                close_circle=row["close_circle"],
                until_case_first_effective_antibiotic=row.get("until_case_first_effective_antibiotic", False),
            )
            for code, row in rows.items()
        }

    return _map(table, parse)


def _age_banded(table: Cited[Any], parse_row: Callable[[Mapping[str, Any]], U]) -> Cited[AgeBanded[U]]:
    def parse(rows: list[Mapping[str, Any]]) -> AgeBanded[U]:
        parsed: list[AgeBandRow[U]] = []
        for row in rows:
            bounds = [AgeLimit(row[key], unit) for key, unit in _AGE_UNITS.items() if key in row]
            if len(bounds) > 1:
                raise ValueError("a row has more than one age bound")
            parsed.append(AgeBandRow(bounds[0] if bounds else None, parse_row(row)))
        return tuple(parsed)

    return _map(table, parse)
