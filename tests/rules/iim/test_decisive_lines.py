"""What the IIM cards of the index case, the interactions and the new order checks (issues 14 and 15) show on the
card itself, not only on their explanation page: what the clinician cannot act without, every line of it within
the card's 700 characters (docs/cards.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, PatientRecord, RecordElement, Sex, UnreadableValue
from support.card_brevity import card_keys

from .builders import NOW, TODAY, born_years_ago, check, evaluate, exposure, only, order, record

ADULT = born_years_ago(40)
CASE = ConditionFact(Concept.IIM_DISEASE, "Méningite à méningocoque", source_id="Condition/c")
EARLIER = ConditionFact(Concept.IIM_DISEASE, "Méningococcémie 2019", active=False, source_id="Condition/old")
LIVER = ConditionFact(Concept.SEVERE_HEPATIC_DISEASE, "Cirrhose", source_id="Condition/liver")
REPEATED = exposure(
    repeated_case_in_community=True,
    prior_prophylaxis_ended_on=TODAY - timedelta(days=30),
    community_first_case_on=TODAY - timedelta(days=40),
)
CAPSULES = replace(order(Concept.RIFAMPICIN, "300"),
                   concepts=frozenset({Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAPSULE_300MG}))


def _unreadable_birth_date() -> PatientRecord:
    return replace(record(None, kg=70), unreadable=(UnreadableValue(RecordElement.BIRTH_DATE, "14/05/1996"),))


PATIENT_VIEW = [
    ("index case: report now, then the form", record(ADULT, exposures=(), conditions=(CASE,)),
     "iim.index-case.notification", {"iim.index-case.notify.detail", "iim.fact.index-case"},
     {"iim.index-case.notify.content"}),
    ("index case after recovery: vaccinations, complement deficiency", record(ADULT, exposures=(), conditions=(CASE,)),
     "iim.index-case.after-recovery", {"iim.index-case.after-recovery.detail", "iim.index-case.complement"}, set()),
    ("recurrence: the earlier episode", record(ADULT, exposures=(), conditions=(CASE, EARLIER)),
     "iim.index-case.after-recovery", {"iim.fact.index-case-earlier", "iim.index-case.complement"}, set()),
    ("index case without a C3G: why the course", record(ADULT, exposures=(), conditions=(CASE,)),
     "iim.index-case.eradication", {"iim.fact.no-c3g"}, set()),
    ("a direct oral anticoagulant: second line first, the interaction said", record(
        ADULT, medications=(Concept.RIFAMPICIN_AVOID_ANTICOAGULANT,)),
     "iim.prophylaxis.second-line", {"iim.interaction.found"}, set()),
    ("a recorded pill: rifampicin with a barrier method", record(
        born_years_ago(25), sex=Sex.FEMALE, medications=(Concept.HORMONAL_CONTRACEPTIVE,)),
     "iim.prophylaxis.rifampicin", {"iim.interaction.found"}, {"iim.precaution.rifampicin.contraception"}),
    ("a severe liver disease: second line first, why", record(ADULT, conditions=(LIVER,)),
     "iim.prophylaxis.second-line", {"iim.second-line.hepatic"}, set()),
    ("a repeated case in the community: contact the ARS", record(ADULT, exposures=(REPEATED,)),
     "iim.prophylaxis.second-line", {"iim.cluster.contact-ars", "iim.second-line.repeated-case-since"}, set()),
    ("a birth date that cannot be read: said as written", _unreadable_birth_date(),
     "iim.age-needed", {"iim.age-needed.unreadable", "iim.fact.birth-date-unreadable"}, set()),
]


@pytest.mark.parametrize(("name", "rec", "rule", "shown", "page_only"), PATIENT_VIEW, ids=[c[0] for c in PATIENT_VIEW])
def test_the_card_shows_what_the_clinician_cannot_act_without(
    name: str, rec: PatientRecord, rule: str, shown: set[str], page_only: set[str]
) -> None:
    on_card = card_keys(only(evaluate(rec), rule), NOW)
    assert shown <= on_card and not page_only & on_card, on_card


ORDERS = [
    ("rifampicin capsules for a child of 5", record(born_years_ago(5), kg=19), CAPSULES, "iim.order.capsule-form",
     {"iim.order.capsule-too-young", "iim.fact.order"}),
    ("rifampicin ordered for a patient on apixaban", record(ADULT, medications=(Concept.RIFAMPICIN_AVOID_ANTICOAGULANT,)),
     order(Concept.RIFAMPICIN, "600"), "iim.order.interaction", {"iim.interaction.found", "iim.fact.order"}),
]


@pytest.mark.parametrize(("name", "rec", "draft", "rule", "shown"), ORDERS, ids=[c[0] for c in ORDERS])
def test_an_order_card_shows_the_order_and_why(name: str, rec: PatientRecord, draft: object, rule: str,
                                               shown: set[str]) -> None:
    on_card = card_keys(only(check(rec, draft), rule), NOW)  # type: ignore[arg-type]
    assert shown <= on_card, on_card
