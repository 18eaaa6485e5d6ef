"""The answer for a contact of a case: not a contact, too late, still covered, or a course now; and the
vaccination of the close circle (clinical.md §A.9)."""

from __future__ import annotations

from dataclasses import replace

from prevention_cds.rules.advice import Advice, Message
from prevention_cds.rules.citation import sources
from prevention_cds.rules.facts import IimSerogroup
from prevention_cds.rules.iim.advice_builder import (
    CardContext,
    Purpose,
    already_covered,
    course_advice,
    not_a_contact,
    setting_unknown,
    vaccination_advice,
    window_closed,
)
from prevention_cds.rules.iim.contact import ContactAssessment, ContactStatus, assess_contacts, most_relevant
from prevention_cds.rules.iim.contact_vaccination import contact_vaccination
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.rules.iim.second_line import second_line_decision
from prevention_cds.rules.iim.timing import ContactWindow, covered_by_prior_course, prophylaxis_window, urgency
from prevention_cds.rules.ruleset import RuleSettings


def contact_advice(patient: PatientProfile, settings: RuleSettings) -> tuple[Advice, ...]:
    today, rules = patient.today, patient.rules
    contact = most_relevant(assess_contacts(patient.record, rules), patient.now)
    if contact is None:
        return ()
    window = prophylaxis_window(contact.last_contact, patient.now, rules)
    cluster = contact.exposure.repeated_case_in_community and contact.status is ContactStatus.CONTACT
    ctx = CardContext(
        purpose=Purpose.CONTACT,
        patient=patient,
        explanation=(contact.reason, *((Message.decisive_of("iim.cluster.contact-ars"),) if cluster else ())),
        facts=_exposure_facts(contact, window) + patient.facts(),
        guideline=sources(rules.contact_settings, window.length, *((rules.cluster_management,) if cluster else ())),
        decisions=contact.decisions,
    )
    if contact.status is ContactStatus.NOT_A_CONTACT:
        return (not_a_contact(ctx, contact),)
    if contact.status is ContactStatus.UNDETERMINED:
        return (setting_unknown(ctx, contact),)
    vaccination = contact_vaccination(patient, contact)
    if not window.is_open:
        return (window_closed(ctx, window, vaccination),)
    vaccination_card: tuple[Advice, ...] = ()
    if vaccination.forecast is not None:
        vaccination_card = (vaccination_advice(ctx, vaccination),)
    else:
        ctx = replace(ctx, trailing=(vaccination.message,))
    exposure = contact.exposure
    if exposure.prior_prophylaxis_ended_on is not None and covered_by_prior_course(exposure, today, rules):
        return (already_covered(ctx, exposure.prior_prophylaxis_ended_on), *vaccination_card)
    ctx = replace(ctx, explanation=(*ctx.explanation, urgency(window, rules)))
    second_line = second_line_decision(patient, exposure, settings)
    course = tuple(replace(a, deadline=window.last_day) for a in course_advice(ctx, second_line, exposure.source_id))
    return (*course, *vaccination_card)


def _exposure_facts(contact: ContactAssessment, window: ContactWindow) -> tuple[Message, ...]:
    """The exposure as recorded; a resistant strain, a repeated case, a prior course are decisive only through
    the second-line reason or the card they lead to, which say them."""
    exposure = contact.exposure
    facts = [Message.decisive_of("iim.fact.setting", setting=contact.setting_label()), window.fact()]
    if exposure.serogroup is None or exposure.serogroup is IimSerogroup.UNKNOWN:
        facts.append(Message.decisive_of("iim.fact.serogroup-unknown"))
    else:
        facts.append(Message.decisive_of("iim.fact.serogroup", serogroup=exposure.serogroup.value))
    if exposure.rifampicin_resistant:
        facts.append(Message.of("iim.fact.rifampicin-resistant"))
    if exposure.repeated_case_in_community:
        facts.append(
            Message.of("iim.fact.repeated-case-since", first_case_on=exposure.community_first_case_on)
            if exposure.community_first_case_on
            else Message.of("iim.fact.repeated-case")
        )
    if exposure.prior_prophylaxis_ended_on is not None:
        facts.append(Message.of("iim.fact.prior-course", ended_on=exposure.prior_prophylaxis_ended_on))
    return tuple(facts)
