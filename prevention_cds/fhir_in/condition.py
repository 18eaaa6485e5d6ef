"""Reading Conditions: what each states (clinical and verification status, onset, abatement); whether it is
active and confirmed is the rules' reading of that (``rules.evidence``)."""

from __future__ import annotations

from prevention_cds.fhir_in.codes import codes_of, concepts_of, label_of, stated_codes
from prevention_cds.fhir_in.dates import as_date, stated_date
from prevention_cds.fhir_in.reading import Reading, Resource, source_id
from prevention_cds.rules import evidence
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import UNREADABLE, ClinicalStatus, ConditionFact, RecordElement, Verification

CONDITION_CONCEPTS = frozenset({
    Concept.PREGNANCY, Concept.SEVERE_IMMUNODEFICIENCY, Concept.HIV_INFECTION, Concept.IMMUNOCOMPROMISING_CONDITION,
    Concept.MEASLES, Concept.MEASLES_HISTORY,
    Concept.RUBELLA_HISTORY, Concept.IIM_DISEASE, Concept.PORPHYRIA, Concept.SEVERE_HEPATIC_DISEASE,
    Concept.ALCOHOL_DEPENDENCE, Concept.BREASTFEEDING, Concept.PREMATURITY,
})
CLINICAL_STATUSES = {  # FHIR condition-clinical
    "active": ClinicalStatus.ACTIVE, "recurrence": ClinicalStatus.RECURRENCE, "relapse": ClinicalStatus.RELAPSE,
    "inactive": ClinicalStatus.INACTIVE, "remission": ClinicalStatus.REMISSION, "resolved": ClinicalStatus.RESOLVED,
}
VERIFICATION_STATUSES = {  # FHIR condition-ver-status
    "confirmed": Verification.CONFIRMED, "unconfirmed": Verification.UNCONFIRMED,
    "provisional": Verification.PROVISIONAL, "differential": Verification.DIFFERENTIAL,
}
# A record its author refuted, or entered in error, states nothing about the patient.
VOID_VERIFICATION = frozenset({"refuted", "entered-in-error"})
# A date that cannot be read (malformed, or an implausible year) does not hide the condition: it is said on the card
# (the onset dates a pregnancy, the abatement says whether the condition is over).
DATED_ELEMENTS = ("onsetDateTime", "onsetPeriod", "recordedDate", "abatementDateTime")


def read_condition(resource: Resource, reading: Reading) -> None:
    code = resource.get("code")
    concepts = concepts_of(code, reading.index, CONDITION_CONCEPTS)
    if not concepts:
        return
    verification = codes_of(resource.get("verificationStatus"))
    if not verification.isdisjoint(VOID_VERIFICATION):
        return
    typed = reading.typed(resource)
    label = label_of(code, reading.index)
    for name in DATED_ELEMENTS:
        implausible = name != "onsetPeriod" and resource.get(name) is not None and as_date(getattr(typed, name)) is None
        if name in typed.unreadable or implausible:
            stated = typed.unreadable.get(name, resource.get(name))
            reading.unreadable_value(RecordElement.CONDITION_DATE, stated, resource, concepts, label)
    clinical = stated_codes(codes_of(resource.get("clinicalStatus")), CLINICAL_STATUSES)
    abatement = UNREADABLE if "abatementDateTime" in typed.unreadable else stated_date(typed.abatementDateTime)
    active = evidence.condition_is_active(clinical, abatement)
    confirmed = evidence.is_confirmed(stated_codes(verification, VERIFICATION_STATUSES))
    onset = as_date(typed.onsetDateTime) or (as_date(typed.onsetPeriod.start) if typed.onsetPeriod else None)
    for concept in concepts:
        reading.conditions.append(ConditionFact(
            concept=concept,
            display=label,
            onset=onset,
            recorded=as_date(typed.recordedDate),
            abatement=as_date(typed.abatementDateTime),
            active=active,
            confirmed=confirmed,
            source_id=source_id(resource),
            in_remission=ClinicalStatus.REMISSION in clinical,
        ))

