"""The MMR rule data in force on a date, typed: the only place that reads ``prevention_cds/rules/data/mmr.json``.

Every value is ``Cited``: the rules use ``.value``, and a card cites the value's section by using it through
``Citations.cite`` (``rules/citation.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from prevention_cds.rules.advice import Medicine, Route
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.common_parameters import ChildbearingAge, CommonParameters
from prevention_cds.rules.ruledata import DayValues, RuleData

RULESET = "mmr"


@dataclass(frozen=True)
class MmrParameters:
    min_age_months: Cited[int]
    min_interval_days: Cited[int]
    live_vaccine_interval_days: Cited[int]
    immunoglobulin_delay_months: Cited[int]
    born_since_cutoff: Cited[date]
    target_doses_born_since_cutoff: Cited[int]
    target_doses_professional_before_cutoff: Cited[int]
    target_doses_rubella_woman_before_cutoff: Cited[int]
    mandatory_cohort_from: Cited[date]
    dose_due_age_months: tuple[Cited[int], ...]  # routine calendar, dose 1 then dose 2
    dose_overdue_age_months: tuple[Cited[int], ...]
    overdue_max_age_years: Cited[int]
    free_vaccine_max_age_years: Cited[int]
    reimbursement_rate_percent: Cited[Decimal]
    pep_min_age_months: Cited[int]
    pep_vaccine_window_hours: Cited[int]
    pep_immunoglobulin_window_days: Cited[int]
    post_exposure_current_days: Cited[int]
    professional_pep_doses: Cited[int]
    smpc_min_age_months: Cited[int]
    childbearing_age: ChildbearingAge
    avoid_pregnancy_months: Cited[int]
    pregnancy_evidence_max_days: Cited[int]  # older pregnancy evidence has probably ended
    default_product: Cited[Medicine]
    gelatin_free_product: Cited[Medicine]
    gelatin_free_product_names: Cited[tuple[str, ...]]  # lower case
    route: Cited[Route]
    age_in_months_below_months: Cited[int]
    # a measles case (the patient is ill)
    measles_case_current_days: Cited[int]
    measles_eviction_days_after_rash: Cited[int]
    measles_airborne_hours: Cited[int]
    measles_contagious_days_before_rash: Cited[int]
    yellow_fever_apart_below_months: Cited[int]  # below this age, never the same day as MMR
    # how long after a treatment is stopped a live vaccine still waits
    immunosuppressant_live_vaccine_delay_months: Cited[int]
    anti_cd20_live_vaccine_delay_months: Cited[int]
    chemotherapy_live_vaccine_delay_months: Cited[int]
    corticosteroid_live_vaccine_delay_months: Cited[int]
    # an immunosuppressive corticosteroid dose (not in the record: the card gives it)
    corticosteroid_adult_threshold_mg_per_day: Cited[int]
    corticosteroid_child_threshold_mg_per_kg_per_day: Cited[int]
    corticosteroid_child_threshold_mg_per_day: Cited[int]
    corticosteroid_threshold_days: Cited[int]
    # rules without a number, cited by the cards that apply them
    pregnancy_contraindication: Statement
    severe_immunodeficiency_contraindication: Statement
    mmr_anaphylaxis_contraindication: Statement
    neomycin_anaphylaxis_contraindication: Statement
    hiv_live_vaccine_condition: Statement
    immunocompromising_condition_contraindication: Statement
    immunosuppressive_treatment_contraindication: Statement
    immunoglobulin_groups: Statement
    measles_case_report: Statement
    measles_case_isolation: Statement
    measles_contacts: Statement
    measles_case_no_dose: Statement

    @staticmethod
    def on(day: date) -> MmrParameters:
        return _parameters_on(day)


# The rule data never changes while the service runs, so the parameters of a day are read once: every call
# would otherwise resolve some forty dated values again.
@cache  # one entry per day evaluated: a few kilobytes a day
def _parameters_on(day: date) -> MmrParameters:
    values = RuleData.load(RULESET).on(day)
    common = CommonParameters.on(day)
    parameters = MmrParameters(
        min_age_months=values.integer("min_age_months"),
        min_interval_days=values.integer("min_interval_days"),
        live_vaccine_interval_days=values.integer("live_vaccine_interval_days"),
        immunoglobulin_delay_months=values.integer("immunoglobulin_delay_months"),
        born_since_cutoff=values.day("born_since_cutoff"),
        target_doses_born_since_cutoff=values.integer("target_doses_born_since_cutoff"),
        target_doses_professional_before_cutoff=values.integer("target_doses_professional_before_cutoff"),
        target_doses_rubella_woman_before_cutoff=values.integer("target_doses_rubella_woman_before_cutoff"),
        mandatory_cohort_from=values.day("mandatory_cohort_from"),
        dose_due_age_months=(values.integer("dose1_due_age_months"), values.integer("dose2_due_age_months")),
        dose_overdue_age_months=(
            values.integer("dose1_overdue_age_months"),
            values.integer("dose2_overdue_age_months"),
        ),
        overdue_max_age_years=values.integer("overdue_max_age_years"),
        free_vaccine_max_age_years=values.integer("free_vaccine_max_age_years"),
        reimbursement_rate_percent=values.decimal("reimbursement_rate_percent"),
        pep_min_age_months=values.integer("pep_min_age_months"),
        pep_vaccine_window_hours=values.integer("pep_vaccine_window_hours"),
        pep_immunoglobulin_window_days=values.integer("pep_immunoglobulin_window_days"),
        post_exposure_current_days=values.integer("post_exposure_current_days"),
        professional_pep_doses=values.integer("professional_pep_doses"),
        smpc_min_age_months=values.integer("smpc_min_age_months"),
        childbearing_age=common.childbearing_age,
        avoid_pregnancy_months=values.integer("avoid_pregnancy_months"),
        pregnancy_evidence_max_days=common.pregnancy_evidence_max_days,
        default_product=_medicine(values, "default_product"),
        gelatin_free_product=_medicine(values, "gelatin_free_product"),
        gelatin_free_product_names=_lower(values.texts("gelatin_free_product_names")),
        route=_route(values.text("route")),
        age_in_months_below_months=common.age_in_months_below_months,
        measles_case_current_days=values.integer("measles_case_current_days"),
        measles_eviction_days_after_rash=values.integer("measles_eviction_days_after_rash"),
        measles_airborne_hours=values.integer("measles_airborne_hours"),
        measles_contagious_days_before_rash=values.integer("measles_contagious_days_before_rash"),
        yellow_fever_apart_below_months=values.integer("yellow_fever_apart_below_months"),
        immunosuppressant_live_vaccine_delay_months=values.integer("immunosuppressant_live_vaccine_delay_months"),
        anti_cd20_live_vaccine_delay_months=values.integer("anti_cd20_live_vaccine_delay_months"),
        chemotherapy_live_vaccine_delay_months=values.integer("chemotherapy_live_vaccine_delay_months"),
        corticosteroid_live_vaccine_delay_months=values.integer("corticosteroid_live_vaccine_delay_months"),
        corticosteroid_adult_threshold_mg_per_day=values.integer("corticosteroid_adult_threshold_mg_per_day"),
        corticosteroid_child_threshold_mg_per_kg_per_day=values.integer("corticosteroid_child_threshold_mg_per_kg_per_day"),
        corticosteroid_child_threshold_mg_per_day=values.integer("corticosteroid_child_threshold_mg_per_day"),
        corticosteroid_threshold_days=values.integer("corticosteroid_threshold_days"),
        pregnancy_contraindication=values.statement("pregnancy_contraindication"),
        severe_immunodeficiency_contraindication=values.statement("severe_immunodeficiency_contraindication"),
        mmr_anaphylaxis_contraindication=values.statement("mmr_anaphylaxis_contraindication"),
        neomycin_anaphylaxis_contraindication=values.statement("neomycin_anaphylaxis_contraindication"),
        hiv_live_vaccine_condition=values.statement("hiv_live_vaccine_condition"),
        immunocompromising_condition_contraindication=values.statement("immunocompromising_condition_contraindication"),
        immunosuppressive_treatment_contraindication=values.statement("immunosuppressive_treatment_contraindication"),
        immunoglobulin_groups=values.statement("immunoglobulin_groups"),
        measles_case_report=values.statement("measles_case_report"),
        measles_case_isolation=values.statement("measles_case_isolation"),
        measles_contacts=values.statement("measles_contacts"),
        measles_case_no_dose=values.statement("measles_case_no_dose"),
    )
    values.check_all_read()
    return parameters


def _medicine(values: DayValues, name: str) -> Cited[Medicine]:
    text = values.text(name)
    return Cited(Medicine(text.value), text.ref)


def _route(text: Cited[str]) -> Cited[Route]:
    return Cited(Route(text.value), text.ref)


def _lower(texts: Cited[tuple[str, ...]]) -> Cited[tuple[str, ...]]:
    return Cited(tuple(t.lower() for t in texts.value), texts.ref)
