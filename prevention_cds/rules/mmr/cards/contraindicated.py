"""The vaccine is owed but must not be given now; after delivery when pregnancy is the only reason."""

from __future__ import annotations

from datetime import date

from prevention_cds.rules.advice import (
    Advice,
    Indicator,
    Message,
    ProposeImmunization,
    Suggestion,
)
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.mmr.assessment import MmrAssessment
from prevention_cds.rules.mmr.cards.parts import decisions, facts, forecast, pregnancy_parts
from prevention_cds.rules.mmr.contraindications import Contraindication
from prevention_cds.rules.mmr.owed import OwedDoses
from prevention_cds.rules.mmr.wording import contraindication_explanation, plan_lines
from prevention_cds.rules.unique import unique

# One rule for every weakened immunity; the summary says which (the first, most lasting, finding)
IMMUNE_SUMMARIES = {
    Contraindication.SEVERE_IMMUNODEFICIENCY: "mmr.summary.contraindicated.immunodeficiency",
    Contraindication.IMMUNOCOMPROMISING_CONDITION: "mmr.summary.contraindicated.immunocompromising-condition",
    Contraindication.IMMUNOSUPPRESSIVE_TREATMENT: "mmr.summary.contraindicated.immunosuppressive-treatment",
    Contraindication.SYSTEMIC_CORTICOSTEROID: "mmr.summary.contraindicated.systemic-corticosteroid",
    Contraindication.HIV_INFECTION: "mmr.summary.contraindicated.hiv-infection",
}


def contraindication_advice(a: MmrAssessment, owed: OwedDoses) -> Advice:
    plan = owed.plan
    safety = a.safety
    first = safety.findings[0]
    after_delivery = safety.only_pregnancy
    to_confirm = safety.pregnancy_to_confirm
    edd = safety.expected_delivery if after_delivery else None
    exposed = a.exposure is not None and a.exposure.vaccinates
    cites = Citations(*(f.basis for f in safety.findings))
    explanation = [contraindication_explanation(f, a.rules) for f in safety.findings]
    found_decisions = decisions(a)
    if after_delivery:
        explanation.extend(plan_lines(plan, a.today, a.rules) if safety.doses_wait_for else ())
        explanation.append(Message.decisive_of("mmr.explain.after-delivery"))
        reminders, _, pregnancy_decisions = pregnancy_parts(a)
        explanation.extend(reminders)
        found_decisions.extend(pregnancy_decisions)
    if exposed:
        explanation.insert(0, Message.decisive_of("mmr.explain.pep.contraindicated"))
    if after_delivery:
        summary = _pregnancy_summary(to_confirm, edd)
        rule = "mmr.contraindicated.pregnancy"
    elif first.contraindication in IMMUNE_SUMMARIES:
        summary, rule = Message.of(IMMUNE_SUMMARIES[first.contraindication]), "mmr.contraindicated.immunodeficiency"
    else:
        summary, rule = Message.of("mmr.summary.contraindicated.anaphylaxis"), "mmr.contraindicated.anaphylaxis"
    if to_confirm:
        label = "mmr.suggestion.record-pregnancy-to-confirm"
    else:
        label = "mmr.suggestion.record-after-delivery" if after_delivery else "mmr.suggestion.record-contraindicated"
    suggestion = Suggestion(
        label=Message.of(label),
        actions=(ProposeImmunization(forecast(a, owed.doses, owed.uncounted)),),
        recommended=True,
    )
    cites.extend(a.target.basis)  # the doses still owed, recorded as contraindicated
    return Advice(
        rule=rule,
        indicator=Indicator.CRITICAL if exposed else Indicator.WARNING,
        summary=summary,
        explanation=tuple(explanation),
        facts=facts(a, Message.of("mmr.rule.contraindication")),
        guideline=cites.refs,
        decisions=unique(found_decisions),
        suggestions=(suggestion,),
    )


def _pregnancy_summary(to_confirm: bool, expected_delivery: date | None) -> Message:
    """Vaccinate after delivery; or, once confirmed, after a pregnancy on record that has probably ended."""
    if to_confirm:
        if expected_delivery is None:
            return Message.of("mmr.summary.contraindicated.pregnancy-ended")
        return Message.of("mmr.summary.contraindicated.pregnancy-ended-dated", expected_delivery=expected_delivery)
    if expected_delivery is None:
        return Message.of("mmr.summary.contraindicated.pregnancy")
    return Message.of("mmr.summary.contraindicated.pregnancy-dated", expected_delivery=expected_delivery)
