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
    HIV_INFECTION = "hiv-infection"  # a live vaccine once the CD4 count allows it (not in the record)
    IMMUNOCOMPROMISING_CONDITION = "immunocompromising-condition"  # blood cancers, transplants, chemotherapy
    MEASLES = "measles"  # the disease: a case while active and recent, a history afterwards (rules/evidence.py)
    MEASLES_HISTORY = "measles-history"  # a history-of code: always a past measles
    RUBELLA_HISTORY = "rubella-history"
    IIM_DISEASE = "invasive-meningococcal-disease"
    PORPHYRIA = "porphyria"
    SEVERE_HEPATIC_DISEASE = "severe-hepatic-disease"  # hepatic failure, cirrhosis
    ALCOHOL_DEPENDENCE = "alcohol-dependence"
    BREASTFEEDING = "breastfeeding"
    PREMATURITY = "prematurity"  # born preterm
    # Occupations
    HEALTHCARE_PROFESSIONAL = "healthcare-professional"
    EARLY_CHILDHOOD_PROFESSIONAL = "early-childhood-professional"
    # Allergy substances
    RIFAMYCIN_ALLERGEN = "rifamycin-allergen"
    CIPROFLOXACIN_ALLERGEN = "fluoroquinolone-allergen"
    CEPHALOSPORIN_ALLERGEN = "cephalosporin-allergen"
    BETA_LACTAM_ALLERGEN = "beta-lactam-allergen"  # penicillins, carbapenems, monobactams
    MMR_VACCINE_ALLERGEN = "mmr-vaccine-allergen"
    NEOMYCIN_ALLERGEN = "neomycin-allergen"
    GELATIN_ALLERGEN = "gelatin-allergen"
    ANAPHYLAXIS = "anaphylaxis-manifestation"
    # Medicines (current treatments, draft orders)
    RIFAMPICIN = "rifampicin"
    CIPROFLOXACIN = "ciprofloxacin"
    CEFTRIAXONE = "ceftriaxone"
    THIRD_GEN_CEPHALOSPORIN = "third-generation-cephalosporin"
    RIFAMPICIN_CAPSULE_300MG = "rifampicin-capsule-300mg"  # a product's form and strength (order checks)
    RIFAMPICIN_CAPSULE_150MG = "rifampicin-capsule-150mg"
    RIFAMPICIN_INTERACTING = "rifampicin-contraindicated-comedication"  # other medicines contraindicated
    # Medicines that interact with a prophylaxis antibiotic: one ValueSet per interaction of the rule data
    # (``interaction_*`` entries of rules/data/iim.json give the level, what to do and the source)
    RIFAMPICIN_CI_PROTEASE_INHIBITOR = "rifampicin-ci-protease-inhibitor"
    RIFAMPICIN_CI_ANTIRETROVIRAL = "rifampicin-ci-antiretroviral"
    RIFAMPICIN_CI_HCV_ANTIVIRAL = "rifampicin-ci-hcv-antiviral"
    RIFAMPICIN_AVOID_ANTIRETROVIRAL = "rifampicin-avoid-antiretroviral"
    RIFAMPICIN_CAUTION_ANTIRETROVIRAL = "rifampicin-caution-antiretroviral"
    RIFAMPICIN_AVOID_AZOLE = "rifampicin-avoid-azole"
    RIFAMPICIN_AVOID_ANTICOAGULANT = "rifampicin-avoid-anticoagulant"
    RIFAMPICIN_AVOID_INDUCTION_SENSITIVE = "rifampicin-avoid-induction-sensitive"
    VITAMIN_K_ANTAGONIST = "vitamin-k-antagonist"
    RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT = "rifampicin-avoid-immunosuppressant"
    RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION = "rifampicin-caution-opioid-substitution"
    RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE = "rifampicin-caution-induction-sensitive"
    CIPROFLOXACIN_INTERACTING = "ciprofloxacin-contraindicated-comedication"
    CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE = "ciprofloxacin-caution-cyp1a2-substrate"
    CIPROFLOXACIN_CAUTION_QT_PROLONGING = "ciprofloxacin-caution-qt-prolonging"
    CIPROFLOXACIN_AVOID_METHOTREXATE = "ciprofloxacin-avoid-methotrexate"
    CIPROFLOXACIN_CAUTION_ABSORPTION = "ciprofloxacin-caution-absorption"
    CIPROFLOXACIN_CAUTION_PHENYTOIN = "ciprofloxacin-caution-phenytoin"
    # The Thésaurus's lowest level, "à prendre en compte": named on the explanation page only
    RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE = "rifampicin-consider-induction-sensitive"
    CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID = "ciprofloxacin-consider-glucocorticoid"
    CIPROFLOXACIN_CONSIDER_CAFFEINE = "ciprofloxacin-consider-caffeine"
    CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE = "ciprofloxacin-consider-mycophenolate"
    HORMONAL_CONTRACEPTIVE = "hormonal-contraceptive"
    # Treatments that make a live vaccine unsafe, while taken and for a time after (rules/data/mmr.json)
    IMMUNOSUPPRESSANT = "immunosuppressant"
    ANTI_CD20_ANTIBODY = "anti-cd20-antibody"
    ANTINEOPLASTIC = "antineoplastic-chemotherapy"
    SYSTEMIC_GLUCOCORTICOID = "systemic-glucocorticoid"  # the dose decides


IMMUNOSUPPRESSIVE_TREATMENTS = frozenset({
    Concept.IMMUNOSUPPRESSANT, Concept.ANTI_CD20_ANTIBODY, Concept.ANTINEOPLASTIC, Concept.SYSTEMIC_GLUCOCORTICOID,
})


# The medicines whose interaction with a prophylaxis antibiotic the rules check (the record builder reads them)
INTERACTING_MEDICINES = frozenset({
    Concept.RIFAMPICIN_INTERACTING, Concept.HORMONAL_CONTRACEPTIVE, Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR,
    Concept.RIFAMPICIN_CI_ANTIRETROVIRAL, Concept.RIFAMPICIN_CI_HCV_ANTIVIRAL, Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL,
    Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL,
    Concept.RIFAMPICIN_AVOID_AZOLE, Concept.RIFAMPICIN_AVOID_ANTICOAGULANT,
    Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE,
    Concept.VITAMIN_K_ANTAGONIST,
    Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT, Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION,
    Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE,
    Concept.CIPROFLOXACIN_INTERACTING, Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE,
    Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING, Concept.CIPROFLOXACIN_AVOID_METHOTREXATE,
    Concept.CIPROFLOXACIN_CAUTION_ABSORPTION, Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN,
    Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE, Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID,
    Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE, Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE,
})
