"""How many valid MMR doses the patient should have, and under which rule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prevention_cds.rules.advice import GuidelineRef
from prevention_cds.rules.citation import sources
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds, Person


class TargetRule(StrEnum):
    BORN_SINCE_CUTOFF = "born-since-cutoff"  # everyone born since the cut-off: the full series, routine calendar
    PROFESSIONAL_BEFORE_CUTOFF = "professional-before-cutoff"
    RUBELLA_WOMAN_BEFORE_CUTOFF = "rubella-woman-before-cutoff"
    NONE_BEFORE_CUTOFF = "none-before-cutoff"  # born before the cut-off, not in a targeted group


@dataclass(frozen=True)
class DoseTarget:
    doses: int
    rule: TargetRule
    basis: tuple[GuidelineRef, ...]  # the source of the rule applied: its number of doses, its birth cut-off

    @property
    def routine_calendar(self) -> bool:
        """The infant calendar applies (its ages set due and overdue dates)."""
        return self.rule == TargetRule.BORN_SINCE_CUTOFF

    def owed(self, counted: int) -> int:
        return max(0, self.doses - counted)


def dose_target(person: Person, birth: BirthBounds, rules: MmrParameters) -> DoseTarget:
    # a birth date that may fall on either side of the cut-off gets the larger target (an extra dose is harmless)
    cutoff = rules.born_since_cutoff
    if birth.possibly_born_since(cutoff.value):
        doses = rules.target_doses_born_since_cutoff
        return DoseTarget(doses.value, TargetRule.BORN_SINCE_CUTOFF, sources(doses, cutoff))
    if person.professional and not person.measles_history:
        doses = rules.target_doses_professional_before_cutoff
        # the row cited states the cut-off itself; the cut-off's own row is the rule for those born since
        return DoseTarget(doses.value, TargetRule.PROFESSIONAL_BEFORE_CUTOFF, sources(doses))
    if person.possibly_female:
        doses = rules.target_doses_rubella_woman_before_cutoff
        return DoseTarget(doses.value, TargetRule.RUBELLA_WOMAN_BEFORE_CUTOFF, sources(doses))
    return DoseTarget(0, TargetRule.NONE_BEFORE_CUTOFF, sources(cutoff))


def is_mandatory_cohort(birth: BirthBounds, rules: MmrParameters) -> bool:
    """Legal obligation (children born on or after ``mandatory_cohort_from``): stated only when certain."""
    return birth.certainly_born_since(rules.mandatory_cohort_from.value)
