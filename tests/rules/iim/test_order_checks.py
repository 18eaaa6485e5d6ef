"""Draft rifampicin / ciprofloxacin / ceftriaxone orders checked against the patient (order-sign/select)."""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from prevention_cds.fhir_out.i18n import catalog
from prevention_cds.rules.advice import Indicator, Message, RemoveDraftOrder, ReplaceDraftOrder
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, DraftOrder, Exposure

from .builders import TODAY, born_years_ago, check, exposure, keys, only, order, recommended, record, rules_of

ADULT = born_years_ago(40)
CHILD = born_years_ago(8)
RIF, CIPRO, CEF = Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE


def _rif(dose: str | None, **extra: object) -> DraftOrder:
    return _order(RIF, dose, **{"frequency_per_day": Decimal(2), "duration_days": Decimal(2), "route": "oral", **extra})


def _order(concept: Concept, dose: str | None, **extra: object) -> DraftOrder:
    return DraftOrder(
        "MedicationRequest",
        extra.pop("resource_id", "draft-1"),  # type: ignore[arg-type]
        frozenset({concept}),
        f"draft {concept}",
        dose_mg=Decimal(dose) if dose is not None else None,
        **extra,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Case:
    id: str
    order: DraftOrder
    rule: str | None  # None: no card
    born: date = ADULT
    kg: str | None = "30"
    exposed: tuple[Exposure, ...] = field(default_factory=lambda: (exposure(),))
    allergies: tuple[Concept, ...] = ()
    medications: tuple[Concept, ...] = ()
    indicator: Indicator | None = None
    mismatch: str | None = None
    expected_mg: str | None = None


CASES = [
    Case("adult rifampicin 600 mg: correct", _rif("600"), None),
    Case(
        "adult rifampicin 300 mg", _rif("300"), "iim.order.dose", mismatch="iim.order.mismatch.dose", expected_mg="600"
    ),
    Case(
        "adult rifampicin once a day",
        _rif("600", frequency_per_day=Decimal(1)),
        "iim.order.dose",
        mismatch="iim.order.mismatch.frequency",
        expected_mg="600",
    ),
    Case(
        "adult rifampicin for 3 days",
        _rif("600", duration_days=Decimal(3)),
        "iim.order.dose",
        mismatch="iim.order.mismatch.duration",
        expected_mg="600",
    ),
    Case(
        "rifampicin IV",
        _rif("600", route="intravenous"),
        "iim.order.dose",
        mismatch="iim.order.mismatch.route",
        expected_mg="600",
    ),
    Case(
        "rifampicin dose in mL",
        _rif(None, dose_unit="mL"),
        "iim.order.dose",
        mismatch="iim.order.mismatch.dose-unit",
        expected_mg="600",
    ),
    Case(
        "rifampicin without a dose",
        _rif(None),
        "iim.order.dose",
        mismatch="iim.order.mismatch.dose-missing",
        expected_mg="600",
    ),
    Case("child 30 kg, 300 mg: correct", _rif("300"), None, born=CHILD),
    Case("child 30 kg, 320 mg: within 10 %", _rif("320"), None, born=CHILD),
    Case(
        "child 30 kg, 340 mg: too high",
        _rif("340"),
        "iim.order.dose",
        born=CHILD,
        mismatch="iim.order.mismatch.dose",
        expected_mg="300",
    ),
    Case(
        "child 61 kg, 610 mg: above the cap",
        _rif("610"),
        "iim.order.dose",
        born=born_years_ago(13),
        kg="61",
        mismatch="iim.order.mismatch.dose",
        expected_mg="600",
    ),
    Case("child without weight", _rif("300"), "iim.order.weight-needed", born=CHILD, kg=None),
    Case(
        "rifamycin allergy",
        _rif("600"),
        "iim.order.contraindicated",
        allergies=(Concept.RIFAMYCIN_ALLERGEN,),
        indicator=Indicator.CRITICAL,
    ),
    Case(
        "interacting medicine, no IIM context",
        _rif("450", frequency_per_day=Decimal(1)),
        "iim.order.contraindicated",
        exposed=(),
        medications=(Concept.RIFAMPICIN_INTERACTING,),
        indicator=Indicator.CRITICAL,
    ),
    Case("tuberculosis-like order, no IIM context", _rif("450", frequency_per_day=Decimal(1)), None, exposed=()),
    Case("contact window closed: not checked", _rif("300"), None, exposed=(exposure(days_ago=11),)),
    Case("not a contact: not checked", _rif("300"), None, exposed=(exposure("party-or-meal"),)),
    Case(
        "resistant strain: rifampicin not indicated",
        _rif("600"),
        "iim.order.second-line",
        exposed=(exposure(rifampicin_resistant=True),),
    ),
    Case("adult ciprofloxacin 500 mg: correct", _order(CIPRO, "500", route="oral"), None),
    Case(
        "adult ciprofloxacin 750 mg",
        _order(CIPRO, "750"),
        "iim.order.dose",
        mismatch="iim.order.mismatch.dose",
        expected_mg="500",
    ),
    Case(
        "child 20 kg ciprofloxacin 500 mg",
        _order(CIPRO, "500"),
        "iim.order.dose",
        born=CHILD,
        kg="20",
        mismatch="iim.order.mismatch.dose",
        expected_mg="400",
    ),
    Case(
        "ciprofloxacin twice a day",
        _order(CIPRO, "500", frequency_per_day=Decimal(2)),
        "iim.order.dose",
        mismatch="iim.order.mismatch.frequency",
        expected_mg="500",
    ),
    Case(
        "fluoroquinolone allergy",
        _order(CIPRO, "500"),
        "iim.order.contraindicated",
        allergies=(Concept.CIPROFLOXACIN_ALLERGEN,),
        indicator=Indicator.CRITICAL,
    ),
    Case("adult ceftriaxone 250 mg IM: correct", _order(CEF, "250", route="intramuscular"), None),
    Case("adult ceftriaxone IV: correct", _order(CEF, "250", route="intravenous"), None),
    Case(
        "child ceftriaxone 250 mg",
        _order(CEF, "250"),
        "iim.order.dose",
        born=CHILD,
        mismatch="iim.order.mismatch.dose",
        expected_mg="125",
    ),
    Case(
        "ceftriaxone by mouth",
        _order(CEF, "250", route="oral"),
        "iim.order.dose",
        mismatch="iim.order.mismatch.route",
        expected_mg="250",
    ),
    Case(
        "cephalosporin allergy",
        _order(CEF, "250"),
        "iim.order.contraindicated",
        allergies=(Concept.CEPHALOSPORIN_ALLERGEN,),
        indicator=Indicator.CRITICAL,
    ),
    Case(
        "ceftriaxone in a neonate",
        _order(CEF, "125"),
        "iim.order.contraindicated",
        born=TODAY - timedelta(days=9),
        kg="3.2",
        indicator=Indicator.WARNING,
    ),
    Case("order not selected", replace(_rif("300"), selected=False), None),
    Case(
        "ceftriaxone in a neonate, no IIM context (neonatal unit)",
        _order(CEF, "150"),
        None,
        born=TODAY - timedelta(days=9),
        kg="3.2",
        exposed=(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_order_check(case: Case) -> None:
    rec = record(case.born, kg=case.kg, exposures=case.exposed, allergies=case.allergies, medications=case.medications)
    advice = check(rec, case.order)
    assert rules_of(advice) == ([case.rule] if case.rule else [])
    if not advice:
        return
    card = advice[0]
    if case.indicator:
        assert card.indicator is case.indicator
    if case.mismatch:
        assert case.mismatch in keys(card.explanation)
    if case.expected_mg:
        (suggestion,) = card.suggestions
        (action,) = suggestion.actions
        assert isinstance(action, ReplaceDraftOrder)
        assert action.order_reference == "MedicationRequest/draft-1"  # the same order, corrected
        assert action.proposal.dose_mg == Decimal(case.expected_mg)
    if card.rule == "iim.order.contraindicated":
        assert isinstance(card.suggestions[-1].actions[0], RemoveDraftOrder)


def test_contraindicated_rifampicin_offers_replacements_and_removal() -> None:
    rec = record(ADULT, allergies=(Concept.RIFAMYCIN_ALLERGEN,))
    card = check(rec, _rif("600"))[0]
    actions = [s.actions[0] for s in card.suggestions]
    assert [type(a) for a in actions] == [ReplaceDraftOrder, ReplaceDraftOrder, RemoveDraftOrder]
    assert [a.proposal.medicine.value for a in actions if isinstance(a, ReplaceDraftOrder)] == [
        "ciprofloxacin-tablet",
        "ceftriaxone-injection",
    ]
    assert sum(s.recommended for s in card.suggestions) <= 1


def test_order_without_an_id_gets_a_card_without_suggestions() -> None:
    card = check(record(ADULT), _rif("300", resource_id=None))[0]
    assert card.rule == "iim.order.dose" and card.suggestions == ()


def test_several_orders_each_checked() -> None:
    advice = check(record(ADULT), _rif("300"), _order(CEF, "1000", resource_id="draft-2"))
    assert rules_of(advice) == ["iim.order.dose", "iim.order.dose"]


def test_dose_card_says_it_does_not_apply_to_another_indication() -> None:
    card = check(record(ADULT), _order(CEF, "1000"))[0]
    assert keys(card.explanation)[-1] == "iim.order.other-indication"


def test_index_case_orders_are_checked_against_the_eradication_course() -> None:
    iim = ConditionFact(Concept.IIM_DISEASE, "IIM", source_id="Condition/c")
    card = check(record(ADULT, exposures=(), conditions=(iim,)), _rif("300"))[0]
    assert card.rule == "iim.order.dose"
    (action,) = card.suggestions[0].actions
    assert isinstance(action, ReplaceDraftOrder)
    assert (action.proposal.dose_mg, action.proposal.reason_reference) == (Decimal(600), "Condition/c")


# --- the product's form (issue 14 §4): capsules under 6 years, a dose not made of whole capsules ----------

CAPSULE_CASES = [
    # (years old, days more, capsule concept, dose, expected rules)
    (5, 0, Concept.RIFAMPICIN_CAPSULE_300MG, "300", {"iim.order.capsule-form"}),
    (6, -1, Concept.RIFAMPICIN_CAPSULE_300MG, "300", {"iim.order.capsule-form"}),  # the day before 6 years
    (6, 0, Concept.RIFAMPICIN_CAPSULE_300MG, "300", set()),  # 6 years, 30 kg: one capsule is the dose
    (40, 0, Concept.RIFAMPICIN_CAPSULE_300MG, "450", {"iim.order.dose"}),  # not whole capsules
    (40, 0, Concept.RIFAMPICIN_CAPSULE_150MG, "600", set()),  # 4 x 150 mg
]


@pytest.mark.parametrize(("years", "days", "capsule", "dose", "expected"), CAPSULE_CASES)
def test_rifampicin_capsule_orders(years: int, days: int, capsule: Concept, dose: str, expected: set[str]) -> None:
    born = born_years_ago(years, days)
    ordered = replace(order(Concept.RIFAMPICIN, dose), concepts=frozenset({Concept.RIFAMPICIN, capsule}))
    advice = check(record(born, kg="30" if years < 15 else None), ordered)
    assert set(rules_of(advice)) == expected
    if "iim.order.capsule-form" in expected:
        card = only(advice, "iim.order.capsule-form")
        assert card.indicator.value == "critical"
        replacement = recommended(card)
        assert replacement.medicine.value == "rifampicin-oral-suspension"
    if "iim.order.dose" in expected:
        assert "iim.order.mismatch.dose-form" in keys(only(advice, "iim.order.dose").explanation)


def test_a_capsule_order_for_a_small_child_outside_an_iim_context_is_still_flagged() -> None:
    capsules = frozenset({Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAPSULE_150MG})
    ordered = replace(order(Concept.RIFAMPICIN, "150"), concepts=capsules)
    advice = check(record(born_years_ago(3), kg="14", exposures=()), ordered)
    card = only(advice, "iim.order.capsule-form")
    assert [s.label.key for s in card.suggestions] == ["iim.suggestion.remove-order"]


def test_the_ordered_route_is_worded_in_the_cards_language() -> None:
    advice = check(record(born_years_ago(40)), _rif("600", route="intravenous"))
    (line,) = (m for m in only(advice, "iim.order.dose").explanation if m.key == "iim.order.mismatch.route")
    ordered, expected = line.params["ordered"], line.params["expected"]
    assert isinstance(ordered, Message) and ordered.key == "iim.route.intravenous"
    assert isinstance(expected, Message) and expected.key == "iim.route.oral"
    for language in ("fr", "en"):
        assert {"iim.route.intravenous", "iim.route.intramuscular", "iim.route.subcutaneous"} <= catalog(language).keys()


def test_a_capsule_order_for_a_small_child_with_a_wrong_dose_gets_one_card() -> None:
    """4 years, 16 kg: rifampicin 300 mg capsules are contraindicated and the dose is not the child's; the critical
    capsule card proposes the corrected order and says what else differs, no second card proposes it again."""
    capsules = frozenset({Concept.RIFAMPICIN, Concept.RIFAMPICIN_CAPSULE_300MG})
    ordered = replace(order(Concept.RIFAMPICIN, "300"), concepts=capsules)
    advice = check(record(born_years_ago(4), kg="16"), ordered)
    assert rules_of(advice) == ["iim.order.capsule-form"]
    card = advice[0]
    assert card.indicator is Indicator.CRITICAL and "iim.order.mismatch.dose" in keys(card.explanation)
    replacement = recommended(card)
    assert replacement.medicine.value == "rifampicin-oral-suspension"
    assert [s.label.key for s in card.suggestions] == ["iim.suggestion.correct-order", "iim.suggestion.remove-order"]


@pytest.mark.parametrize(("born", "kg", "ordered", "line"), [
    (born_years_ago(40), None, _rif("1200"), "iim.order.mismatch.above-maximum"),  # capped per dose for everyone
    (born_years_ago(40), None, _order(CIPRO, "750", route="oral"), None),  # the sources cap a child's dose only
    (born_years_ago(40), None, _order(CEF, "1000", route="intramuscular"), None),  # no cap: maybe another infection
    (born_years_ago(40), None, _rif("300"), None),  # below: a mismatch, no overdose
    (born_years_ago(40), None, _rif("600", frequency_per_day=Decimal(3)), None),
    (born_years_ago(10), "30", _rif("700"), "iim.order.mismatch.above-maximum"),  # 10 mg/kg, capped at 600 mg
    (born_years_ago(10), "30", _rif("400"), None),  # above 300 mg, below the cap
])
def test_a_dose_above_what_may_be_given_at_once_is_named_an_overdose(
    born: date, kg: str | None, ordered: DraftOrder, line: str | None
) -> None:
    card = only(check(record(born, kg=kg), ordered), "iim.order.dose")
    assert ("iim.order.mismatch.above-maximum" in keys(card.explanation)) is (line is not None)
    assert (card.summary.key == "iim.summary.order.overdose") is (line is not None)
