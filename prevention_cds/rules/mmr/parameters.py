"""The MMR rule data in force on a date, typed: the only place that reads ``prevention_cds/rules/data/mmr.json``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, cached_property

from prevention_cds.rules.advice import GuidelineRef, Medicine, Route
from prevention_cds.rules.ruledata import RuleData, RuleDataError

RULESET = "mmr"


@dataclass(frozen=True)
class MmrParameters:
    min_age_months: int
    min_interval_days: int
    live_vaccine_interval_days: int
    immunoglobulin_delay_months: int
    born_since_cutoff: date
    target_doses_born_since_cutoff: int
    target_doses_professional_before_cutoff: int
    target_doses_rubella_woman_before_cutoff: int
    mandatory_cohort_from: date
    dose_due_age_months: tuple[int, ...]  # routine calendar, dose 1 then dose 2
    dose_overdue_age_months: tuple[int, ...]
    overdue_max_age_years: int
    free_vaccine_max_age_years: int
    reimbursement_rate_percent: Decimal
    pep_min_age_months: int
    pep_vaccine_window_hours: int
    pep_immunoglobulin_window_days: int
    post_exposure_current_days: int
    professional_pep_doses: int
    smpc_min_age_months: int
    childbearing_age_from_years: int
    childbearing_age_until_years: int
    avoid_pregnancy_months: int
    default_product: Medicine
    gelatin_free_product: Medicine
    gelatin_free_product_names: tuple[str, ...]
    route: Route
    age_shown_in_months_until_months: int
    references: tuple[tuple[str, GuidelineRef], ...]

    @staticmethod
    def on(day: date) -> MmrParameters:
        return _parameters_on(day)

    @cached_property
    def _references_by_name(self) -> dict[str, GuidelineRef]:
        return dict(self.references)

    def refs(self, *names: str) -> tuple[GuidelineRef, ...]:
        """The guideline sections of the values a card relied on, in the order given, without repeats."""
        by_name = self._references_by_name
        found: list[GuidelineRef] = []
        for name in names:
            ref = by_name[name]
            if ref not in found:
                found.append(ref)
        return tuple(found)


# The rule data never changes while the service runs, so the parameters of a day are read once: every call
# would otherwise resolve some forty dated values again.
@cache  # one entry per day evaluated: a few hundred bytes a day
def _parameters_on(day: date) -> MmrParameters:
    data = RuleData.load(RULESET)
    return MmrParameters(
        min_age_months=data.int("min_age_months", day),
        min_interval_days=data.int("min_interval_days", day),
        live_vaccine_interval_days=data.int("live_vaccine_interval_days", day),
        immunoglobulin_delay_months=data.int("immunoglobulin_delay_months", day),
        born_since_cutoff=data.date("born_since_cutoff", day),
        target_doses_born_since_cutoff=data.int("target_doses_born_since_cutoff", day),
        target_doses_professional_before_cutoff=data.int("target_doses_professional_before_cutoff", day),
        target_doses_rubella_woman_before_cutoff=data.int("target_doses_rubella_woman_before_cutoff", day),
        mandatory_cohort_from=data.date("mandatory_cohort_from", day),
        dose_due_age_months=(data.int("dose1_due_age_months", day), data.int("dose2_due_age_months", day)),
        dose_overdue_age_months=(
            data.int("dose1_overdue_age_months", day),
            data.int("dose2_overdue_age_months", day),
        ),
        overdue_max_age_years=data.int("overdue_max_age_years", day),
        free_vaccine_max_age_years=data.int("free_vaccine_max_age_years", day),
        reimbursement_rate_percent=data.decimal("reimbursement_rate_percent", day),
        pep_min_age_months=data.int("pep_min_age_months", day),
        pep_vaccine_window_hours=data.int("pep_vaccine_window_hours", day),
        pep_immunoglobulin_window_days=data.int("pep_immunoglobulin_window_days", day),
        post_exposure_current_days=data.int("post_exposure_current_days", day),
        professional_pep_doses=data.int("professional_pep_doses", day),
        smpc_min_age_months=data.int("smpc_min_age_months", day),
        childbearing_age_from_years=data.int("childbearing_age_from_years", day),
        childbearing_age_until_years=data.int("childbearing_age_until_years", day),
        avoid_pregnancy_months=data.int("avoid_pregnancy_months", day),
        default_product=Medicine(_text(data, "default_product", day)),
        gelatin_free_product=Medicine(_text(data, "gelatin_free_product", day)),
        gelatin_free_product_names=_texts(data, "gelatin_free_product_names", day),
        route=Route(_text(data, "route", day)),
        age_shown_in_months_until_months=data.int("age_shown_in_months_until_months", day),
        references=tuple((name, data.ref(name, day)) for name in data.names()),
    )


def _text(data: RuleData, name: str, day: date) -> str:
    value = data.get(name, day).value
    if not isinstance(value, str):
        raise RuleDataError(f"{RULESET}.{name} is not a text")
    return value


def _texts(data: RuleData, name: str, day: date) -> tuple[str, ...]:
    value = data.get(name, day).value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleDataError(f"{RULESET}.{name} is not a list of texts")
    return tuple(v.lower() for v in value)
