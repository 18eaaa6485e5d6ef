"""Clinical concepts the rules reason about.

Each value is the ``id`` of a FHIR ValueSet in ``terminology/package/`` (file ``ValueSet-<id>.json``): the code list
lives once, there, and the record builder classifies FHIR codes into these concepts. The rules only ever see
the concept, never a code.
"""

from enum import StrEnum


class Concept(StrEnum):
    # Vaccines (Immunization.vaccineCode)
    MMR_VACCINE = "mmr-vaccine"  # MMR and MMRV: both count as an MMR dose
    MMRV_VACCINE = "mmrv-vaccine"
    LIVE_VACCINE = "live-attenuated-vaccine"  # the live-vaccine spacing rule (MMR, MMRV, varicella, yellow fever)
    MENC_VACCINE = "menc-vaccine"
    MENACWY_VACCINE = "menacwy-vaccine"
    MENB_VACCINE = "menb-vaccine"
    YELLOW_FEVER_VACCINE = "yellow-fever-vaccine"  # not with MMR the same day under 2 years
    IMMUNOGLOBULIN = "normal-human-immunoglobulin"
    # Conditions
    PREGNANCY = "pregnancy"
    SEVERE_IMMUNODEFICIENCY = "severe-immunodeficiency"
    MEASLES = "measles"  # the disease: a case while active and recent, a history afterwards (rules/evidence.py)
    MEASLES_HISTORY = "measles-history"  # a history-of code: always a past measles
    RUBELLA_HISTORY = "rubella-history"
    IIM_DISEASE = "invasive-meningococcal-disease"
    PORPHYRIA = "porphyria"
    # Occupations
    HEALTHCARE_PROFESSIONAL = "healthcare-professional"
    EARLY_CHILDHOOD_PROFESSIONAL = "early-childhood-professional"
    # Allergy substances
    RIFAMYCIN_ALLERGEN = "rifamycin-allergen"
    CIPROFLOXACIN_ALLERGEN = "fluoroquinolone-allergen"
    CEPHALOSPORIN_ALLERGEN = "cephalosporin-allergen"
    MMR_VACCINE_ALLERGEN = "mmr-vaccine-allergen"
    NEOMYCIN_ALLERGEN = "neomycin-allergen"
    GELATIN_ALLERGEN = "gelatin-allergen"
    ANAPHYLAXIS = "anaphylaxis-manifestation"
    # Medicines (current treatments, draft orders)
    RIFAMPICIN = "rifampicin"
    CIPROFLOXACIN = "ciprofloxacin"
    CEFTRIAXONE = "ceftriaxone"
    THIRD_GEN_CEPHALOSPORIN = "third-generation-cephalosporin"
    RIFAMPICIN_INTERACTING = "rifampicin-contraindicated-comedication"
    HORMONAL_CONTRACEPTIVE = "hormonal-contraceptive"
