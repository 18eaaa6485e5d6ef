"""Which prophylaxis antibiotics this patient must not receive, and why (clinical.md §A.4, §A.5).

Absolute: the drug is never proposed and a draft order of it is a critical card. Relative: the drug needs a
specialist's advice (neonates and the second-line drugs), so it is not proposed automatically.
A recorded but unconfirmed allergy counts: the safer reading. A severe allergy to another beta-lactam excludes
ceftriaxone (anaphylaxis or a high criticality: the reading of "severe" the MMR rules share).
"""

from __future__ import annotations

from dataclasses import dataclass

from prevention_cds.rules.advice import Message
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import AllergyFact
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.interactions import interactions_doing
from prevention_cds.rules.iim.parameters import CeftriaxoneValues, InteractionAction, RifampicinValues
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug, values_of


@dataclass(frozen=True)
class Contraindication:
    drug: Drug
    reason: Message
    absolute: bool
    basis: Statement  # the rule, with its source
    source_id: str | None = None


_ALLERGENS = {
    Drug.RIFAMPICIN: (Concept.RIFAMYCIN_ALLERGEN, "iim.ci.rifamycin-allergy"),
    Drug.CIPROFLOXACIN: (Concept.CIPROFLOXACIN_ALLERGEN, "iim.ci.fluoroquinolone-allergy"),
    Drug.CEFTRIAXONE: (Concept.CEPHALOSPORIN_ALLERGEN, "iim.ci.cephalosporin-allergy"),
}
_NEONATE_KEYS = {
    Drug.CIPROFLOXACIN: "iim.ci.neonate-ciprofloxacin",
    Drug.CEFTRIAXONE: "iim.ci.neonate-ceftriaxone",
}


def contraindications(drug: Drug, patient: PatientProfile) -> tuple[Contraindication, ...]:
    record, rules = patient.record, patient.rules
    allergen, key = _ALLERGENS[drug]
    values = values_of(drug, rules)
    statement = values.contraindications
    found = [
        Contraindication(drug, Message.of(key, allergy=a.display), True, statement, a.source_id)
        for a in record.allergies_to(allergen)
    ]
    if isinstance(values, CeftriaxoneValues):
        # A severe allergy to another beta-lactam (a penicillin, a carbapenem, a monobactam); a mild one is a
        # precaution (precautions.py).
        found += [
            Contraindication(drug, Message.of(_severity_key(a), allergy=a.display), True, statement, a.source_id)
            for a in severe_beta_lactam_allergies(patient)
        ]
    if drug is Drug.RIFAMPICIN:
        # Porphyria is lifelong: a resolved or inactive record still counts.
        found += [
            Contraindication(drug, Message.of("iim.ci.porphyria", condition=c.display), True, statement, c.source_id)
            for c in record.conditions
            if c.concept is Concept.PORPHYRIA
        ]
    # A contraindicated association (rifampicin, ciprofloxacin): each medicine found, with its rule's source.
    found += [
        Contraindication(
            drug, Message.of("iim.ci.interaction", medicine=i.medicine, group=i.group), True, i.basis, i.source_id
        )
        for i in interactions_doing(drug, patient, InteractionAction.EXCLUDE)
    ]
    if patient.band is DosingBand.NEONATE and not isinstance(values, RifampicinValues):
        # Ceftriaxone: prematurity, jaundice, IV calcium; ciprofloxacin: no neonatal dosing. Specialist.
        found.append(Contraindication(drug, Message.of(_NEONATE_KEYS[drug]), False, values.neonate_restriction))
    elif isinstance(values, CeftriaxoneValues) and patient.preterm_conditions():
        limit = values.preterm_until_postmenstrual_weeks
        reason = Message.of("iim.ci.preterm-ceftriaxone", weeks=limit.value)
        found.append(Contraindication(drug, reason, False, Cited(None, limit.ref)))
    return tuple(found)


def severe_beta_lactam_allergies(patient: PatientProfile) -> tuple[AllergyFact, ...]:
    return tuple(a for a in patient.record.allergies_to(Concept.BETA_LACTAM_ALLERGEN) if a.severe)


def mild_beta_lactam_allergies(patient: PatientProfile) -> tuple[AllergyFact, ...]:
    return tuple(a for a in patient.record.allergies_to(Concept.BETA_LACTAM_ALLERGEN) if not a.severe)


def _severity_key(allergy: AllergyFact) -> str:
    """Anaphylaxis recorded, or only a high criticality (the severity assumed)."""
    return "iim.ci.beta-lactam-anaphylaxis" if allergy.anaphylactic else "iim.ci.beta-lactam-high-criticality"
