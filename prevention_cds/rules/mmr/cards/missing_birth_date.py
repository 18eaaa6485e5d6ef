"""No birth date, or one that cannot be read: the vaccination status cannot be judged; the card asks for it."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.facts import PatientRecord
from prevention_cds.rules.mmr.assessment import UndatedAssessment
from prevention_cds.rules.mmr.cards.parts import undated_facts


def missing_birth_date_advice(record: PatientRecord, u: UndatedAssessment) -> Advice:
    r = u.rules
    cites = Citations()
    why = Message.of(
        "mmr.explain.missing-birth-date",
        cutoff=cites.cite(r.born_since_cutoff),
        min_months=cites.cite(r.min_age_months),
    )
    # the step: record the birth date (urgently after a measles contact, which its own message says)
    explanation = [why if u.exposure is not None else why.as_decisive()]
    if u.exposure is not None:
        hours = r.pep_vaccine_window_hours.value
        explanation.append(Message.decisive_of("mmr.explain.missing-birth-date.exposure", hours=hours))
    return Advice(
        rule="mmr.missing-birth-date",
        indicator=Indicator.WARNING if u.exposure is not None else Indicator.INFO,
        summary=(
            Message.of("mmr.summary.unreadable-birth-date")
            if record.unreadable_birth_date is not None
            else Message.of("mmr.summary.missing-birth-date")
        ),
        explanation=tuple(explanation),
        facts=undated_facts(record, u),
        guideline=cites.refs,
        decisions=(Message.of("mmr.decision.missing-birth-date"),),
    )
