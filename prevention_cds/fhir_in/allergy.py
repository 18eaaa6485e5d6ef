"""Reading AllergyIntolerances: the substances (from the code and the reactions), an anaphylactic reaction, and
what the record states of its status; whether it counts, and as confirmed, is the rules' reading
(``rules.evidence``)."""

from __future__ import annotations

from prevention_cds.fhir_in.codes import codes_of, concepts_of, display_of, stated_codes
from prevention_cds.fhir_in.products import concepts_by_name, texts_of
from prevention_cds.fhir_in.reading import Reading, Resource, source_id
from prevention_cds.rules import evidence
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import AllergyFact, ClinicalStatus, Verification

ALLERGEN_CONCEPTS = frozenset({
    Concept.RIFAMYCIN_ALLERGEN, Concept.CIPROFLOXACIN_ALLERGEN, Concept.CEPHALOSPORIN_ALLERGEN,
    Concept.BETA_LACTAM_ALLERGEN, Concept.MMR_VACCINE_ALLERGEN, Concept.NEOMYCIN_ALLERGEN, Concept.GELATIN_ALLERGEN,
})
MANIFESTATION_CONCEPTS = frozenset({Concept.ANAPHYLAXIS})
CLINICAL_STATUSES = {  # FHIR allergyintolerance-clinical
    "active": ClinicalStatus.ACTIVE, "inactive": ClinicalStatus.INACTIVE, "resolved": ClinicalStatus.RESOLVED,
}
VERIFICATION_STATUSES = {  # FHIR allergyintolerance-verification
    "confirmed": Verification.CONFIRMED, "unconfirmed": Verification.UNCONFIRMED,
}
STATED_CRITICALITIES = frozenset({"low", "high"})  # FHIR allergy-intolerance-criticality, but unable-to-assess
# A record its author refuted, or entered in error, states nothing about the patient.
VOID_VERIFICATION = frozenset({"refuted", "entered-in-error"})


def read_allergy(resource: Resource, reading: Reading) -> None:
    substances = concepts_of(resource.get("code"), reading.index, ALLERGEN_CONCEPTS)
    manifestations: set[Concept] = set()
    texts = texts_of(resource.get("code"))
    reactions = [r for r in resource.get("reaction") or () if isinstance(r, dict)]
    for reaction in reactions:
        substances |= concepts_of(reaction.get("substance"), reading.index, ALLERGEN_CONCEPTS)
        texts += texts_of(reaction.get("substance"))
        for manifestation in reaction.get("manifestation") or ():
            manifestations |= concepts_of(manifestation, reading.index, MANIFESTATION_CONCEPTS)
    # an allergy written in words only ("Allergie à la rifampicine") still contraindicates: recognised by name
    by_name = not substances
    if by_name:
        substances = concepts_by_name(texts, reading.index, ALLERGEN_CONCEPTS)
    if not substances:
        return
    verification = codes_of(resource.get("verificationStatus"))
    clinical = stated_codes(codes_of(resource.get("clinicalStatus")), CLINICAL_STATUSES)
    if not verification.isdisjoint(VOID_VERIFICATION) or not evidence.allergy_is_current(clinical):
        return
    reading.allergies.append(AllergyFact(
        concepts=frozenset(substances | manifestations),
        display=display_of(resource.get("code")),
        confirmed=evidence.is_confirmed(stated_codes(verification, VERIFICATION_STATUSES)),
        high_criticality=resource.get("criticality") == "high",
        # "unable-to-assess", or no criticality and no reaction: nobody said the allergy was mild
        severity_unknown=resource.get("criticality") not in STATED_CRITICALITIES
        and not any(r.get("manifestation") for r in reactions),
        source_id=source_id(resource),
        recognised_by_name=by_name,
    ))
