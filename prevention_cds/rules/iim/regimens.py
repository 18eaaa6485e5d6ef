"""Dose computation of the three prophylaxis antibiotics (clinical.md §A.4).

A mg/kg dose is computed only from a usable weight (``weight.py``); otherwise the regimen answers
``WeightRequired`` and the card asks for a weighing. Oral suspension volumes are rounded to the measuring
step, and the dose in mg is the one that volume delivers, never above the cap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from prevention_cds.rules.advice import Dispense, DoseSchedule, MedicationProposal, Medicine, Message, Route
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.data import iim_data
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.weight import WeightUnavailable

REASON = "meningococcal-prophylaxis"  # key of prevention_cds/fhir_out/data/products.json "reasons" (ICD-10 Z29.2)
_PER_DAY = (Decimal(1), "d")  # FHIR timing: ``frequency`` administrations per 1 day


class Drug(StrEnum):
    RIFAMPICIN = "rifampicin"
    CIPROFLOXACIN = "ciprofloxacin"
    CEFTRIAXONE = "ceftriaxone"

    @property
    def concept(self) -> Concept:
        return {
            Drug.RIFAMPICIN: Concept.RIFAMPICIN,
            Drug.CIPROFLOXACIN: Concept.CIPROFLOXACIN,
            Drug.CEFTRIAXONE: Concept.CEFTRIAXONE,
        }[self]

    @property
    def label(self) -> Message:
        return Message.of(f"iim.drug.{self.value}")


@dataclass(frozen=True)
class WeightRequired:
    """The regimen is per kilogram and no usable weight was found: no dose is computed."""

    drug: Drug
    regimen: Message  # the mg/kg regimen in words, for the card asking for a weighing
    unavailable: WeightUnavailable


DoseOutcome = MedicationProposal | WeightRequired


@dataclass(frozen=True)
class SuspensionDose:
    mg: Decimal
    volume_ml: Decimal
    capped: bool


def plain(value: Decimal) -> Decimal:
    """A Decimal without exponent or trailing zeros (``300.0`` → ``300``, ``0.80`` → ``0.8``)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def suspension_dose(
    mg_per_kg: Decimal, kilograms: Decimal, max_mg: Decimal, mg_per_ml: Decimal, step_ml: Decimal
) -> SuspensionDose:
    wanted = mg_per_kg * kilograms
    target = min(wanted, max_mg)
    volume = (target / mg_per_ml).quantize(step_ml, rounding=ROUND_HALF_UP)
    if volume * mg_per_ml > max_mg:  # rounding up must never cross the cap
        volume = (target / mg_per_ml).quantize(step_ml, rounding=ROUND_DOWN)
    return SuspensionDose(plain(volume * mg_per_ml), plain(volume), capped=wanted > max_mg)


class Regimen(Protocol):
    drug: Drug

    def propose(self, patient: PatientProfile, band: DosingBand, reason_reference: str | None) -> DoseOutcome:
        """The proposal for this patient in this dosing band (``band`` already known to be unambiguous)."""
        ...


def _per_kg(
    patient: PatientProfile,
    drug: Drug,
    medicine: Medicine,
    schedule: DoseSchedule,
    rates: tuple[Decimal, Decimal, Decimal, Decimal],  # mg/kg, cap mg, suspension mg, per mL
    regimen: Message,
    reason_reference: str | None,
    **timing: int,
) -> DoseOutcome:
    """A mg/kg dose of an oral suspension, stating the weight used and its date."""
    weight = patient.weight
    if isinstance(weight, WeightUnavailable):
        return WeightRequired(drug, regimen, weight)
    mg_per_kg, max_mg, suspension_mg, suspension_ml = rates
    dose = suspension_dose(
        mg_per_kg,
        weight.kilograms,
        max_mg,
        suspension_mg / suspension_ml,
        iim_data().decimal("oral_suspension_volume_step_ml", patient.today),
    )
    instruction = Message.of(
        f"iim.instruction.{drug.value}.suspension{'.capped' if dose.capped else ''}",
        dose_mg=dose.mg,
        volume_ml=dose.volume_ml,
        mg_per_kg=mg_per_kg,
        weight_kg=weight.kilograms,
        weighed_on=weight.measured_on,
        max_mg=max_mg,
        suspension_mg=suspension_mg,
        suspension_ml=suspension_ml,
        **timing,
    )
    return MedicationProposal(
        medicine=medicine,
        route=Route.ORAL,
        schedule=schedule,
        instruction=instruction,
        dose_mg=dose.mg,
        volume_ml=dose.volume_ml,
        weight_kg_used=weight.kilograms,
        mg_per_kg=mg_per_kg,
        reason_reference=reason_reference,
        reason=REASON,
        dispense=_course_total(dose.volume_ml, "mL", schedule),
    )


def _course_total(per_administration: Decimal, form: str, schedule: DoseSchedule) -> Dispense | None:
    times = schedule.administrations
    return Dispense(plain(per_administration * times), form) if times is not None else None


