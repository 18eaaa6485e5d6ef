"""Dose computation of the three prophylaxis antibiotics (clinical.md §A.4).

A mg/kg dose is computed only from a usable weight (``weight.py``); otherwise the regimen answers
``WeightRequired`` and the card asks for a weighing. Oral suspension volumes are rounded to the measuring
step, and the dose in mg is the one that volume delivers, never above the cap.

A regimen cites, in the ``Citations`` it is given, the values the dose was computed from: the dose (per kg or
fixed, the cap when it binds) and the course duration; the card that shows the dose cites them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from prevention_cds.rules.advice import (
    Dispense,
    DispenseUnit,
    DoseSchedule,
    MedicationProposal,
    Medicine,
    Message,
    Route,
)
from prevention_cds.rules.citation import Citations, Cited
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.parameters import (
    CeftriaxoneValues,
    CiprofloxacinValues,
    IimParameters,
    OralSuspension,
    RifampicinValues,
)
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.weight import WeightUnavailable

_PERCENT = Decimal(100)
REASON = "meningococcal-prophylaxis"  # key of prevention_cds/fhir_out/data/products.json "reasons" (ICD-10 Z29.2)
_PER_DAY = (Decimal(1), "d")  # FHIR timing: ``frequency`` administrations per 1 day


class Drug(StrEnum):
    RIFAMPICIN = "rifampicin"
    CIPROFLOXACIN = "ciprofloxacin"
    CEFTRIAXONE = "ceftriaxone"

    @property
    def concept(self) -> Concept:
        return _CONCEPTS[self]

    @property
    def label(self) -> Message:
        return Message.of(_LABELS[self])


_CONCEPTS = {
    Drug.RIFAMPICIN: Concept.RIFAMPICIN,
    Drug.CIPROFLOXACIN: Concept.CIPROFLOXACIN,
    Drug.CEFTRIAXONE: Concept.CEFTRIAXONE,
}
_LABELS = {
    Drug.RIFAMPICIN: "iim.drug.rifampicin",
    Drug.CIPROFLOXACIN: "iim.drug.ciprofloxacin",
    Drug.CEFTRIAXONE: "iim.drug.ceftriaxone",
}
# The instruction of an oral suspension dose: (drug, capped) -> key
_SUSPENSION_INSTRUCTIONS = {
    (Drug.RIFAMPICIN, False): "iim.instruction.rifampicin.suspension",
    (Drug.RIFAMPICIN, True): "iim.instruction.rifampicin.suspension.capped",
    (Drug.CIPROFLOXACIN, False): "iim.instruction.ciprofloxacin.suspension",
    (Drug.CIPROFLOXACIN, True): "iim.instruction.ciprofloxacin.suspension.capped",
}
# A child's capsule dose: capped -> key
_CHILD_CAPSULE_INSTRUCTIONS = {
    False: "iim.instruction.rifampicin.capsule-child",
    True: "iim.instruction.rifampicin.capsule-child.capped",
}


DrugValues = RifampicinValues | CiprofloxacinValues | CeftriaxoneValues


def values_of(drug: Drug, rules: IimParameters) -> DrugValues:
    """The rule data of one antibiotic: doses, routes, contraindications."""
    if drug is Drug.RIFAMPICIN:
        return rules.rifampicin
    if drug is Drug.CIPROFLOXACIN:
        return rules.ciprofloxacin
    return rules.ceftriaxone


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

    def propose(
        self, patient: PatientProfile, band: DosingBand, reason_reference: str | None, cites: Citations
    ) -> DoseOutcome:
        """The proposal for this patient in this dosing band (``band`` already known to be unambiguous)."""
        ...


@dataclass(frozen=True)
class _PerKg:
    """A mg/kg dose of an oral suspension, and the values it is computed from."""

    drug: Drug
    medicine: Medicine
    route: Route
    schedule: DoseSchedule
    mg_per_kg: Cited[Decimal]
    max_mg: Cited[Decimal]
    suspension: OralSuspension

    def propose(
        self, patient: PatientProfile, reason_reference: str | None, cites: Citations, **timing: int
    ) -> MedicationProposal | WeightUnavailable:
        """The dose for the recorded weight, stating the weight used and its date, and the whole bottles the
        course needs (``timing["doses"]`` doses, one when not given)."""
        weight = patient.weight
        if isinstance(weight, WeightUnavailable):
            return weight
        mg_per_kg, max_mg = self.mg_per_kg.value, self.max_mg.value
        suspension_mg, suspension_ml = self.suspension.mg.value, self.suspension.ml.value
        dose = suspension_dose(
            mg_per_kg,
            weight.kilograms,
            max_mg,
            suspension_mg / suspension_ml,
            patient.rules.oral_suspension_volume_step_ml.value,
        )
        if dose.capped:
            cites.add(self.max_mg)  # the cap is the dose
        instruction = Message.of(
            _SUSPENSION_INSTRUCTIONS[self.drug, dose.capped],
            dose_mg=dose.mg,
            volume_ml=dose.volume_ml,
            mg_per_kg=mg_per_kg,
            weight_kg=weight.shown_kg,
            weighed_on=weight.measured_on,
            max_mg=max_mg,
            suspension_mg=suspension_mg,
            suspension_ml=suspension_ml,
            **timing,
        )
        total_ml = dose.volume_ml * timing.get("doses", 1)
        bottles = int((total_ml / self.suspension.bottle_ml.value).to_integral_value(rounding=ROUND_CEILING))
        return MedicationProposal(
            medicine=self.medicine,
            route=self.route,
            schedule=self.schedule,
            instruction=instruction,
            dose_mg=dose.mg,
            volume_ml=dose.volume_ml,
            weight_kg_used=weight.kilograms,
            mg_per_kg=mg_per_kg,
            reason_reference=reason_reference,
            reason=REASON,
            dispense=_dispensed(patient, cites, max(bottles, 1), DispenseUnit.BOTTLE),
        )


def _dispensed(patient: PatientProfile, cites: Citations, quantity: int, unit: DispenseUnit) -> Dispense:
    """The quantity of the whole course, as the minutes ask for unit dispensing."""
    cites.add(patient.rules.unit_dispensing)
    return Dispense(quantity, unit)


class RifampicinRegimen:
    """A dose every ``interval_hours`` for ``duration_days``: ``neonate_mg_per_kg`` or ``child_mg_per_kg``
    (never above ``max_dose_mg``) as an oral suspension below the adult age, ``adult_dose_mg`` in capsules from it."""

    drug = Drug.RIFAMPICIN

    def propose(
        self, patient: PatientProfile, band: DosingBand, reason_reference: str | None, cites: Citations
    ) -> DoseOutcome:
        rifampicin = patient.rules.rifampicin
        per_day = rifampicin.doses_per_day.value
        days = cites.cite(rifampicin.duration_days)
        timing = {"interval_h": rifampicin.interval_hours.value, "days": days, "doses": per_day * days}
        schedule = DoseSchedule(frequency=per_day, period=_PER_DAY[0], period_unit=_PER_DAY[1], duration_days=days)
        patient_instruction = Message.of("iim.patient.rifampicin", **timing)
        route = rifampicin.routes.value[0]
        capsule = rifampicin.capsule_mg.value

        def in_capsules(count: int, instruction: Message, mg_per_kg: Decimal | None = None) -> MedicationProposal:
            weight = patient.usable_weight if mg_per_kg is not None else None
            return MedicationProposal(
                medicine=Medicine.RIFAMPICIN_CAPSULE,
                route=route,
                schedule=schedule,
                instruction=instruction,
                dose_mg=count * capsule,
                weight_kg_used=weight.kilograms if weight is not None else None,
                mg_per_kg=mg_per_kg,
                reason_reference=reason_reference,
                reason=REASON,
                patient_instruction=patient_instruction,
                dispense=_dispensed(patient, cites, count * timing["doses"], DispenseUnit.CAPSULE),
            )

        if band is DosingBand.ADULT:
            dose = cites.cite(rifampicin.adult_dose_mg)
            count = int(dose / capsule)
            instruction = Message.of(
                "iim.instruction.rifampicin.capsule", dose_mg=dose, capsules=count, capsule_mg=capsule, **timing
            )
            return in_capsules(count, instruction)
        rate = rifampicin.neonate_mg_per_kg if band is DosingBand.NEONATE else rifampicin.child_mg_per_kg
        mg_per_kg, max_mg = cites.cite(rate), rifampicin.max_dose_mg
        capsules = _child_capsules(patient, rate.value, max_mg, cites) if band is DosingBand.CHILD else None
        weight = patient.usable_weight
        if capsules is not None and weight is not None:  # _child_capsules needs a usable weight
            capped = mg_per_kg * weight.kilograms > max_mg.value  # the cap is the dose: said so, as a suspension's
            instruction = Message.of(
                _CHILD_CAPSULE_INSTRUCTIONS[capped],
                dose_mg=capsules * capsule,
                max_mg=max_mg.value,
                capsules=capsules,
                capsule_mg=capsule,
                mg_per_kg=mg_per_kg,
                weight_kg=weight.shown_kg,
                weighed_on=weight.measured_on,
                **timing,
            )
            return in_capsules(capsules, instruction, mg_per_kg)
        per_kg = _PerKg(
            self.drug, Medicine.RIFAMPICIN_ORAL_SUSPENSION, route, schedule, rate, max_mg, rifampicin.suspension
        )
        outcome = per_kg.propose(patient, reason_reference, cites, **timing)
        if isinstance(outcome, WeightUnavailable):
            regimen = Message.of("iim.regimen.rifampicin", mg_per_kg=mg_per_kg, max_mg=max_mg.value, **timing)
            return WeightRequired(self.drug, regimen, outcome)
        return replace(outcome, patient_instruction=patient_instruction)


def _child_capsules(
    patient: PatientProfile, mg_per_kg: Decimal, cited_max: Cited[Decimal], cites: Citations
) -> int | None:
    """The number of capsules per dose for a child old enough to swallow them, when a whole number of capsules
    gives the mg/kg dose within the tolerance and never above the cap; None: the oral suspension."""
    rifampicin, weight, age = patient.rules.rifampicin, patient.usable_weight, patient.age
    if weight is None or age is None or age.youngest.years < rifampicin.capsule_from_age_years.value:
        return None
    max_mg = cited_max.value
    wanted = min(mg_per_kg * weight.kilograms, max_mg)
    capsule = rifampicin.capsule_mg.value
    count = int((wanted / capsule).to_integral_value(rounding=ROUND_HALF_UP))
    tolerance = wanted * rifampicin.capsule_child_tolerance_percent.value / _PERCENT
    if count < 1 or count * capsule > max_mg or abs(count * capsule - wanted) > tolerance:
        return None
    if mg_per_kg * weight.kilograms > max_mg:
        cites.add(cited_max)  # the cap is the dose
    cites.add(rifampicin.capsule_from_age_years, rifampicin.capsule_child_tolerance_percent)
    return count


class CiprofloxacinRegimen:
    """A single oral dose: ``adult_dose_mg``; for a child ``child_mg_per_kg`` capped at ``max_dose_mg``, flagged
    while ``child_dose_provisional`` (national paediatric dosing pending)."""

    drug = Drug.CIPROFLOXACIN

    def propose(
        self, patient: PatientProfile, band: DosingBand, reason_reference: str | None, cites: Citations
    ) -> DoseOutcome:
        ciprofloxacin = patient.rules.ciprofloxacin
        route = ciprofloxacin.routes.value[0]
        if band is DosingBand.ADULT:
            dose = cites.cite(ciprofloxacin.adult_dose_mg)
            return MedicationProposal(
                medicine=Medicine.CIPROFLOXACIN_TABLET,
                route=route,
                schedule=DoseSchedule.single_dose(),
                instruction=Message.of("iim.instruction.ciprofloxacin.tablet", dose_mg=dose),
                dose_mg=dose,
                reason_reference=reason_reference,
                reason=REASON,
                dispense=_dispensed(patient, cites, 1, DispenseUnit.TABLET),
            )
        rate, max_mg = ciprofloxacin.child_mg_per_kg, ciprofloxacin.max_dose_mg
        mg_per_kg = cites.cite(rate)
        per_kg = _PerKg(
            self.drug,
            Medicine.CIPROFLOXACIN_ORAL_SUSPENSION,
            route,
            DoseSchedule.single_dose(),
            rate,
            max_mg,
            ciprofloxacin.suspension,
        )
        outcome = per_kg.propose(patient, reason_reference, cites)
        if isinstance(outcome, WeightUnavailable):
            regimen = Message.of("iim.regimen.ciprofloxacin", mg_per_kg=mg_per_kg, max_mg=max_mg.value)
            return WeightRequired(self.drug, regimen, outcome)
        if cites.cite(ciprofloxacin.child_dose_provisional):
            note = Message.of("iim.note.ciprofloxacin-child-provisional", mg_per_kg=mg_per_kg, max_mg=max_mg.value)
            return replace(outcome, notes=(note,))
        return outcome


class CeftriaxoneRegimen:
    """A single injection of ``adult_dose_mg`` or ``child_dose_mg``: fixed doses, so no weight needed."""

    drug = Drug.CEFTRIAXONE

    def propose(
        self, patient: PatientProfile, band: DosingBand, reason_reference: str | None, cites: Citations
    ) -> DoseOutcome:
        ceftriaxone = patient.rules.ceftriaxone
        adult = band is DosingBand.ADULT
        dose = cites.cite(ceftriaxone.adult_dose_mg if adult else ceftriaxone.child_dose_mg)
        return MedicationProposal(
            medicine=Medicine.CEFTRIAXONE_INJECTION,
            route=ceftriaxone.routes.value[0],
            schedule=DoseSchedule.single_dose(),
            instruction=Message.of("iim.instruction.ceftriaxone", dose_mg=dose),
            dose_mg=dose,
            reason_reference=reason_reference,
            reason=REASON,
            notes=() if adult else (Message.of("iim.note.ceftriaxone-child-lidocaine"),),
            dispense=_dispensed(patient, cites, 1, DispenseUnit.VIAL),
        )


REGIMENS: dict[Drug, Regimen] = {
    Drug.RIFAMPICIN: RifampicinRegimen(),
    Drug.CIPROFLOXACIN: CiprofloxacinRegimen(),
    Drug.CEFTRIAXONE: CeftriaxoneRegimen(),
}
