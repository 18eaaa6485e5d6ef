"""Everything the MMR rules conclude about one patient on one day, before any card is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from prevention_cds.rules.advice import Medicine
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.mmr.contraindications import VaccineSafety, assess_safety, product_for
from prevention_cds.rules.mmr.cost import CostRule, cost_rule
from prevention_cds.rules.mmr.dose_evaluation import DoseHistory, evaluate_doses, spacing_events
from prevention_cds.rules.mmr.doses_owed import DoseTarget, dose_target, is_mandatory_cohort
from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import BirthBounds, Person, person_of
from prevention_cds.rules.mmr.post_exposure import ExposureAssessment, assess_exposure, current_exposure
from prevention_cds.rules.mmr.schedule import PlannedDose, PlanRequest, plan_doses
from prevention_cds.rules.mmr.validity import AgeLimits, Obstacle, SpacingEvents, obstacles


@dataclass(frozen=True)
class MmrAssessment:
    now: datetime
    person: Person
    birth: BirthBounds
    history: DoseHistory
    target: DoseTarget
    safety: VaccineSafety
    exposure: ExposureAssessment | None
    cost: CostRule
    product: Medicine
    rules: MmrParameters

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def owed(self) -> int:
        return self.target.owed(self.history.counted_number)

    @property
    def mandatory(self) -> bool:
        return is_mandatory_cohort(self.birth, self.rules)

    @property
    def minor(self) -> bool:
        """May still be a child or adolescent (late doses are 'overdue' only for them)."""
        return self.birth.youngest_age_years(self.today) <= self.rules.overdue_max_age_years.value

    @property
    def possibly_childbearing(self) -> bool:
        birth, today = self.birth, self.today
        return self.person.possibly_female and self.rules.childbearing_age.possible(
            birth.youngest_age_years(today), birth.oldest_age_years(today)
        )

    @property
    def limits(self) -> AgeLimits:
        return AgeLimits.of(self.birth, self.rules.min_age_months.value, self.rules)

    def obstacles_today(self) -> tuple[Obstacle, ...]:
        """Why a dose given today would not count (empty: it would)."""
        return obstacles(self.today, self.history.events, self.limits, self.rules)

    def plan(self, request: PlanRequest) -> tuple[PlannedDose, ...]:
        return plan_doses(request, self.birth, self.history.events, self.today, self.rules)

    def routine_request(self, *, due_now: bool = False, not_before: date | None = None) -> PlanRequest:
        return PlanRequest(
            counted=self.history.counted_number,
            owed=self.owed,
            routine_calendar=self.target.routine_calendar,
            overdue_applies=self.minor and self.target.routine_calendar,
            due_now=due_now,
            not_before=not_before,
        )


@dataclass(frozen=True)
class UndatedAssessment:
    """No birth date: only what does not depend on age (contraindications, immunoglobulins after a contact)."""

    now: datetime
    person: Person
    safety: VaccineSafety
    events: SpacingEvents
    exposure: ExposureAssessment | None
    rules: MmrParameters

    @property
    def limits(self) -> AgeLimits:
        return AgeLimits.of(None, self.rules.min_age_months.value, self.rules)


def assess(record: PatientRecord, now: datetime, rules: MmrParameters) -> MmrAssessment | UndatedAssessment:
    today = now.date()
    person = person_of(record, today, rules)
    safety = assess_safety(record, today, rules)
    timing = current_exposure(record, now, rules)
    birth = person.birth
    if birth is None:
        events = spacing_events(record, today)
        exposure = (
            assess_exposure(timing, person, None, None, safety, events, now, rules) if timing is not None else None
        )
        return UndatedAssessment(now, person, safety, events, exposure, rules)
    history = evaluate_doses(record, birth, today, rules)
    target = dose_target(person, birth, rules)
    exposure = (
        assess_exposure(timing, person, history.counted_number, target, safety, history.events, now, rules)
        if timing is not None
        else None
    )
    return MmrAssessment(
        now=now,
        person=person,
        birth=birth,
        history=history,
        target=target,
        safety=safety,
        exposure=exposure,
        cost=cost_rule(person, today, rules),
        product=product_for(safety, rules),
        rules=rules,
    )
