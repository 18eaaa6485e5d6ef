"""Interactions of a prophylaxis antibiotic with the patient's other medicines (the ``interaction_*`` rule data).

Each rule names an antibiotic, the ValueSet of the medicines it interacts with (ATC classes and ingredient codes:
a fixed combination is matched by its own code or by its ingredients), a Thésaurus level and what to do. The
record's current medicines are read, and on an order hook the other draft orders too (``PatientProfile``
carries them). Each medicine found is named on the card once, with its most severe interaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prevention_cds.rules.advice import Message, ParamValue
from prevention_cds.rules.citation import Cited, Statement
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.parameters import IimParameters, InteractionAction, InteractionLevel, InteractionRule
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import Drug

# Per interacting ValueSet: the class in words
_GROUPS: dict[Concept, str] = {
    Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR: "iim.interaction.group.protease-inhibitor",
    Concept.RIFAMPICIN_CI_ANTIRETROVIRAL: "iim.interaction.group.antiretroviral",
    Concept.RIFAMPICIN_CI_HCV_ANTIVIRAL: "iim.interaction.group.hcv-antiviral",
    Concept.RIFAMPICIN_INTERACTING: "iim.interaction.group.rifampicin-other",
    Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL: "iim.interaction.group.antiretroviral-levels",
    Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL: "iim.interaction.group.antiretroviral-dose",
    Concept.RIFAMPICIN_AVOID_AZOLE: "iim.interaction.group.azole",
    Concept.RIFAMPICIN_AVOID_ANTICOAGULANT: "iim.interaction.group.anticoagulant",
    Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE: "iim.interaction.group.induction-sensitive",
    Concept.VITAMIN_K_ANTAGONIST: "iim.interaction.group.vitamin-k-antagonist",
    Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT: "iim.interaction.group.immunosuppressant",
    Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION: "iim.interaction.group.opioid-substitution",
    Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE: "iim.interaction.group.induction-sensitive",
    Concept.HORMONAL_CONTRACEPTIVE: "iim.interaction.group.hormonal-contraceptive",
    Concept.CIPROFLOXACIN_INTERACTING: "iim.interaction.group.ciprofloxacin-other",
    Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE: "iim.interaction.group.cyp1a2",
    Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING: "iim.interaction.group.qt",
    Concept.CIPROFLOXACIN_AVOID_METHOTREXATE: "iim.interaction.group.methotrexate",
    Concept.CIPROFLOXACIN_CAUTION_ABSORPTION: "iim.interaction.group.absorption",
    Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN: "iim.interaction.group.phenytoin",
    Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE: "iim.interaction.group.induction-sensitive",
    Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID: "iim.interaction.group.glucocorticoid",
    Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE: "iim.interaction.group.caffeine",
    Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE: "iim.interaction.group.mycophenolate",
}
# Per antibiotic and interacting ValueSet: what to do (one list may serve several antibiotics, the vitamin K
# antagonists: rifampicin lowers the INR, the second line raises it)
_ADVICE: dict[tuple[Concept, Concept], str] = {
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR): "iim.interaction.do.contraindicated",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CI_ANTIRETROVIRAL): "iim.interaction.do.contraindicated",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CI_HCV_ANTIVIRAL): "iim.interaction.do.contraindicated",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_INTERACTING): "iim.interaction.do.contraindicated",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL): "iim.interaction.do.antiretroviral-levels",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL): "iim.interaction.do.antiretroviral-dose",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_AVOID_AZOLE): "iim.interaction.do.azole",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_AVOID_ANTICOAGULANT): "iim.interaction.do.anticoagulant",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE): "iim.interaction.do.induction-sensitive",
    (Concept.RIFAMPICIN, Concept.VITAMIN_K_ANTAGONIST): "iim.interaction.do.vitamin-k-antagonist",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT): "iim.interaction.do.immunosuppressant",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION): "iim.interaction.do.opioid-substitution",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE):
        "iim.interaction.do.induction-sensitive-caution",
    (Concept.RIFAMPICIN, Concept.HORMONAL_CONTRACEPTIVE): "iim.interaction.do.contraceptive",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_INTERACTING): "iim.interaction.do.ciprofloxacin-contraindicated",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE): "iim.interaction.do.cyp1a2",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING): "iim.interaction.do.qt",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_AVOID_METHOTREXATE): "iim.interaction.do.methotrexate",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CAUTION_ABSORPTION): "iim.interaction.do.absorption",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN): "iim.interaction.do.phenytoin",
    (Concept.CIPROFLOXACIN, Concept.VITAMIN_K_ANTAGONIST): "iim.interaction.do.inr-raised",
    (Concept.CEFTRIAXONE, Concept.VITAMIN_K_ANTAGONIST): "iim.interaction.do.inr-raised",
    (Concept.RIFAMPICIN, Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE):
        "iim.interaction.do.induction-sensitive-consider",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID): "iim.interaction.do.tendinopathy",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE): "iim.interaction.do.caffeine",
    (Concept.CIPROFLOXACIN, Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE): "iim.interaction.do.mycophenolate",
}
# The number an advice names, from the rule data: (its parameter, where the day's parameters hold it)
_ADVICE_NUMBERS: dict[Concept, tuple[str, Callable[[IimParameters], Cited[int]]]] = {
    Concept.HORMONAL_CONTRACEPTIVE: ("days", lambda rules: rules.contraception_barrier_days_after),
    Concept.CIPROFLOXACIN_CAUTION_ABSORPTION: ("hours", lambda rules: rules.ciprofloxacin_absorption_spacing_hours),
}
_LEVEL_KEYS = {
    InteractionLevel.CONTRAINDICATED: "iim.interaction.level.contraindicated",
    InteractionLevel.AVOID: "iim.interaction.level.avoid",
    InteractionLevel.PRECAUTION: "iim.interaction.level.precaution",
    InteractionLevel.TO_CONSIDER: "iim.interaction.level.to-consider",
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
        return Message.of(_GROUPS[self.rule.medicines])

    def message(self, medicines: str | None = None) -> Message:
        """The medicine found (or ``medicines``, those of one rule), its class, the level and what to do: on the
        card, but for an interaction only to be told (the explanation page)."""
        make = Message.of if self.action is InteractionAction.INFORM else Message.decisive_of
        return make(
            "iim.interaction.found",
            medicine=self.medicine if medicines is None else medicines,
            group=self.group,
            level=Message.of(_LEVEL_KEYS[self.rule.level]),
            advice=Message.of(_ADVICE[self.rule.drug, self.rule.medicines], **dict(self.advice_params)),
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
    """One interaction found, with the number its advice needs (the barrier-contraception duration)."""
    number = _ADVICE_NUMBERS.get(cited.value.medicines)
    params: tuple[tuple[str, ParamValue], ...] = ()
    if number is not None:
        name, value_of = number
        params = ((name, value_of(patient.rules).value),)
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
