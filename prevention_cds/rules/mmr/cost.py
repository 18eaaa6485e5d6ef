"""Who pays for the vaccine: free up to ``free_vaccine_max_age_years`` inclusive or under AME (separate
ordonnance), else reimbursed at ``reimbursement_rate_percent``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from prevention_cds.rules.mmr.parameters import MmrParameters
from prevention_cds.rules.mmr.person import Person


class CostRule(StrEnum):
    FREE_MINOR = "free-minor"
    FREE_STATE_MEDICAL_AID = "free-ame"
    FREE_IF_MINOR = "free-if-minor"  # partial birth date: may be under or over the age limit
    REIMBURSED = "reimbursed"
    REIMBURSED_UNLESS_STATE_MEDICAL_AID = "reimbursed-unless-ame"  # AME not stated in the record


def cost_rule(person: Person, today: date, rules: MmrParameters) -> CostRule:
    birth = person.birth
    limit = rules.free_vaccine_max_age_years.value
    if birth is not None and birth.oldest_age_years(today) <= limit:
        return CostRule.FREE_MINOR
    if person.state_medical_aid:
        return CostRule.FREE_STATE_MEDICAL_AID
    if birth is None or birth.youngest_age_years(today) <= limit:
        return CostRule.FREE_IF_MINOR
    if person.state_medical_aid is None:
        return CostRule.REIMBURSED_UNLESS_STATE_MEDICAL_AID
    return CostRule.REIMBURSED
