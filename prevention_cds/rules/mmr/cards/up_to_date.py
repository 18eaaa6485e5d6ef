"""Nothing owed now: the series is complete, the next dose is not yet due, or the patient is presumed immune."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.cards.parts import calendar_message, decisions, facts
from prevention_cds.rules.mmr.schedule import PlannedDose
from prevention_cds.rules.mmr.wording import plan_lines
from prevention_cds.rules.unique import unique

UP_TO_DATE_RULE = "mmr.up-to-date"  # the stable id of this advice (read by rules/status.py)


def up_to_date_advice(a: MmrAssessment, plan: tuple[PlannedDose, ...]) -> Advice:
    r = a.rules
    cutoff = r.born_since_cutoff.value
    if plan:
        summary = Message.of("mmr.summary.not-yet-due", due=plan[0].due)
        explanation: tuple[Message, ...] = (calendar_message(r), *plan_lines(plan, a.today, r))
    elif a.target.doses:
        summary = Message.of("mmr.summary.up-to-date", counted=a.history.counted_number, target=a.target.doses)
        explanation = (Message.of("mmr.explain.up-to-date"),)
    elif a.exposure is not None and a.exposure.measles_immune:
        summary = Message.of("mmr.summary.measles-immune")
        explanation = (Message.of("mmr.explain.measles-immune"),)
    else:
        summary = Message.of("mmr.summary.presumed-immune", cutoff=cutoff)
        explanation = (Message.of("mmr.explain.presumed-immune", cutoff=cutoff),)
    return Advice(
        rule=UP_TO_DATE_RULE,
        indicator=Indicator.INFO,
        summary=summary,
        explanation=explanation,
        facts=facts(a),
        guideline=a.target.basis,  # the series the patient owes (none before the cut-off)
        decisions=unique(decisions(a)),
    )
