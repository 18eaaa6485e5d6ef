"""Vaccination of contacts around a case (clinical.md §A.8).

A serogroup of ``vaccination_serogroups``, a contact in the case's regular close circle, within the
vaccination window after the last contact: one dose of the contact vaccine (conjugate ACWY, which also covers
C), from its minimum age. A previous dose counts only if given from ``prior_dose_min_age_months`` of age and
less than ``prior_dose_validity_years`` ago (fiche 9-2 bis, derived rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from prevention_cds.rules.advice import (
    DoseSchedule,
    ForecastDose,
    ForecastStatus,
    GuidelineRef,
    ImmunizationForecast,
    MedicationProposal,
    Medicine,
    Message,
    ParamValue,
    TargetDisease,
)
from prevention_cds.rules.calendar_math import add_months, add_years
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import IimSerogroup, VaccineDose
from prevention_cds.rules.iim.age import Age
from prevention_cds.rules.iim.contact import ContactAssessment
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.timing import vaccination_window


@dataclass(frozen=True)
class VaccinationOutcome:
    message: Message  # why no vaccine, or what is due
    forecast: ImmunizationForecast | None = None
    proposal: MedicationProposal | None = None
    facts: tuple[Message, ...] = ()
    decisions: tuple[Message, ...] = ()
    serogroup: str = ""  # set with a forecast
    last_day: date | None = None  # last day of the vaccination window, set with a forecast
    basis: tuple[GuidelineRef, ...] = ()  # with a forecast: the sources of the window, vaccine and dose rules
    schedule: Message = field(default_factory=lambda: Message.of("iim.vaccination.schedule"))  # with the calendar


# Per contact vaccine of the rule data: its name, the instruction of its dose
_VACCINE_KEYS = {
    Medicine.MENACWY_CONJUGATE_VACCINE: (
        "iim.vaccine.menacwy-conjugate-vaccine",
        "iim.instruction.vaccine.menacwy-conjugate-vaccine",
    ),
}


# The products licensed at an age (``contact_vaccine_products_by_age``), in words
_PRODUCTS = {
    "nimenrix": "iim.vaccine.products.nimenrix",
    "nimenrix-menquadfi": "iim.vaccine.products.nimenrix-menquadfi",
    "nimenrix-menquadfi-menveo": "iim.vaccine.products.nimenrix-menquadfi-menveo",
}


def vaccine_label(vaccine: Medicine) -> Message:
    return Message.of(_VACCINE_KEYS[vaccine][0])


def contact_vaccination(patient: PatientProfile, contact: ContactAssessment) -> VaccinationOutcome:
    rules, today = patient.rules, patient.today
    window = vaccination_window(contact.last_contact, patient.now, rules)
    serogroup = contact.exposure.serogroup
    if serogroup is None or serogroup is IimSerogroup.UNKNOWN:
        if window.is_open:
            # a dated step: on the card
            unknown = Message.decisive_of("iim.vaccination.serogroup-unknown", last_day=window.last_day)
            return VaccinationOutcome(unknown)
        return VaccinationOutcome(Message.of("iim.vaccination.window-closed", window_days=window.length_days))
    if serogroup not in rules.vaccination_serogroups.value:
        if contact.exposure.repeated_case_in_community:  # not a sporadic case: the authorities decide
            return VaccinationOutcome(Message.of("iim.vaccination.cluster-ars", serogroup=serogroup.value))
        return VaccinationOutcome(Message.of("iim.vaccination.serogroup-not-covered", serogroup=serogroup.value))
    if not contact.close_circle:
        return VaccinationOutcome(Message.of("iim.vaccination.not-close-circle", setting=contact.setting_label()))
    if not window.is_open:
        return VaccinationOutcome(Message.of("iim.vaccination.window-closed", window_days=window.length_days))
    if patient.age is None:
        return VaccinationOutcome(Message.decisive_of("iim.vaccination.age-unknown", last_day=window.last_day))
    # The latest possible birth date: a dose is 'before the minimum age' for the most patients.
    born = patient.age.youngest.born
    counted, rejected = _prior_doses(patient, serogroup, born)
    prior_rule = Message.of(
        "iim.decision.prior-dose-rule",
        months=rules.prior_dose_min_age_months.value,
        years=rules.prior_dose_validity_years.value,
    )
    decisions = (prior_rule,) if counted or rejected else ()
    if counted is not None:
        message = Message.of("iim.vaccination.already-protected", vaccine=dose_name(counted), given_on=counted.given_on)
        return VaccinationOutcome(message, facts=rejected, decisions=decisions)
    cites = Citations(window.length, rules.contact_vaccine)
    eligible_on = born + timedelta(days=cites.cite(rules.contact_vaccine_min_age_days))
    if eligible_on > window.last_day:
        message = Message.of("iim.vaccination.too-young", eligible_on=eligible_on, last_day=window.last_day)
        return VaccinationOutcome(message, facts=rejected, decisions=decisions)
    cites.add(rules.prior_doses_counting)
    earliest = max(today, eligible_on)
    vaccine = rules.contact_vaccine.value
    at_dose = Age(born, earliest)
    by_age = cites.cite(rules.contact_vaccine_products_by_age)
    row = at_dose.row(by_age)
    products = Message.of(_PRODUCTS[row.value]) if row is not None else vaccine_label(vaccine)
    params: dict[str, ParamValue] = {
        "serogroup": serogroup.value,
        "earliest": earliest,
        "last_day": window.last_day,
        "products": products,
    }
    description = Message.of("iim.vaccination.due", **params)
    schedule = Message.of("iim.vaccination.schedule")
    calendar = rules.menacwy_calendar_doses_months
    if at_dose.months < calendar.value[-1]:  # an infant before the booster: how the dose fits the calendar
        first, *_, booster = cites.cite(calendar)
        schedule = Message.of("iim.vaccination.infant-calendar", first_months=first, booster_months=booster)
    forecast = ImmunizationForecast(
        vaccine=vaccine,
        target_diseases=(TargetDisease.MENINGOCOCCAL_DISEASE,),
        doses=(
            ForecastDose(
                1, 1, ForecastStatus.DUE, earliest=earliest, due=earliest, reason=description, latest=window.last_day
            ),
        ),
        description=description,
    )
    proposal = MedicationProposal(
        medicine=vaccine,
        route=rules.contact_vaccine_routes.value[0],
        schedule=DoseSchedule.single_dose(),
        instruction=Message.of(_VACCINE_KEYS[vaccine][1], **params),
        reason_reference=contact.exposure.source_id,  # no reason code: Z29.2 is for chemoprophylaxis
    )
    return VaccinationOutcome(
        description, forecast, proposal, rejected, decisions, serogroup.value, window.last_day, cites.refs, schedule
    )


# A dose recorded without a name is worded by its kind, in the card's language (a code's display is English)
_DOSE_KINDS = (
    (Concept.MENACWY_VACCINE, "iim.dose-kind.menacwy"),
    (Concept.MENB_VACCINE, "iim.dose-kind.menb"),
    (Concept.MENC_VACCINE, "iim.dose-kind.menc"),
)


def dose_name(dose: VaccineDose) -> ParamValue:
    """A previous meningococcal dose as the record names it, else by its kind ("vaccin méningococcique ACWY")."""
    if dose.display:
        return dose.display
    return next((Message.of(key) for concept, key in _DOSE_KINDS if dose.is_a(concept)), dose.display)


def _prior_doses(
    patient: PatientProfile, serogroup: IimSerogroup, born: date
) -> tuple[VaccineDose | None, tuple[Message, ...]]:
    """The newest previous dose that counts for this serogroup, and why older or earlier ones do not."""
    rules, today = patient.rules, patient.today
    concepts = rules.prior_doses_counting.value[serogroup]
    doses = {d for c in concepts for d in patient.record.doses_of(c) if d.given_on <= today}
    min_age = rules.prior_dose_min_age_months.value
    validity = rules.prior_dose_validity_years.value
    rejected: list[Message] = []
    for dose in sorted(doses, key=lambda d: d.given_on, reverse=True):
        if dose.given_on < add_months(born, min_age):
            reason = Message.of("iim.prior-dose.before-min-age", months=min_age)
        elif add_years(dose.given_on, validity) <= today:
            reason = Message.of("iim.prior-dose.too-old", years=validity)
        else:
            return dose, tuple(rejected)
        rejected.append(
            Message.decisive_of(
                "iim.fact.prior-dose-rejected", vaccine=dose_name(dose), given_on=dose.given_on, reason=reason
            )
        )
    return None, tuple(rejected)
