"""MMR checks of order-sign / order-select (issue 3, rule 8)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pytest

from prevention_cds.rules.advice import Indicator, Medicine, RemoveDraftOrder, ReplaceDraftOrder
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, OrderContext, PatientRecord, Sex

from .records import (
    IMMUNODEFICIENCY,
    Scenario,
    actions,
    allergy,
    at,
    born,
    keys,
    measles_contact,
    mmr,
    mmr_order,
    orders,
    patient,
    pregnant,
    rules_of,
    varicella,
)

NOW = at(2025, 6, 12, 10)
ADULT = born(1990, 1, 1)
TEN_MONTHS = born(2024, 8, 1)


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    drafts: OrderContext
    rules: tuple[str, ...]
    earliest: date | None = None  # of the too-early card
    keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, NOW, orders=self.drafts)


ONE = orders(mmr_order())
CASES = [
    Case(
        "pregnant: remove the order",
        patient(ADULT, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1), date(2025, 12, 1))),
        ONE,
        ("mmr.order.remove",),
        keys=frozenset({"mmr.contraindication.pregnancy", "mmr.fact.order"}),
    ),
    Case(
        "severe immunodeficiency: remove the order",
        patient(ADULT, conditions=(IMMUNODEFICIENCY,)),
        ONE,
        ("mmr.order.remove",),
    ),
    Case(
        "anaphylaxis to neomycin: remove the order",
        patient(ADULT, allergies=(allergy(Concept.NEOMYCIN_ALLERGEN, Concept.ANAPHYLAXIS),)),
        ONE,
        ("mmr.order.remove",),
    ),
    Case(
        "pregnant, no birth date: still removed",
        patient(None, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1))),
        ONE,
        ("mmr.order.remove",),
    ),
    Case(
        "10 months, no exposure: too early, valid from 12 months",
        patient(TEN_MONTHS),
        ONE,
        ("mmr.order.too-early",),
        date(2025, 8, 1),
        frozenset({"mmr.reject.too-young"}),
    ),
    Case(
        "10 months, measles contact 30 h ago: the post-exposure dose is fine",
        patient(TEN_MONTHS, exposures=(measles_contact(NOW - timedelta(hours=30)),)),
        ONE,
        (),
    ),
    Case(
        "10 months, contact 80 h ago: too early, immunoglobulins indicated",
        patient(TEN_MONTHS, exposures=(measles_contact(NOW - timedelta(hours=80)),)),
        ONE,
        ("mmr.order.too-early",),
        date(2025, 8, 1),
        frozenset({"mmr.explain.order.immunoglobulin"}),
    ),
    Case(
        "5 months with a contact: too early even after exposure",
        patient(born(2025, 1, 1), exposures=(measles_contact(NOW - timedelta(hours=5)),)),
        ONE,
        ("mmr.order.too-early",),
        date(2026, 1, 1),
    ),
    Case(
        "adult, varicella 27 days ago: too early",
        patient(ADULT, doses=(varicella(date(2025, 5, 16)),)),
        ONE,
        ("mmr.order.too-early",),
        date(2025, 6, 13),
        frozenset({"mmr.reject.live-vaccine"}),
    ),
    Case("adult, varicella 28 days ago: fine", patient(ADULT, doses=(varicella(date(2025, 5, 15)),)), ONE, ()),
    Case("adult, varicella today: same day is fine", patient(ADULT, doses=(varicella(date(2025, 6, 12)),)), ONE, ()),
    Case(
        "adult, MMR 20 days ago: too early",
        patient(ADULT, doses=(mmr(date(2025, 5, 23)),)),
        ONE,
        ("mmr.order.too-early",),
        date(2025, 6, 20),
        frozenset({"mmr.reject.too-soon"}),
    ),
    Case(
        "adult, immunoglobulins 3 months ago: too early",
        patient(ADULT, immunoglobulin_dates=(date(2025, 3, 12),)),
        ONE,
        ("mmr.order.too-early",),
        date(2025, 12, 12),
        frozenset({"mmr.reject.immunoglobulin"}),
    ),
    Case(
        "gelatin allergy, M-M-RVaxPro ordered: propose Priorix",
        patient(ADULT, allergies=(allergy(Concept.GELATIN_ALLERGEN),)),
        ONE,
        ("mmr.order.gelatin",),
    ),
    Case(
        "gelatin allergy, Priorix ordered: fine",
        patient(ADULT, allergies=(allergy(Concept.GELATIN_ALLERGEN),)),
        orders(mmr_order(display="PRIORIX, poudre et solvant")),
        (),
    ),
    Case(
        "no birth date: ask for it",
        patient(None),
        ONE,
        ("mmr.missing-birth-date",),
    ),
    Case(
        "two draft MMR orders for a pregnant woman: two removals",
        patient(ADULT, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1))),
        orders(mmr_order("o1"), mmr_order("o2")),
        ("mmr.order.remove", "mmr.order.remove"),
    ),
    Case(
        "no MMR order: nothing",
        patient(ADULT, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1))),
        orders(DraftOrder("MedicationRequest", "r1", frozenset({Concept.RIFAMPICIN}), "Rifadine")),
        (),
    ),
    Case(
        "order-select: an order not selected is not checked",
        patient(ADULT, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1))),
        orders(replace(mmr_order(), selected=False), hook="order-select"),
        (),
    ),
    Case("adult with nothing to report: no card", patient(ADULT), ONE, ()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_order_checks(case: Case) -> None:
    advices = case.scenario.run()
    assert tuple(rules_of(advices)) == case.rules
    if advices:
        assert case.keys <= keys(advices[0])
    for advice in advices:
        if advice.rule == "mmr.order.remove":
            assert advice.indicator == Indicator.CRITICAL
            removals = [a for a in actions(advice) if isinstance(a, RemoveDraftOrder)]
            assert len(removals) == 1 and removals[0].order_reference.startswith("MedicationRequest/o")
        if advice.rule == "mmr.order.too-early":
            assert advice.indicator == Indicator.WARNING
            assert advice.summary.params["earliest"] == case.earliest
        if advice.rule == "mmr.order.gelatin":
            (replacement,) = [a for a in actions(advice) if isinstance(a, ReplaceDraftOrder)]
            assert replacement.order_reference == "MedicationRequest/o1"
            assert replacement.proposal.medicine == Medicine.MMR_VACCINE_PRIORIX


def test_gelatin_allergy_with_an_mmrv_order_warns_without_swapping_the_product() -> None:
    record = patient(ADULT, allergies=(allergy(Concept.GELATIN_ALLERGEN),))
    mmrv_order = DraftOrder("MedicationRequest", "o9", frozenset({Concept.MMRV_VACCINE}), "ProQuad")
    (advice,) = Scenario(record, NOW, orders=orders(mmrv_order)).run()
    assert advice.rule == "mmr.order.gelatin" and advice.suggestions == ()


def test_order_without_id_gets_the_critical_card_but_no_removal_action() -> None:
    record = patient(ADULT, Sex.FEMALE, pregnancy=pregnant(date(2025, 5, 1)))
    (advice,) = Scenario(record, NOW, orders=orders(mmr_order(None))).run()
    assert advice.indicator == Indicator.CRITICAL and advice.suggestions == ()
