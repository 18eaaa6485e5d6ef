"""A patient who has measles now, or had it: an active measles record is a case while the illness may still be
going on (``rules.evidence.acute_illness_is_current``); otherwise, as a resolved one, it is a history of measles.

A case is confirmed or suspected (a provisional, differential or unconfirmed diagnosis is reported all the same).
Its dates are counted from the recorded onset, read as the day the rash began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from prevention_cds.rules import evidence
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord
from prevention_cds.rules.mmr.parameters import MmrParameters


@dataclass(frozen=True)
class MeaslesCase:
    condition: ConditionFact
    today: date
    rules: MmrParameters

    @property
    def confirmed(self) -> bool:
        return self.condition.confirmed

    @property
    def rash_began(self) -> date | None:
        return self.condition.onset

    @property
    def eviction_until(self) -> date | None:
        """The last day out of the community (that day included), or None when the onset is not recorded."""
        if self.rash_began is None:
            return None
        return self.rash_began + timedelta(days=self.rules.measles_eviction_days_after_rash.value)

    @property
    def contagious_from(self) -> date | None:
        """The first day the patient may have passed measles on: contacts are sought from then."""
        if self.rash_began is None:
            return None
        return self.rash_began - timedelta(days=self.rules.measles_contagious_days_before_rash.value)

    @property
    def contagious(self) -> bool:
        """May still pass measles on today: until the end of the eviction, or when that end cannot be dated."""
        until = self.eviction_until
        return until is None or self.today <= until


def _is_current(condition: ConditionFact, today: date, rules: MmrParameters) -> bool:
    return condition.concept == Concept.MEASLES and evidence.acute_illness_is_current(
        condition, today, rules.measles_case_current_days.value
    )


def current_case(record: PatientRecord, today: date, rules: MmrParameters) -> MeaslesCase | None:
    """The measles case the record shows today, if any: of several, a confirmed and dated one, the latest."""
    current = [c for c in record.conditions if _is_current(c, today, rules)]
    if not current:
        return None
    chosen = max(current, key=lambda c: (c.confirmed, c.onset is not None, c.onset or date.min))
    return MeaslesCase(chosen, today, rules)


def _is_past(condition: ConditionFact, today: date, rules: MmrParameters) -> bool:
    if condition.concept == Concept.MEASLES_HISTORY:
        return True
    return condition.concept == Concept.MEASLES and not _is_current(condition, today, rules)


def past_measles(record: PatientRecord, today: date, rules: MmrParameters) -> tuple[ConditionFact, ...]:
    """Confirmed measles the patient had and is over: a history-of code, or the disease no longer current."""
    return tuple(c for c in record.conditions if c.confirmed and _is_past(c, today, rules))


def never_closed(record: PatientRecord, today: date, rules: MmrParameters) -> tuple[ConditionFact, ...]:
    """Measles records still active but too old to be a current illness: read as past, and said on the card."""
    return tuple(
        c for c in record.conditions if c.concept == Concept.MEASLES and c.active and not _is_current(c, today, rules)
    )
