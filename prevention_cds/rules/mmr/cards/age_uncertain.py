"""After a measles contact, a partial birth date that straddles an age group: the exact age is needed."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.cards.parts import decisions, facts
from prevention_cds.rules.unique import unique


def age_uncertain_advice(a: MmrAssessment) -> Advice:
    r = a.rules
    cites = Citations()
    pep_months, min_months = cites.cite(r.pep_min_age_months), r.min_age_months.value
    hours, days = cites.cite(r.pep_vaccine_window_hours), cites.cite(r.pep_immunoglobulin_window_days)
    return Advice(
        rule="mmr.post-exposure.age-uncertain",
        indicator=Indicator.CRITICAL,
        summary=Message.of("mmr.summary.age-uncertain"),
        explanation=(
            Message.decisive_of(
                "mmr.explain.age-uncertain", pep_months=pep_months, min_months=min_months, hours=hours, days=days
            ),
        ),
        facts=facts(
            a,
            Message.of("mmr.rule.pep.by-age", pep_months=pep_months, to_months=min_months - 1, min_months=min_months),
        ),
        guideline=cites.refs,
        decisions=unique(decisions(a)),
    )
