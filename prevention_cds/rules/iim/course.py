"""One prophylaxis (or eradication) course: which antibiotics to offer, which one is recommended.

First line: rifampicin alone (the minutes keep the second line for a contraindication, a resistance or a
repeated case [U1]). Second line: ciprofloxacin or ceftriaxone; ceftriaxone is preferred for a pregnant woman
(clinical.md §A.5), for a child (its paediatric dose is the guide's, the ciprofloxacin one awaits national
dosing [U1]), and when ciprofloxacin needs a precaution (an interaction, breastfeeding). When a 2-day rifampicin
course is unsafe (an interaction, severe liver disease) or supply is short, the second line comes first and
rifampicin stays a possible choice. No usable drug: a specialist's advice, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prevention_cds.rules.advice import GuidelineRef, MedicationProposal, Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.iim.age import DosingBand
from prevention_cds.rules.iim.contraindications import Contraindication, contraindications
from prevention_cds.rules.iim.interactions import interactions_doing
from prevention_cds.rules.iim.parameters import InteractionAction
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.regimens import REGIMENS, DoseOutcome, Drug, WeightRequired
from prevention_cds.rules.iim.second_line import SecondLineDecision


class CourseKind(StrEnum):
    FIRST_LINE = "first-line"
    SECOND_LINE = "second-line"
    SPECIALIST = "specialist"  # every drug excluded: no automatic proposal


@dataclass(frozen=True)
class CourseOption:
    drug: Drug
    outcome: DoseOutcome
    recommended: bool
    basis: tuple[GuidelineRef, ...]  # the sources of the values the dose was computed from


@dataclass(frozen=True)
class CoursePlan:
    kind: CourseKind
    band: DosingBand
    options: tuple[CourseOption, ...]  # preferred first
    excluded: tuple[Contraindication, ...]
    second_line: SecondLineDecision
    decisions: tuple[Message, ...] = ()

    @property
    def proposals(self) -> tuple[tuple[CourseOption, MedicationProposal], ...]:
        return tuple((o, o.outcome) for o in self.options if isinstance(o.outcome, MedicationProposal))

    @property
    def weight_required(self) -> tuple[WeightRequired, ...]:
        return tuple(o.outcome for o in self.options if isinstance(o.outcome, WeightRequired))

    @property
    def main(self) -> CourseOption | None:
        """The recommended option, else the first one."""
        return next((o for o in self.options if o.recommended), self.options[0] if self.options else None)


def plan_course(
    patient: PatientProfile, band: DosingBand, second_line: SecondLineDecision, reason_reference: str | None
) -> CoursePlan:
    excluded = tuple(ci for drug in Drug for ci in contraindications(drug, patient))
    alternatives, decisions = _alternatives(patient, band, {ci.drug for ci in excluded})

    def option(drug: Drug, recommended: bool) -> CourseOption:
        cites = Citations()
        outcome = REGIMENS[drug].propose(patient, band, reason_reference, cites)
        return CourseOption(drug, outcome, recommended, cites.refs)

    def plan(kind: CourseKind, options: list[CourseOption], extra: tuple[Message, ...] = ()) -> CoursePlan:
        return CoursePlan(kind, band, tuple(options), excluded, second_line, extra + second_line.decisions)

    if second_line.clinical:
        if not alternatives:
            return plan(CourseKind.SPECIALIST, [])
        return plan(CourseKind.SECOND_LINE, [option(d, r) for d, r in alternatives], decisions)
    if (second_line.shortage or second_line.preferred) and alternatives:
        # Rifampicin stays a possible, not recommended, choice: the restriction is on supply or on a 2-day risk.
        options = [option(d, r) for d, r in alternatives] + [option(Drug.RIFAMPICIN, False)]
        return plan(CourseKind.SECOND_LINE, options, decisions)
    # First line: rifampicin alone; the card says in words that a second line exists (clinical.md §A.4, [U1]).
    return plan(CourseKind.FIRST_LINE, [option(Drug.RIFAMPICIN, True)])


def _alternatives(
    patient: PatientProfile, band: DosingBand, excluded: set[Drug]
) -> tuple[list[tuple[Drug, bool]], tuple[Message, ...]]:
    """The usable second-line drugs, preferred first, with the one to recommend (if any)."""
    drugs = [d for d in (Drug.CIPROFLOXACIN, Drug.CEFTRIAXONE) if d not in excluded]
    if Drug.CEFTRIAXONE in drugs:
        decisions: tuple[Message, ...] = ()
        if patient.pregnant or band is not DosingBand.ADULT:
            decisions = (Message.of("iim.decision.prefer-ceftriaxone"),)
        elif Drug.CIPROFLOXACIN in drugs and (
            interactions_doing(Drug.CIPROFLOXACIN, patient, InteractionAction.PREFER_CEFTRIAXONE)
            or patient.record.has_condition(Concept.BREASTFEEDING)
        ):
            decisions = (Message.of("iim.decision.prefer-ceftriaxone-precaution"),)
        if decisions:
            drugs.sort(key=lambda d: d is not Drug.CEFTRIAXONE)
            return [(d, d is Drug.CEFTRIAXONE) for d in drugs], decisions
    return [(d, len(drugs) == 1) for d in drugs], ()
