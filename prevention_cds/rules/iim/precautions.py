"""What the card tells the prescriber with each antibiotic (clinical.md §A.5)."""

from __future__ import annotations

from dataclasses import dataclass

from prevention_cds.rules.advice import Message
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug


@dataclass(frozen=True)
class Precautions:
    messages: tuple[Message, ...] = ()
    decisions: tuple[Message, ...] = ()

    def __add__(self, other: Precautions) -> Precautions:
        return Precautions(self.messages + other.messages, self.decisions + other.decisions)


def precautions(drug: Drug, patient: PatientProfile) -> Precautions:
    if drug is Drug.RIFAMPICIN:
        return _rifampicin(patient)
    if drug is Drug.CIPROFLOXACIN:
        return _ciprofloxacin(patient)
    return _ceftriaxone(patient)


def _rifampicin(patient: PatientProfile) -> Precautions:
    rules = patient.rules
    messages = [
        Message.of("iim.precaution.rifampicin.colour"),
        Message.of("iim.precaution.rifampicin.interactions"),
        Message.of("iim.precaution.rifampicin.liver"),
    ]
    decisions = []
    if patient.may_use_hormonal_contraception():
        days = rules.contraception_barrier_days_after.value
        messages.append(Message.decisive_of("iim.precaution.rifampicin.contraception", days=days))
        decisions.append(Message.of("iim.decision.contraception-duration", days=days))
    if patient.pregnant:
        messages.append(
            Message.of(
                "iim.precaution.rifampicin.pregnancy",
                min_mg=rules.newborn_vitamin_k_min_mg.value,
                max_mg=rules.newborn_vitamin_k_max_mg.value,
            )
        )
    if patient.band is DosingBand.NEONATE:
        messages.append(Message.of("iim.precaution.rifampicin.neonate"))
    return Precautions(tuple(messages), tuple(decisions))


def _ciprofloxacin(patient: PatientProfile) -> Precautions:
    messages, decisions = [], []
    if patient.band is not DosingBand.ADULT:
        messages.append(Message.of("iim.precaution.ciprofloxacin.child"))
        decisions.append(Message.of("iim.decision.ciprofloxacin-child"))
    if patient.pregnant:
        messages.append(Message.of("iim.precaution.ciprofloxacin.pregnancy"))
    return Precautions(tuple(messages), tuple(decisions))


def _ceftriaxone(patient: PatientProfile) -> Precautions:
    messages = [Message.decisive_of("iim.precaution.ceftriaxone.beta-lactam")]
    if patient.band is not DosingBand.ADULT:
        messages.append(Message.of("iim.precaution.ceftriaxone.child"))
    return Precautions(tuple(messages))
