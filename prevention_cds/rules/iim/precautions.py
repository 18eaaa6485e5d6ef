"""What the card tells the prescriber with each antibiotic (clinical.md §A.5)."""

from __future__ import annotations

from dataclasses import dataclass

from prevention_cds.rules.advice import Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.contraindications import mild_beta_lactam_allergies
from prevention_cds.rules.iim.interactions import interactions_doing, lines
from prevention_cds.rules.iim.parameters import InteractionAction
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug
from prevention_cds.rules.iim.second_line import second_line_first_reasons


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
    """The medicines and conditions found first, by name; then what the record cannot tell."""
    rules, record = patient.rules, patient.record
    days = rules.contraception_barrier_days_after.value
    messages: list[Message] = []
    decisions: list[Message] = []
    # The same messages as the second-line reasons (a card shows each once): named even when no alternative
    # is usable and rifampicin stays.
    messages += second_line_first_reasons(patient)
    advised = interactions_doing(Drug.RIFAMPICIN, patient, InteractionAction.ADVISE)
    contraceptives = [i for i in advised if i.rule.medicines is Concept.HORMONAL_CONTRACEPTIVE]
    messages += lines(i for i in advised if i.rule.medicines is not Concept.HORMONAL_CONTRACEPTIVE)
    messages += lines(interactions_doing(Drug.RIFAMPICIN, patient, InteractionAction.INFORM))
    # A pregnant woman needs no contraception advice.
    if not patient.pregnant:
        messages += lines(contraceptives)
        if not contraceptives and patient.may_use_hormonal_contraception():
            messages.append(Message.decisive_of("iim.precaution.rifampicin.contraception", days=days))
        if contraceptives or patient.may_use_hormonal_contraception():
            decisions.append(Message.of("iim.decision.contraception-duration", days=days))
    messages += [
        Message.decisive_of("iim.precaution.rifampicin.alcohol", condition=c.display)
        for c in record.active_conditions(Concept.ALCOHOL_DEPENDENCE)
    ]
    messages += [
        Message.of("iim.precaution.rifampicin.colour"),
        Message.of("iim.precaution.rifampicin.interactions"),
    ]
    if not record.has_condition(Concept.SEVERE_HEPATIC_DISEASE) and not record.has_condition(
        Concept.ALCOHOL_DEPENDENCE
    ):
        messages.append(Message.of("iim.precaution.rifampicin.liver"))
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
    messages = [
        *lines(interactions_doing(Drug.CIPROFLOXACIN, patient, InteractionAction.PREFER_CEFTRIAXONE)),
        *lines(interactions_doing(Drug.CIPROFLOXACIN, patient, InteractionAction.ADVISE)),
        *lines(interactions_doing(Drug.CIPROFLOXACIN, patient, InteractionAction.INFORM)),
    ]
    if patient.record.has_condition(Concept.BREASTFEEDING):
        messages.append(Message.of("iim.precaution.ciprofloxacin.breastfeeding"))
    decisions: list[Message] = []
    if patient.band is not DosingBand.ADULT:
        # Off-label in children (clinical-decisions D.1): on the card
        messages.append(Message.decisive_of("iim.precaution.ciprofloxacin.child"))
        ciprofloxacin = patient.rules.ciprofloxacin
        decisions.append(
            Message.of(
                "iim.decision.ciprofloxacin-child",
                mg_per_kg=ciprofloxacin.child_mg_per_kg.value,
                max_mg=ciprofloxacin.max_dose_mg.value,
            )
        )
    if patient.pregnant:
        messages.append(Message.of("iim.precaution.ciprofloxacin.pregnancy"))
    return Precautions(tuple(messages), tuple(decisions))


def _ceftriaxone(patient: PatientProfile) -> Precautions:
    # A recorded beta-lactam allergy that is not severe is named; without one, the general warning.
    mild = mild_beta_lactam_allergies(patient)
    messages = [
        Message.decisive_of("iim.precaution.ceftriaxone.beta-lactam-mild", allergy=a.display) for a in mild
    ] or [Message.decisive_of("iim.precaution.ceftriaxone.beta-lactam")]
    messages += lines(interactions_doing(Drug.CEFTRIAXONE, patient, InteractionAction.ADVISE))
    if patient.band is not DosingBand.ADULT:
        messages.append(Message.of("iim.precaution.ceftriaxone.child"))
    return Precautions(tuple(messages))
