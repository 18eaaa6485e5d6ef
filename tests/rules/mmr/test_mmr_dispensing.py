"""Prescriptions that can be dispensed as written (issue 14 §5): an MMR dose that may not be given before a date
(28 days after a live vaccine or an MMR dose, 9 months after immunoglobulins) is prescribed with that date, on
the card's proposal and on a corrected draft order; from that date on, the prescription is not dated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from prevention_cds.fhir_out.fhir_resources import ResourceContext, medication_request
from prevention_cds.rules.advice import Advice, MedicationProposal, Medicine, ReplaceDraftOrder
from prevention_cds.rules.calendar_math import add_months
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import DraftOrder, PatientRecord
from prevention_cds.rules.mmr.parameters import MmrParameters

from .records import (
    Scenario,
    actions,
    allergy,
    at,
    born,
    keys,
    medication_of,
    mmr,
    mmr_order,
    orders,
    patient,
    rules_of,
    varicella,
)

NOW = at(2025, 6, 12, 10)
TODAY = NOW.date()
ADULT = born(1990, 1, 1)
RULES = MmrParameters.on(TODAY)
LIVE_DAYS = RULES.live_vaccine_interval_days.value
MMR_DAYS = RULES.min_interval_days.value
IG_MONTHS = RULES.immunoglobulin_delay_months.value


def ig_given_on(clears: date) -> date:
    """The immunoglobulin date whose delay ends on ``clears``."""
    given = date(clears.year - 1, clears.month, clears.day)
    while add_months(given, IG_MONTHS) < clears:
        given += timedelta(days=1)
    while add_months(given, IG_MONTHS) > clears:
        given -= timedelta(days=1)
    return given


@dataclass(frozen=True)
class Case:
    name: str
    record: PatientRecord
    not_before: date | None  # on the proposed prescription
    rule: str = "mmr.catch-up"
    now: datetime = NOW

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, self.now)


CASES = [
    Case(
        f"varicella {LIVE_DAYS - 1} days ago: dated the next day",
        patient(ADULT, doses=(varicella(TODAY - timedelta(days=LIVE_DAYS - 1)),)),
        TODAY + timedelta(days=1),
    ),
    Case(
        f"varicella {LIVE_DAYS} days ago: not dated",
        patient(ADULT, doses=(varicella(TODAY - timedelta(days=LIVE_DAYS)),)),
        None,
    ),
    Case(
        f"first MMR dose {MMR_DAYS - 1} days ago: the second dated the next day",
        patient(ADULT, doses=(mmr(TODAY - timedelta(days=MMR_DAYS - 1)),)),
        TODAY + timedelta(days=1),
    ),
    Case(
        f"first MMR dose {MMR_DAYS} days ago: the second not dated",
        patient(ADULT, doses=(mmr(TODAY - timedelta(days=MMR_DAYS)),)),
        None,
    ),
    Case(
        f"immunoglobulins {IG_MONTHS} months ago less a day: dated tomorrow",
        patient(ADULT, immunoglobulin_dates=(ig_given_on(TODAY + timedelta(days=1)),)),
        TODAY + timedelta(days=1),
    ),
    Case(
        f"immunoglobulins {IG_MONTHS} months ago to the day: not dated",
        patient(ADULT, immunoglobulin_dates=(ig_given_on(TODAY),)),
        None,
    ),
    Case(
        "immunoglobulins 3 months ago: dated months ahead",
        patient(ADULT, immunoglobulin_dates=(date(2025, 3, 12),)),
        date(2025, 12, 12),
    ),
    Case(
        "child of 5 overdue, varicella last week: the overdue dose dated too",
        patient(born(2020, 5, 5), doses=(varicella(TODAY - timedelta(days=7)),)),
        TODAY + timedelta(days=LIVE_DAYS - 7),
        "mmr.catch-up",
    ),
]


def _proposal(advice: Advice) -> MedicationProposal:
    return medication_of(advice).proposal


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_proposed_prescription_carries_its_first_date(case: Case) -> None:
    (advice,) = case.scenario.run()
    assert advice.rule == case.rule
    proposal = _proposal(advice)
    assert proposal.not_before == case.not_before
    if case.not_before is None:
        assert proposal.instruction.key == "mmr.instruction.dose"
        assert "mmr.explain.too-early" not in keys(advice)
    else:
        assert proposal.instruction.key == "mmr.instruction.dose-from"
        assert proposal.instruction.params["not_before"] == case.not_before
        assert "mmr.explain.too-early" in keys(advice)
        # the forecast and the prescription agree
        assert advice.summary.params["due"] == case.not_before


def test_the_medication_request_is_not_dispensed_before_its_date() -> None:
    (advice,) = CASES[0].scenario.run()
    resource = medication_request(_proposal(advice), ResourceContext("p1", NOW, "fr", "proposal"))
    not_before = TODAY + timedelta(days=1)
    assert resource["dispenseRequest"] == {"validityPeriod": {"start": not_before.isoformat()}}
    assert f"pas avant le {not_before:%d/%m/%Y}" in resource["dosageInstruction"][0]["text"]
    english = medication_request(_proposal(advice), ResourceContext("p1", NOW, "en", "proposal"))
    assert f"not before {not_before.isoformat()}" in english["dosageInstruction"][0]["text"]


def test_an_undated_prescription_has_no_dispense_request() -> None:
    (advice,) = CASES[1].scenario.run()
    resource = medication_request(_proposal(advice), ResourceContext("p1", NOW, "fr", "proposal"))
    assert "dispenseRequest" not in resource


# --- draft orders: corrected with their date -----------------------------------------------------------------


@dataclass(frozen=True)
class OrderCase:
    name: str
    record: PatientRecord
    draft: DraftOrder
    rules: tuple[str, ...]
    not_before: date | None = None  # of every replacement proposed
    medicine: Medicine | None = None  # of the too-early replacement; None: no replacement

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.record, NOW, orders=orders(self.draft))


VARICELLA_27 = varicella(TODAY - timedelta(days=LIVE_DAYS - 1))
ORDER_CASES = [
    OrderCase(
        f"varicella {LIVE_DAYS - 1} days ago: the order dated the next day",
        patient(ADULT, doses=(VARICELLA_27,)),
        mmr_order(),
        ("mmr.order.too-early",),
        TODAY + timedelta(days=1),
        Medicine.MMR_VACCINE,
    ),
    OrderCase(
        f"varicella {LIVE_DAYS} days ago: no card",
        patient(ADULT, doses=(varicella(TODAY - timedelta(days=LIVE_DAYS)),)),
        mmr_order(),
        (),
    ),
    OrderCase(
        f"immunoglobulins {IG_MONTHS} months ago less a day: dated tomorrow",
        patient(ADULT, immunoglobulin_dates=(ig_given_on(TODAY + timedelta(days=1)),)),
        mmr_order(),
        ("mmr.order.too-early",),
        TODAY + timedelta(days=1),
        Medicine.MMR_VACCINE,
    ),
    OrderCase(
        f"immunoglobulins {IG_MONTHS} months ago to the day: no card",
        patient(ADULT, immunoglobulin_dates=(ig_given_on(TODAY),)),
        mmr_order(),
        (),
    ),
    OrderCase(
        "a Priorix order too early: dated, the product kept",
        patient(ADULT, doses=(VARICELLA_27,)),
        mmr_order(display="PRIORIX"),
        ("mmr.order.too-early",),
        TODAY + timedelta(days=1),
        Medicine.MMR_VACCINE_PRIORIX,
    ),
    OrderCase(
        "an MMRV order too early: the date said, the order left to the clinician",
        patient(ADULT, doses=(VARICELLA_27,)),
        DraftOrder("MedicationRequest", "o1", frozenset({Concept.MMRV_VACCINE}), "ProQuad"),
        ("mmr.order.too-early",),
    ),
    OrderCase(
        "gelatin allergy and too early: both replacements gelatin-free and dated",
        patient(ADULT, doses=(VARICELLA_27,), allergies=(allergy(Concept.GELATIN_ALLERGEN),)),
        mmr_order(),
        ("mmr.order.too-early", "mmr.order.gelatin"),
        TODAY + timedelta(days=1),
        Medicine.MMR_VACCINE_PRIORIX,
    ),
]


@pytest.mark.parametrize("case", ORDER_CASES, ids=[c.name for c in ORDER_CASES])
def test_a_draft_order_too_early_is_corrected_with_its_date(case: OrderCase) -> None:
    advices = case.scenario.run()
    assert tuple(rules_of(advices)) == case.rules
    replacements = [a for advice in advices for a in actions(advice) if isinstance(a, ReplaceDraftOrder)]
    if case.medicine is None:
        assert replacements == []
        return
    assert replacements and all(r.proposal.not_before == case.not_before for r in replacements)
    assert replacements[0].proposal.medicine == case.medicine
    assert replacements[0].proposal.instruction.key == "mmr.instruction.single-from"
    assert all(r.order_reference == "MedicationRequest/o1" for r in replacements)


def test_a_gelatin_replacement_on_time_is_not_dated() -> None:
    record = patient(ADULT, allergies=(allergy(Concept.GELATIN_ALLERGEN),))
    (advice,) = Scenario(record, NOW, orders=orders(mmr_order())).run()
    (replacement,) = [a for a in actions(advice) if isinstance(a, ReplaceDraftOrder)]
    assert replacement.proposal.not_before is None and replacement.proposal.instruction.key == "mmr.instruction.single"


SCENARIOS = [case.scenario for case in ORDER_CASES]