class RifampicinRegimen:
    """Every 12 hours for 2 days: 5 mg/kg (neonate), 10 mg/kg capped at 600 mg (child), 600 mg (adult)."""

    drug = Drug.RIFAMPICIN

    def propose(self, patient: PatientProfile, band: DosingBand, reason_reference: str | None) -> DoseOutcome:
        data, on = iim_data(), patient.today
        per_day = data.int("rifampicin_doses_per_day", on)
        days = data.int("rifampicin_duration_days", on)
        timing = {"interval_h": data.int("rifampicin_interval_hours", on), "days": days, "doses": per_day * days}
        schedule = DoseSchedule(frequency=per_day, period=_PER_DAY[0], period_unit=_PER_DAY[1], duration_days=days)
        patient_instruction = Message.of("iim.patient.rifampicin", **timing)
        if band is DosingBand.ADULT:
            dose = data.decimal("rifampicin_adult_dose_mg", on)
            capsule = data.decimal("rifampicin_capsule_mg", on)
            instruction = Message.of(
                "iim.instruction.rifampicin.capsule",
                dose_mg=dose,
                capsules=plain(dose / capsule),
                capsule_mg=capsule,
                **timing,
            )
            return MedicationProposal(
                medicine=Medicine.RIFAMPICIN_CAPSULE,
                route=Route.ORAL,
                schedule=schedule,
                instruction=instruction,
                dose_mg=dose,
                reason_reference=reason_reference,
                reason=REASON,
                patient_instruction=patient_instruction,
                dispense=_course_total(plain(dose / capsule), "capsule", schedule),
            )
        mg_per_kg = data.decimal(
            "rifampicin_neonate_mg_per_kg" if band is DosingBand.NEONATE else "rifampicin_child_mg_per_kg", on
        )
        max_mg = data.decimal("rifampicin_max_dose_mg", on)
        outcome = _per_kg(
            patient,
            self.drug,
            Medicine.RIFAMPICIN_ORAL_SUSPENSION,
            schedule,
            (
                mg_per_kg,
                max_mg,
                data.decimal("rifampicin_suspension_mg", on),
                data.decimal("rifampicin_suspension_ml", on),
            ),
            Message.of("iim.regimen.rifampicin", mg_per_kg=mg_per_kg, max_mg=max_mg, **timing),
            reason_reference,
            **timing,
        )
        if isinstance(outcome, MedicationProposal):
            return replace(outcome, patient_instruction=patient_instruction)
        return outcome


class CiprofloxacinRegimen:
    """One oral dose: 500 mg (adult); 20 mg/kg capped at 500 mg (child, national dosing pending)."""

    drug = Drug.CIPROFLOXACIN

    def propose(self, patient: PatientProfile, band: DosingBand, reason_reference: str | None) -> DoseOutcome:
        data, on = iim_data(), patient.today
        if band is DosingBand.ADULT:
            dose = data.decimal("ciprofloxacin_adult_dose_mg", on)
            return MedicationProposal(
                medicine=Medicine.CIPROFLOXACIN_TABLET,
                route=Route.ORAL,
                schedule=DoseSchedule.single_dose(),
                instruction=Message.of("iim.instruction.ciprofloxacin.tablet", dose_mg=dose),
                dose_mg=dose,
                reason_reference=reason_reference,
                reason=REASON,
                dispense=_course_total(Decimal(1), "dose", DoseSchedule.single_dose()),
            )
        mg_per_kg = data.decimal("ciprofloxacin_child_mg_per_kg", on)
        max_mg = data.decimal("ciprofloxacin_max_dose_mg", on)
        outcome = _per_kg(
            patient,
            self.drug,
            Medicine.CIPROFLOXACIN_ORAL_SUSPENSION,
            DoseSchedule.single_dose(),
            (
                mg_per_kg,
                max_mg,
                data.decimal("ciprofloxacin_suspension_mg", on),
                data.decimal("ciprofloxacin_suspension_ml", on),
            ),
            Message.of("iim.regimen.ciprofloxacin", mg_per_kg=mg_per_kg, max_mg=max_mg),
            reason_reference,
        )
        if isinstance(outcome, MedicationProposal) and data.flag("ciprofloxacin_child_dose_provisional", on):
            return replace(outcome, notes=(Message.of("iim.note.ciprofloxacin-child-provisional"),))
        return outcome


class CeftriaxoneRegimen:
    """One injection, IM (or IV): 250 mg (adult), 125 mg (child). Fixed doses: no weight needed."""

    drug = Drug.CEFTRIAXONE

    def propose(self, patient: PatientProfile, band: DosingBand, reason_reference: str | None) -> DoseOutcome:
        data, on = iim_data(), patient.today
        adult = band is DosingBand.ADULT
        dose = data.decimal("ceftriaxone_adult_dose_mg" if adult else "ceftriaxone_child_dose_mg", on)
        return MedicationProposal(
            medicine=Medicine.CEFTRIAXONE_INJECTION,
            route=Route.INTRAMUSCULAR,
            schedule=DoseSchedule.single_dose(),
            instruction=Message.of("iim.instruction.ceftriaxone", dose_mg=dose),
            dose_mg=dose,
            reason_reference=reason_reference,
            reason=REASON,
            notes=() if adult else (Message.of("iim.note.ceftriaxone-child-lidocaine"),),
            dispense=_course_total(Decimal(1), "dose", DoseSchedule.single_dose()),
        )


# The rule values whose guideline sections a card cites for each drug (doctrine and dosing).
REGIMEN_VALUES: dict[Drug, tuple[str, ...]] = {
    Drug.RIFAMPICIN: ("rifampicin_duration_days", "rifampicin_child_mg_per_kg"),
    Drug.CIPROFLOXACIN: ("ciprofloxacin_child_mg_per_kg", "ciprofloxacin_child_dose_provisional"),
    Drug.CEFTRIAXONE: ("ceftriaxone_adult_dose_mg",),
}

REGIMENS: dict[Drug, Regimen] = {
    Drug.RIFAMPICIN: RifampicinRegimen(),
    Drug.CIPROFLOXACIN: CiprofloxacinRegimen(),
    Drug.CEFTRIAXONE: CeftriaxoneRegimen(),
}
