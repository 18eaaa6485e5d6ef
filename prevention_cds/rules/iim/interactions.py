"""Interactions of a prophylaxis antibiotic with the patient's other medicines (the ``interaction_*`` rule data).

Each rule names an antibiotic, the ValueSet of the medicines it interacts with (ATC classes and ingredient codes:
a fixed combination is matched by its own code or by its ingredients), a Thésaurus level and what to do. The
record's current medicines are read, and on an order hook the other draft orders too (``PatientProfile``
carries them). Each medicine found is named on the card once, with its most severe interaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prevention_cds.rules.advice import Message, ParamValue
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.parameters import InteractionAction, InteractionLevel, InteractionRule
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug

# Per interacting ValueSet: the class in words, what to do
_GROUP_KEYS: dict[Concept, tuple[str, str]] = {
    Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR: (
        "iim.interaction.group.protease-inhibitor",
        "iim.interaction.do.contraindicated",
    ),
    Concept.RIFAMPICIN_CI_ANTIRETROVIRAL: (
        "iim.interaction.group.antiretroviral",
        "iim.interaction.do.contraindicated",
    ),
    Concept.RIFAMPICIN_CI_HCV_ANTIVIRAL: ("iim.interaction.group.hcv-antiviral", "iim.interaction.do.contraindicated"),
    Concept.RIFAMPICIN_INTERACTING: ("iim.interaction.group.rifampicin-other", "iim.interaction.do.contraindicated"),
    Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL: (
        "iim.interaction.group.antiretroviral-levels",
        "iim.interaction.do.antiretroviral-levels",
    ),
    Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL: (
        "iim.interaction.group.antiretroviral-dose",
        "iim.interaction.do.antiretroviral-dose",
    ),
    Concept.RIFAMPICIN_AVOID_AZOLE: ("iim.interaction.group.azole", "iim.interaction.do.azole"),
    Concept.RIFAMPICIN_AVOID_ANTICOAGULANT: ("iim.interaction.group.anticoagulant", "iim.interaction.do.anticoagulant"),
    Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE: (
        "iim.interaction.group.induction-sensitive",
        "iim.interaction.do.induction-sensitive",
    ),
    Concept.VITAMIN_K_ANTAGONIST: (
        "iim.interaction.group.vitamin-k-antagonist",
        "iim.interaction.do.vitamin-k-antagonist",
    ),
    Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT: (
        "iim.interaction.group.immunosuppressant",
        "iim.interaction.do.immunosuppressant",
    ),
    Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION: (
        "iim.interaction.group.opioid-substitution",
        "iim.interaction.do.opioid-substitution",
    ),
    Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE: (
        "iim.interaction.group.induction-sensitive",
        "iim.interaction.do.induction-sensitive-caution",
    ),
    Concept.HORMONAL_CONTRACEPTIVE: (
        "iim.interaction.group.hormonal-contraceptive",
        "iim.interaction.do.contraceptive",
    ),
    Concept.CIPROFLOXACIN_INTERACTING: (
        "iim.interaction.group.ciprofloxacin-other",
        "iim.interaction.do.ciprofloxacin-contraindicated",
    ),
    Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE: ("iim.interaction.group.cyp1a2", "iim.interaction.do.cyp1a2"),
    Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING: ("iim.interaction.group.qt", "iim.interaction.do.qt"),
    Concept.CIPROFLOXACIN_AVOID_METHOTREXATE: ("iim.interaction.group.methotrexate", "iim.interaction.do.methotrexate"),
    Concept.CIPROFLOXACIN_CAUTION_ABSORPTION: ("iim.interaction.group.absorption", "iim.interaction.do.absorption"),
    Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN: ("iim.interaction.group.phenytoin", "iim.interaction.do.phenytoin"),
}
# What to do when a list serves another antibiotic than the one its advice above was written for
_DRUG_ADVICE: dict[tuple[Concept, Concept], str] = {
    (Concept.CIPROFLOXACIN, Concept.VITAMIN_K_ANTAGONIST): "iim.interaction.do.inr-raised",
    (Concept.CEFTRIAXONE, Concept.VITAMIN_K_ANTAGONIST): "iim.interaction.do.inr-raised",
}
_LEVEL_KEYS = {
    InteractionLevel.CONTRAINDICATED: "iim.interaction.level.contraindicated",
    InteractionLevel.AVOID: "iim.interaction.level.avoid",
    InteractionLevel.PRECAUTION: "iim.interaction.level.precaution",
}


@dataclass(frozen=True)
class Interaction:
    """A medicine of the record (or a draft order) that interacts with the antibiotic."""

    rule: InteractionRule
    basis: Statement  # the rule's source and section
    medicine: str  # as the record names it
    source_id: str | None
    advice_params: tuple[tuple[str, ParamValue], ...] = ()  # the numbers the advice needs

    @property
    def action(self) -> InteractionAction:
        return self.rule.action

    @property
    def group(self) -> Message:
        return Message.of(_GROUP_KEYS[self.rule.medicines][0])

    def message(self, medicines: str | None = None) -> Message:
        """The medicine found (or ``medicines``, those of one rule), its class, the level and what to do."""
        label, advice = _GROUP_KEYS[self.rule.medicines]
        advice = _DRUG_ADVICE.get((self.rule.drug, self.rule.medicines), advice)
        return Message.decisive_of(
            "iim.interaction.found",
            medicine=self.medicine if medicines is None else medicines,
            group=Message.of(label),
            level=Message.of(_LEVEL_KEYS[self.rule.level]),
            advice=Message.of(advice, **dict(self.advice_params)),
        )


def lines(found: Iterable[Interaction]) -> tuple[Message, ...]:
    """One line per rule, naming every medicine it found ("LEVOTHYROX, CORTANCYL"): two medicines of one list make
    one line, which leaves the card room for the facts. A medicine without a name keeps a line of its own, which
    says so."""
    groups: dict[InteractionRule | int, list[Interaction]] = {}
    for n, interaction in enumerate(found):
        groups.setdefault(interaction.rule if interaction.medicine.strip() else n, []).append(interaction)
    return tuple(
        group[0].message(", ".join(i.medicine for i in group)) if len(group) > 1 else group[0].message()
        for group in groups.values()
    )


def found_in(
    cited: Cited[InteractionRule], medicine: str, source_id: str | None, patient: PatientProfile
) -> Interaction:
    """One interaction found, with the numbers its advice needs (the barrier-contraception duration)."""
    params: tuple[tuple[str, ParamValue], ...] = ()
    if cited.value.medicines is Concept.HORMONAL_CONTRACEPTIVE:
        params = (("days", patient.rules.contraception_barrier_days_after.value),)
    elif cited.value.medicines is Concept.CIPROFLOXACIN_CAUTION_ABSORPTION:
        params = (("hours", patient.rules.ciprofloxacin_absorption_spacing_hours.value),)
    return Interaction(cited.value, Cited(None, cited.ref), medicine, source_id, params)


def interactions(drug: Drug, patient: PatientProfile) -> tuple[Interaction, ...]:
    """Every current medicine that interacts with ``drug``, each once, with its most severe rule."""
    found: list[Interaction] = []
    seen: set[str] = set()
    for cited in patient.rules.interactions:  # most severe first
        rule = cited.value
        if rule.drug is not drug.concept:
            continue
        for medicine in patient.current_medications(rule.medicines):
            key = medicine.source_id or medicine.display
            if key in seen:
                continue
            seen.add(key)
            found.append(found_in(cited, medicine.display, medicine.source_id, patient))
    return tuple(found)


def interactions_doing(drug: Drug, patient: PatientProfile, action: InteractionAction) -> tuple[Interaction, ...]:
    return tuple(i for i in interactions(drug, patient) if i.action is action)
