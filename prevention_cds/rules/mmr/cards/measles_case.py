"""The patient is a measles case: report it, isolate, keep out of the community, air the rooms, find the contacts;
no MMR dose while ill. Critical while the patient may still pass measles on, a warning afterwards."""

from __future__ import annotations

from prevention_cds.rules.advice import Advice, Indicator, Message
from prevention_cds.rules.citation import Citations
from prevention_cds.rules.mmr.measles_case import MeaslesCase
from prevention_cds.rules.mmr.wording import rule_fact

MEASLES_CASE_RULE = "mmr.measles-case"


def case_name(case: MeaslesCase) -> Message:
    return Message.of("mmr.measles-case.confirmed" if case.confirmed else "mmr.measles-case.suspected")


def case_facts(case: MeaslesCase) -> tuple[Message, ...]:
    """The case as recorded: confirmed or suspected, when the rash began, the days the patient was contagious."""
    begun, contagious_from, until = case.rash_began, case.contagious_from, case.eviction_until
    if begun is None or contagious_from is None or until is None:
        return (Message.of("mmr.fact.measles-case-undated", case=case_name(case)),)  # its step asks for the date
    return (
        Message.decisive_of("mmr.fact.measles-case", case=case_name(case), rash_began=begun),
        Message.decisive_of("mmr.fact.measles-contagious", start=contagious_from, end=until),  # whose contacts
    )


def suspected_decisions(case: MeaslesCase) -> tuple[Message, ...]:
    """A suspected case is handled as a case: said when the diagnosis is not confirmed."""
    return () if case.confirmed else (Message.of("mmr.decision.measles-suspected"),)


def case_decisions(case: MeaslesCase) -> list[Message]:
    r = case.rules
    found = list(suspected_decisions(case))
    if case.rash_began is not None:
        found.append(Message.of("mmr.decision.measles-onset-is-rash", days=r.measles_eviction_days_after_rash.value))
    found.append(
        Message.of(
            "mmr.decision.measles-contacts",
            days_before=r.measles_contagious_days_before_rash.value,
            hours=r.measles_airborne_hours.value,
        )
    )
    return found


def measles_case_advice(case: MeaslesCase) -> Advice:
    r, cites = case.rules, Citations(case.rules.measles_case_report)
    days = cites.cite(r.measles_eviction_days_after_rash)
    name, until = case_name(case), case.eviction_until
    # On the card: report, isolate, air, find the contacts (the summary gives the exclusion's end); the page adds
    # what the contacts need and that no dose is given while ill.
    explanation = [Message.decisive_of("mmr.explain.measles-case.report")]
    if case.contagious:
        cites.add(r.measles_case_isolation)
        explanation.append(Message.decisive_of("mmr.explain.measles-case.isolate"))
        if until is None:
            explanation.append(Message.decisive_of("mmr.explain.measles-case.eviction-undated", days=days))
            summary = Message.of("mmr.summary.measles-case.undated", case=name, days=days)
        else:
            explanation.append(Message.of("mmr.explain.measles-case.eviction", until=until, days=days))
            summary = Message.of("mmr.summary.measles-case", case=name, until=until)
        explanation.append(
            Message.decisive_of("mmr.explain.measles-case.air", hours=cites.cite(r.measles_airborne_hours))
        )
    else:
        assert until is not None  # an undated case is contagious
        explanation.append(Message.decisive_of("mmr.explain.measles-case.no-longer-contagious", until=until))
        summary = Message.of("mmr.summary.measles-case.past-contagious", case=name, until=until)
    cites.add(r.measles_contacts, r.measles_contagious_days_before_rash)
    explanation.append(Message.decisive_of("mmr.explain.measles-case.contacts", hours=r.measles_airborne_hours.value))
    explanation.append(
        Message.of(
            "mmr.explain.measles-case.contacts-care",
            pep_hours=cites.cite(r.pep_vaccine_window_hours),
            ig_days=cites.cite(r.pep_immunoglobulin_window_days),
        )
    )
    cites.add(r.measles_case_no_dose)
    explanation.append(Message.of("mmr.explain.measles-case.no-dose"))
    return Advice(
        rule=MEASLES_CASE_RULE,
        indicator=Indicator.CRITICAL if case.contagious else Indicator.WARNING,
        summary=summary,
        explanation=tuple(explanation),
        facts=(*case_facts(case), rule_fact(Message.of("mmr.rule.measles-case", days=days))),
        guideline=cites.refs,
        decisions=tuple(case_decisions(case)),
    )
