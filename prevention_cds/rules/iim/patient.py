"""What the IIM rules need to know about the patient, computed once per call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from prevention_cds.rules.advice import Message
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.evidence import pregnancy_outlasted
from prevention_cds.rules.facts import ConditionFact, MedicationFact, MedicationStatus, PatientRecord, Sex
from prevention_cds.rules.iim.age import DosingBand, PatientAge
from prevention_cds.rules.iim.parameters import IimParameters
from prevention_cds.rules.iim.weight import UsableWeight, WeightStatus, weight_status

_DAYS_PER_WEEK = 7
_NOT_GIVEN_STATUSES = frozenset({MedicationStatus.NOT_TAKEN})
_ENDED_STATUSES = _NOT_GIVEN_STATUSES | {MedicationStatus.FINISHED}  # not taken now


@dataclass(frozen=True)
class PatientProfile:
    record: PatientRecord
    now: datetime
    rules: IimParameters  # the rule data in force today
    age: PatientAge | None
    weight: WeightStatus
    pregnant: bool

    @classmethod
    def of(cls, record: PatientRecord, now: datetime) -> PatientProfile:
        today = now.date()
        rules = IimParameters.on(today)
        age = PatientAge.of(record.birth_date, today, rules)
        return cls(
            record=record,
            now=now,
            rules=rules,
            age=age,
            weight=weight_status(record, age.youngest if age else None, now, rules),
            pregnant=_is_pregnant(record, today, rules),
        )

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def band(self) -> DosingBand | None:
        return self.age.band if self.age is not None else None

    @property
    def usable_weight(self) -> UsableWeight | None:
        return self.weight if isinstance(self.weight, UsableWeight) else None

    def current_medications(self, concept: Concept) -> tuple[MedicationFact, ...]:
        return tuple(m for m in self.record.medications_of(concept) if m.status not in _ENDED_STATUSES)

    def given_medications(self, concept: Concept) -> tuple[MedicationFact, ...]:
        """Taken now or in the past (a finished course counts; a cancelled or erroneous record does not)."""
        return tuple(m for m in self.record.medications_of(concept) if m.status not in _NOT_GIVEN_STATUSES)

    def preterm_conditions(self) -> tuple[ConditionFact, ...]:
        """Born preterm and possibly still under ceftriaxone's postmenstrual-age limit: the gestational age is
        not read, so the earliest one (``preterm_unknown_gestation_weeks``) is assumed. The record's conditions
        that say so; none when the limit is surely past."""
        found = tuple(c for c in self.record.conditions if c.concept is Concept.PREMATURITY)
        if self.age is None or not found:
            return ()
        limit = self.rules.ceftriaxone.preterm_until_postmenstrual_weeks.value
        weeks = limit - self.rules.preterm_unknown_gestation_weeks.value
        return found if self.age.youngest.days < weeks * _DAYS_PER_WEEK else ()

    def may_use_hormonal_contraception(self) -> bool:
        """A recorded hormonal contraceptive, or a woman (or unknown sex) of childbearing age."""
        if self.current_medications(Concept.HORMONAL_CONTRACEPTIVE):
            return True
        if self.record.sex is Sex.MALE or self.age is None:
            return False
        return self.rules.childbearing_age.possible(self.age.youngest.years, self.age.oldest.years)

    def facts(self) -> tuple[Message, ...]:
        """Age, weight and pregnancy as the card shows them."""
        facts: list[Message] = []
        if self.age is None and self.record.unreadable_birth_date is not None:
            unreadable = self.record.unreadable_birth_date
            facts.append(Message.decisive_of("iim.fact.birth-date-unreadable", birth_date=unreadable))
        elif self.age is None:
            facts.append(Message.decisive_of("iim.fact.age-unknown"))
        elif not self.age.exact and self.record.birth_date is not None:
            birth_date = self.record.birth_date.isoformat()
            facts.append(Message.decisive_of("iim.fact.birth-date-partial", birth_date=birth_date))
        else:
            facts.append(_age_fact(self.age, self.rules))
        if isinstance(self.weight, UsableWeight):
            weight, weighed_on = self.weight.shown_kg, self.weight.measured_on
            facts.append(
                Message.decisive_of("iim.fact.weight-as-recorded", weight_kg=weight, weighed_on=weighed_on)
                if self.weight.recorded_as_shown
                else Message.decisive_of(
                    "iim.fact.weight",
                    weight_kg=weight,
                    recorded=self.weight.measurement.original_value,
                    weighed_on=weighed_on,
                )
            )
        elif self.band is not DosingBand.ADULT:  # adult doses are fixed: a missing weight is no news
            facts.append(Message.decisive_of("iim.fact.weight-unusable", problem=self.weight.message()))
        # Born preterm, while it still restricts ceftriaxone: the record's entry, to check
        facts += [Message.decisive_of("iim.fact.preterm", condition=c.display) for c in self.preterm_conditions()]
        if self.pregnant:
            delivery = self.record.pregnancy.expected_delivery if self.record.pregnancy else None
            facts.append(
                Message.decisive_of("iim.fact.pregnant-due", expected_delivery=delivery)
                if delivery
                else Message.decisive_of("iim.fact.pregnant")
            )
        return tuple(facts)


def _age_fact(age: PatientAge, rules: IimParameters) -> Message:
    exact = age.youngest  # a toddler's age reads in months, not in years
    if exact.months >= rules.age_in_months_below_months.value:
        return Message.decisive_of("iim.fact.age-years", years=exact.years)
    if exact.months > 0:
        return Message.decisive_of("iim.fact.age-months", months=exact.months, days=exact.days)
    return Message.decisive_of("iim.fact.age-days", days=exact.days)


def _is_pregnant(record: PatientRecord, today: date, rules: IimParameters) -> bool:
    """An active pregnancy Condition, or a 'pregnant' observation recent enough to still be true.

    The expected delivery date does not end it: a pregnancy past its term is when the newborn vitamin K
    advice matters most.
    """
    if record.has_condition(Concept.PREGNANCY):
        return True
    evidence = record.pregnancy
    if evidence is None or not evidence.pregnant:
        return False
    return not pregnancy_outlasted(evidence.observed_on, today, rules.pregnancy_evidence_max_days.value)
