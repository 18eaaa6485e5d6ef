"""Why the live MMR vaccine must not be given now (pregnancy, severe immunodeficiency, anaphylaxis), and the
product to choose (no gelatin for a gelatin allergy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from prevention_cds.rules.advice import Medicine
from prevention_cds.rules.citation import Statement
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import AllergyFact, PatientRecord
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.unique import unique


class Contraindication(StrEnum):
    SEVERE_IMMUNODEFICIENCY = "severe-immunodeficiency"
    ANAPHYLAXIS_MMR = "anaphylaxis-mmr"
    ANAPHYLAXIS_NEOMYCIN = "anaphylaxis-neomycin"
    PREGNANCY = "pregnancy"  # the only temporary one: vaccinate after delivery


@dataclass(frozen=True)
class Finding:
    contraindication: Contraindication
    basis: Statement  # the rule, with its source
    display: str | None = None  # the condition or allergy as recorded
    expected_delivery: date | None = None
    severity_assumed: bool = False  # high-criticality allergy with no reaction recorded, read as anaphylaxis


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
    def expected_delivery(self) -> date | None:
        return next((f.expected_delivery for f in self.findings if f.expected_delivery), None)


def _severe(allergy: AllergyFact) -> bool:
    # a high-criticality allergy without the reaction recorded is read as anaphylaxis (safer)
    return allergy.anaphylactic or allergy.high_criticality


def current_pregnancy(record: PatientRecord, rules: MmrParameters) -> Finding | None:
    """Pregnant on the latest evidence. An active pregnancy condition stands unless a later 'not pregnant'
    observation supersedes it; undated evidence counts as pregnant (vaccinating a pregnant woman is the harm)."""
    observation = record.pregnancy
    if observation is not None and observation.pregnant:
        return Finding(
            Contraindication.PREGNANCY, rules.pregnancy_contraindication, None, observation.expected_delivery
        )
    for condition in record.active_conditions(Concept.PREGNANCY):
        stated = condition.recorded or condition.onset
        superseded = (
            observation is not None
            and observation.observed_on is not None
            and stated is not None
            and observation.observed_on > stated
        )
        if not superseded:
            return Finding(Contraindication.PREGNANCY, rules.pregnancy_contraindication, condition.display)
    return None


def assess_safety(record: PatientRecord, rules: MmrParameters) -> VaccineSafety:
    findings = [
        Finding(Contraindication.SEVERE_IMMUNODEFICIENCY, rules.severe_immunodeficiency_contraindication, c.display)
        for c in record.active_conditions(Concept.SEVERE_IMMUNODEFICIENCY)
    ][:1]
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
        severe = [a for a in allergies if _severe(a)]
        if severe:
            assumed = not any(a.anaphylactic for a in severe)
            findings.append(Finding(contraindication, basis, severe[0].display, severity_assumed=assumed))
        harmless.extend(a for a in allergies if not _severe(a) and not a.severity_unknown)
        unassessed.extend(a for a in allergies if not _severe(a) and a.severity_unknown)
    pregnancy = current_pregnancy(record, rules)
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
