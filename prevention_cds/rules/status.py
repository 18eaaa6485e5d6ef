"""A patient's vaccination status read from the advice the rules gave: one status per patient, the most pressing.

The same reading serves ``prevention-cds evaluate --summary`` and the population scan. It reads the forecasts the
advice proposes (the ImmunizationRecommendations of the cards), the facts that count and reject doses, and, when
nothing is owed, which up-to-date advice the rules chose; it decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from prevention_cds.rules.advice import Advice, ImmunizationForecast, ProposeImmunization
from prevention_cds.rules.mmr.cards.up_to_date import UP_TO_DATE_RULE

# Most pressing first. "not-yet-due": nothing owed yet (an infant before the calendar age); "other": advice
# without a forecast (no birth date, immunoglobulins after a contact, an age too uncertain to decide).
STATUS_ORDER = ("contraindicated", "overdue", "due", "not-yet-due", "immune", "complete", "other")

# The up-to-date advice of the MMR rules: its summary says why nothing is owed.
UP_TO_DATE_STATUS = {
    "mmr.summary.not-yet-due": "not-yet-due",
    "mmr.summary.up-to-date": "complete",
    "mmr.summary.measles-immune": "immune",
    "mmr.summary.presumed-immune": "immune",
}
COUNTED_FACTS = frozenset({"mmr.fact.dose-counted", "mmr.fact.dose-counted-mmrv"})
REJECTED_FACT = "mmr.fact.dose-rejected"
JUDGED_FACTS = COUNTED_FACTS | {REJECTED_FACT, "mmr.fact.no-dose"}  # absent when doses could not be judged


@dataclass(frozen=True)
class VaccinationStatus:
    status: str  # one of STATUS_ORDER
    rule: str | None  # the stable id of the advice that decided it (None: no advice, nothing owed)
    reason: str | None  # the forecast's reason key, or the up-to-date summary key
    next_dose: date | None  # when the next dose is due (None when none is owed or it cannot be dated)
    doses_counted: int | None  # None when the doses could not be judged (no birth date)
    doses_rejected: int | None


def forecasts(advice: Iterable[Advice]) -> Iterator[tuple[Advice, ImmunizationForecast]]:
    for item in advice:
        for suggestion in item.suggestions:
            for action in suggestion.actions:
                if isinstance(action, ProposeImmunization):
                    yield item, action.forecast


def vaccination_status(advice: Iterable[Advice]) -> VaccinationStatus:
    """The most pressing status over the advice of one patient; no advice at all means nothing is owed."""
    advice = tuple(advice)
    counted, rejected = _dose_counts(advice)
    candidates: list[tuple[int, VaccinationStatus]] = []
    for item, forecast in forecasts(advice):
        for dose in forecast.doses:
            found = VaccinationStatus(
                dose.status.value, item.rule, dose.reason.key if dose.reason else None, dose.due, counted, rejected
            )
            candidates.append((STATUS_ORDER.index(found.status), found))
            break  # the first dose of a forecast is the next one
    for item in advice:
        if item.rule == UP_TO_DATE_RULE and item.summary.key in UP_TO_DATE_STATUS:
            status = UP_TO_DATE_STATUS[item.summary.key]
            due = item.summary.params.get("due")
            found = VaccinationStatus(
                status, item.rule, item.summary.key, due if isinstance(due, date) else None, counted, rejected
            )
            candidates.append((STATUS_ORDER.index(status), found))
    if candidates:
        return min(candidates, key=lambda c: c[0])[1]
    if advice:
        first = advice[0]
        return VaccinationStatus("other", first.rule, first.summary.key, None, counted, rejected)
    return VaccinationStatus("complete", None, None, None, counted, rejected)


def _dose_counts(advice: tuple[Advice, ...]) -> tuple[int | None, int | None]:
    """Doses counted and rejected, from the facts of the first advice that judged them."""
    for item in advice:
        keys = [fact.key for fact in item.facts]
        if JUDGED_FACTS.intersection(keys):
            return sum(k in COUNTED_FACTS for k in keys), keys.count(REJECTED_FACT)
    return None, None
