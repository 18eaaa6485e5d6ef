"""Why the live MMR vaccine must not be given now (pregnancy, an immunodeficiency, a condition or a treatment that
weakens immunity, anaphylaxis), and the product to choose (no gelatin for a gelatin allergy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from prevention_cds.rules.advice import Medicine
from prevention_cds.rules.calendar_math import add_months
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.evidence import pregnancy_outlasted
from prevention_cds.rules.facts import AllergyFact, MedicationFact, MedicationStatus, PatientRecord
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.unique import unique


class Contraindication(StrEnum):
    SEVERE_IMMUNODEFICIENCY = "severe-immunodeficiency"
    IMMUNOCOMPROMISING_CONDITION = "immunocompromising-condition"  # a blood cancer, a transplant, a chemotherapy
    IMMUNOSUPPRESSIVE_TREATMENT = "immunosuppressive-treatment"  # taken, or stopped too lately
    SYSTEMIC_CORTICOSTEROID = "systemic-corticosteroid"  # the dose decides, and the record does not give it
    HIV_INFECTION = "hiv-infection"  # the CD4 count decides, and the record does not give it
    ANAPHYLAXIS_MMR = "anaphylaxis-mmr"
    ANAPHYLAXIS_NEOMYCIN = "anaphylaxis-neomycin"
    PREGNANCY = "pregnancy"  # the only temporary one: vaccinate after delivery


@dataclass(frozen=True)
class Finding:
    contraindication: Contraindication
    basis: Statement  # the rule, with its source
    display: str | None = None  # the condition or allergy as recorded
    expected_delivery: date | None = None
    stated_on: date | None = None  # the day of the pregnancy evidence
    probably_ended: bool = False  # a pregnancy on record past its term or older than any pregnancy lasts
    severity_assumed: bool = False  # high-criticality allergy with no reaction recorded, read as anaphylaxis
    stopped: date | None = None  # a treatment stopped lately: when
    wait_until: date | None = None  # ... and the first day a live vaccine may be considered
    delay_months: int | None = None  # a treatment: how long after it is stopped a live vaccine waits
    in_remission: bool = False  # a condition recorded in remission


@dataclass(frozen=True)
class VaccineSafety:
    findings: tuple[Finding, ...]  # most lasting first
    gelatin_allergies: tuple[AllergyFact, ...]
    harmless_allergies: tuple[AllergyFact, ...]  # neomycin or MMR reactions that are not anaphylactic
    # neomycin or MMR allergies whose severity nobody recorded: not a contraindication found, to check before
    # vaccinating (an anaphylaxis would be one)
    unassessed_allergies: tuple[AllergyFact, ...] = ()

    @property
    def contraindicated(self) -> bool:
        return bool(self.findings)

    @property
    def only_pregnancy(self) -> bool:
        return bool(self.findings) and all(f.contraindication == Contraindication.PREGNANCY for f in self.findings)

    def has(self, contraindication: Contraindication) -> bool:
        return any(f.contraindication == contraindication for f in self.findings)

    @property
    def immunocompromised(self) -> bool:
        """Immunity may be too weak for a live vaccine (after a measles contact: immunoglobulins)."""
        return any(f.contraindication in IMMUNE for f in self.findings)

    @property
    def expected_delivery(self) -> date | None:
        return next((f.expected_delivery for f in self.findings if f.expected_delivery), None)

    @property
    def pregnancy_to_confirm(self) -> bool:
        """Pregnancy is the only reason, and the pregnancy on record has probably ended: vaccinate once the
        clinician has confirmed it."""
        return self.only_pregnancy and all(f.probably_ended for f in self.findings)

    @property
    def doses_wait_for(self) -> date | None:
        """The day the owed doses wait for: the expected delivery of a current pregnancy, the only reason."""
        return self.expected_delivery if self.only_pregnancy and not self.pregnancy_to_confirm else None


IMMUNE = frozenset({
    Contraindication.SEVERE_IMMUNODEFICIENCY, Contraindication.IMMUNOCOMPROMISING_CONDITION,
    Contraindication.IMMUNOSUPPRESSIVE_TREATMENT, Contraindication.SYSTEMIC_CORTICOSTEROID,
    Contraindication.HIV_INFECTION,
})


# Whatever the dose (a corticosteroid's dose decides, and the record does not give it)
IMMUNOSUPPRESSANTS = frozenset({Concept.ANTI_CD20_ANTIBODY, Concept.ANTINEOPLASTIC, Concept.IMMUNOSUPPRESSANT})


def current_pregnancy(record: PatientRecord, today: date, rules: MmrParameters) -> Finding | None:
    """Pregnant on the latest evidence. An active pregnancy condition stands unless a later 'not pregnant'
    observation supersedes it; undated evidence counts as pregnant (vaccinating a pregnant woman is the harm).

    Evidence older than any pregnancy lasts, or whose expected delivery is past, has probably ended: it still
    contraindicates the vaccine until the clinician confirms she is no longer pregnant (the finding says so),
    unless other evidence (an undated condition) still reads as current.
    """
    observation = record.pregnancy
    max_days = rules.pregnancy_evidence_max_days.value
    found: Finding | None = None
    if observation is not None and observation.pregnant:
        delivery = observation.expected_delivery
        found = Finding(
            Contraindication.PREGNANCY,
            rules.pregnancy_contraindication,
            expected_delivery=delivery,
            stated_on=observation.observed_on,
            probably_ended=(delivery is not None and delivery < today)
            or pregnancy_outlasted(observation.observed_on, today, max_days),
        )
        if not found.probably_ended:
            return found
    for condition in record.active_conditions(Concept.PREGNANCY):
        stated = condition.recorded or condition.onset
        superseded = (
            observation is not None
            and observation.observed_on is not None
            and stated is not None
            and observation.observed_on > stated
        )
        if superseded:
            continue
        stands = Finding(
            Contraindication.PREGNANCY,
            rules.pregnancy_contraindication,
            condition.display,
            stated_on=stated,
            probably_ended=pregnancy_outlasted(stated, today, max_days),
        )
        if not stands.probably_ended:
            return stands
        found = found or stands
    return found


def immune_conditions(record: PatientRecord, rules: MmrParameters) -> list[Finding]:
    """The first active condition of each kind that weakens immunity, as recorded."""
    found: list[Finding] = []
    for concept, contraindication, basis in (
        (
            Concept.SEVERE_IMMUNODEFICIENCY,
            Contraindication.SEVERE_IMMUNODEFICIENCY,
            rules.severe_immunodeficiency_contraindication,
        ),
        (
            Concept.IMMUNOCOMPROMISING_CONDITION,
            Contraindication.IMMUNOCOMPROMISING_CONDITION,
            rules.immunocompromising_condition_contraindication,
        ),
        (Concept.HIV_INFECTION, Contraindication.HIV_INFECTION, rules.hiv_live_vaccine_condition),
    ):
        found.extend(Finding(contraindication, basis, c.display) for c in record.active_conditions(concept)[:1])
    if not any(f.contraindication == Contraindication.IMMUNOCOMPROMISING_CONDITION for f in found):
        # a blood cancer in remission: a live vaccine still waits for the specialist (a maintenance treatment, the
        # delay after a chemotherapy), which the record may not show
        kind = Concept.IMMUNOCOMPROMISING_CONDITION
        remission = [c for c in record.conditions if c.concept == kind and c.in_remission]
        basis = rules.immunocompromising_condition_contraindication
        found.extend(
            Finding(Contraindication.IMMUNOCOMPROMISING_CONDITION, basis, c.display, in_remission=True)
            for c in remission[:1]
        )
    return found


def _delays(rules: MmrParameters) -> tuple[tuple[Concept, Cited[int]], ...]:
    return (
        (Concept.ANTI_CD20_ANTIBODY, rules.anti_cd20_live_vaccine_delay_months),
        (Concept.ANTINEOPLASTIC, rules.chemotherapy_live_vaccine_delay_months),
        (Concept.IMMUNOSUPPRESSANT, rules.immunosuppressant_live_vaccine_delay_months),
        (Concept.SYSTEMIC_GLUCOCORTICOID, rules.corticosteroid_live_vaccine_delay_months),
    )


def _treatment_finding(
    medication: MedicationFact, today: date, rules: MmrParameters, delays: tuple[tuple[Concept, Cited[int]], ...]
) -> Finding | None:
    """A treatment taken, or stopped less than its delay ago. One stopped on a day that is not recorded, or whose
    status is not stated, still counts (a live vaccine given too early is the harm)."""
    months = max((delay.value for concept, delay in delays if concept in medication.concepts), default=None)
    if months is None:
        return None
    stopped = medication.ended if medication.status == MedicationStatus.FINISHED else None
    wait_until = add_months(stopped, months) if stopped is not None else None
    if wait_until is not None and today >= wait_until:
        return None
    kind = (
        Contraindication.SYSTEMIC_CORTICOSTEROID
        if medication.concepts.isdisjoint(IMMUNOSUPPRESSANTS)
        else Contraindication.IMMUNOSUPPRESSIVE_TREATMENT
    )
    basis = rules.immunosuppressive_treatment_contraindication
    return Finding(kind, basis, medication.display, stopped=stopped, wait_until=wait_until, delay_months=months)


def immunosuppressive_treatments(record: PatientRecord, today: date, rules: MmrParameters) -> list[Finding]:
    """The first treatment of each kind (immunosuppressive, corticosteroid) that still delays a live vaccine."""
    found: dict[Contraindication, Finding] = {}
    delays = _delays(rules)
    for medication in record.medications:
        finding = _treatment_finding(medication, today, rules, delays)
        if finding is not None:
            found.setdefault(finding.contraindication, finding)
    return list(found.values())


def assess_safety(record: PatientRecord, today: date, rules: MmrParameters) -> VaccineSafety:
    findings = immune_conditions(record, rules) + immunosuppressive_treatments(record, today, rules)
    harmless: list[AllergyFact] = []
    unassessed: list[AllergyFact] = []
    for concept, contraindication, basis in (
        (Concept.MMR_VACCINE_ALLERGEN, Contraindication.ANAPHYLAXIS_MMR, rules.mmr_anaphylaxis_contraindication),
        (
            Concept.NEOMYCIN_ALLERGEN,
            Contraindication.ANAPHYLAXIS_NEOMYCIN,
            rules.neomycin_anaphylaxis_contraindication,
        ),
    ):
        allergies = record.allergies_to(concept)
        # a high-criticality allergy without the reaction recorded is read as anaphylaxis (safer)
        severe = [a for a in allergies if a.severe]
        if severe:
            assumed = not any(a.anaphylactic for a in severe)
            findings.append(Finding(contraindication, basis, severe[0].display, severity_assumed=assumed))
        mild = [a for a in allergies if not a.severe]
        harmless.extend(a for a in mild if not a.severity_unknown)
        unassessed.extend(a for a in mild if a.severity_unknown)
    pregnancy = current_pregnancy(record, today, rules)
    if pregnancy is not None:
        findings.append(pregnancy)
    return VaccineSafety(
        tuple(findings), record.allergies_to(Concept.GELATIN_ALLERGEN), unique(harmless), unique(unassessed)
    )


def product_for(safety: VaccineSafety, rules: MmrParameters) -> Medicine:
    return (rules.gelatin_free_product if safety.gelatin_allergies else rules.default_product).value


def gelatin_free(order_text: str, rules: MmrParameters) -> bool:
    text = order_text.lower()
    return any(name in text for name in rules.gelatin_free_product_names.value)
