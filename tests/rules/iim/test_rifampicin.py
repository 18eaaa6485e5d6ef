"""First line: rifampicin dose by age band and weight (clinical.md §A.4)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from prevention_cds.rules.advice import Medicine

from .builders import TODAY, Renderer, born_years_ago, evaluate, keys, only, recommended, record, rules_of


@dataclass(frozen=True)
class Case:
    id: str
    born: date
    kg: str | None
    medicine: Medicine
    dose_mg: str
    volume_ml: str | None = None
    mg_per_kg: str | None = None
    capped: bool = False


CASES = [
    Case(
        "neonate 27 days: 5 mg/kg",
        TODAY - timedelta(days=27),
        "3.5",
        Medicine.RIFAMPICIN_ORAL_SUSPENSION,
        "18",
        "0.9",
        "5",
    ),
    Case(
        "28 days: 10 mg/kg", TODAY - timedelta(days=28), "3.5", Medicine.RIFAMPICIN_ORAL_SUSPENSION, "36", "1.8", "10"
    ),
    Case("neonate 0 days", TODAY, "3.2", Medicine.RIFAMPICIN_ORAL_SUSPENSION, "16", "0.8", "5"),
    Case(
        "infant 6 months, 7.3 kg", born_years_ago(0, 183), "7.3", Medicine.RIFAMPICIN_ORAL_SUSPENSION, "74", "3.7", "10"
    ),
    Case("5 years: suspension", born_years_ago(5), "20", Medicine.RIFAMPICIN_ORAL_SUSPENSION, "200", "10", "10"),
    # From 6 years, capsules when whole 300 mg capsules give the mg/kg dose within 10 % (never above the cap)
    Case("8 years 30 kg: one capsule", born_years_ago(8), "30", Medicine.RIFAMPICIN_CAPSULE, "300", None, "10"),
    Case("6 years 30 kg: capsules from 6", born_years_ago(6), "30", Medicine.RIFAMPICIN_CAPSULE, "300", None, "10"),
    Case(
        "6 years minus a day, 30 kg: suspension",
        born_years_ago(6) + timedelta(days=1),
        "30",
        Medicine.RIFAMPICIN_ORAL_SUSPENSION,
        "300",
        "15",
        "10",
    ),
    Case("10 years 28 kg: 280 mg -> 1 capsule (7 %)", born_years_ago(10), "28", Medicine.RIFAMPICIN_CAPSULE, "300",
         None, "10"),
    Case("10 years 27 kg: 270 mg, 1 capsule 11 % off", born_years_ago(10), "27", Medicine.RIFAMPICIN_ORAL_SUSPENSION,
         "270", "13.5", "10"),
    Case("10 years 40 kg: 400 mg, no whole capsules", born_years_ago(10), "40", Medicine.RIFAMPICIN_ORAL_SUSPENSION,
         "400", "20", "10"),
    Case("13 years 59 kg", born_years_ago(13), "59", Medicine.RIFAMPICIN_CAPSULE, "600", None, "10"),
    Case("13 years 60 kg: cap reached", born_years_ago(13), "60", Medicine.RIFAMPICIN_CAPSULE, "600", None, "10"),
    Case("13 years 61 kg: capped", born_years_ago(13), "61", Medicine.RIFAMPICIN_CAPSULE, "600", None, "10"),
    Case(
        "15 years minus a day: child",
        born_years_ago(15) + timedelta(days=1),
        "50",
        Medicine.RIFAMPICIN_ORAL_SUSPENSION,
        "500",
        "25",
        "10",
    ),
    Case("14 years 45 kg, capped dose by suspension", born_years_ago(14), "45", Medicine.RIFAMPICIN_ORAL_SUSPENSION,
         "450", "22.5", "10"),
    Case("15 years: adult", born_years_ago(15), "50", Medicine.RIFAMPICIN_CAPSULE, "600"),
    Case("15 years, no weight: adult", born_years_ago(15), None, Medicine.RIFAMPICIN_CAPSULE, "600"),
    Case("adult 40 kg: fixed dose", born_years_ago(70), "40", Medicine.RIFAMPICIN_CAPSULE, "600"),
    Case("rounding 23.68 kg", born_years_ago(7), "23.68", Medicine.RIFAMPICIN_ORAL_SUSPENSION, "236", "11.8", "10"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rifampicin_dose(case: Case) -> None:
    advice = evaluate(record(case.born, kg=case.kg))
    assert rules_of(advice) == ["iim.prophylaxis.rifampicin"]
    proposal = recommended(advice[0])
    assert proposal.medicine is case.medicine
    assert proposal.dose_mg == Decimal(case.dose_mg)
    assert proposal.volume_ml == (Decimal(case.volume_ml) if case.volume_ml else None)
    assert proposal.mg_per_kg == (Decimal(case.mg_per_kg) if case.mg_per_kg else None)
    if case.mg_per_kg:
        assert proposal.weight_kg_used == Decimal(case.kg or "")
        if case.volume_ml:
            assert proposal.instruction.key.endswith(".capped") is case.capped
        rendered = Renderer("fr").render(proposal.instruction)
        assert f"pour {case.kg.replace('.', ',') if case.kg else ''} kg (pesé le" in rendered
    else:
        assert proposal.weight_kg_used is None


def test_neonate_band_decision_is_on_the_card_in_the_gap() -> None:
    """Between 28 days and the first monthly birthday the two readings of '< 1 month' differ."""
    born = date(2026, 10, 23)  # 29 days old on 21 Nov, one calendar month only on 23 Nov
    card = evaluate(record(born, kg="4"))[0]
    assert recommended(card).mg_per_kg == Decimal(10)
    assert "iim.decision.neonate-days" in keys(card.decisions)


def test_fifteen_year_old_card_states_the_adult_reading() -> None:
    card = evaluate(record(born_years_ago(15, 30), kg="45"))[0]
    assert "iim.decision.adult-from-years" in keys(card.decisions)
    assert "iim.decision.adult-from-years" not in keys(evaluate(record(born_years_ago(14), kg="45"))[0].decisions)


@pytest.mark.parametrize("born", [born_years_ago(30), born_years_ago(0, 40), born_years_ago(8)], ids=str)
def test_first_line_card_proposes_rifampicin_only_and_names_the_second_line_in_words(born: date) -> None:
    card = only(evaluate(record(born, kg="20" if born != born_years_ago(30) else None)), "iim.prophylaxis.rifampicin")
    assert [s.label.key for s in card.suggestions] == ["iim.suggestion.rifampicin"]
    assert [s.recommended for s in card.suggestions] == [True]
    assert "iim.second-line.exists" in keys(card.explanation)
    assert "iim.excluded" not in keys(card.explanation)  # why a second-line drug is not offered is no news here


QUANTITIES = [
    # (born, kg, medicine, quantity, unit): the whole course, as the pharmacy hands it over
    (born_years_ago(40), None, Medicine.RIFAMPICIN_CAPSULE, 8, "capsule"),
    (born_years_ago(8), "30", Medicine.RIFAMPICIN_CAPSULE, 4, "capsule"),
    (born_years_ago(13), "60", Medicine.RIFAMPICIN_CAPSULE, 8, "capsule"),
    (born_years_ago(5), "20", Medicine.RIFAMPICIN_ORAL_SUSPENSION, 1, "bottle"),
    (born_years_ago(14), "45", Medicine.RIFAMPICIN_ORAL_SUSPENSION, 1, "bottle"),
]


@pytest.mark.parametrize(("born", "kg", "medicine", "quantity", "unit"), QUANTITIES)
def test_every_course_says_the_quantity_to_dispense(
    born: date, kg: str | None, medicine: Medicine, quantity: int, unit: str
) -> None:
    card = evaluate(record(born, kg=kg))[0]
    proposal = recommended(card)
    assert proposal.medicine is medicine
    assert proposal.dispense is not None
    assert (proposal.dispense.quantity, proposal.dispense.unit.value) == (quantity, unit)
    assert any(ref.document == "corruss-2025-03-26" for ref in card.guideline)  # unit dispensing, cited


def test_a_child_on_capsules_sees_the_reading_and_its_age() -> None:
    card = evaluate(record(born_years_ago(8), kg="30"))[0]
    decision = next(m for m in card.decisions if m.key == "iim.decision.capsule-child")
    assert decision.params["from_years"] == 6


@pytest.mark.parametrize(
    ("kg", "key"),
    [
        ("60", "iim.instruction.rifampicin.capsule-child"),  # 10 mg/kg is the dose
        ("61", "iim.instruction.rifampicin.capsule-child.capped"),  # the cap is the dose
        ("80", "iim.instruction.rifampicin.capsule-child.capped"),
    ],
)
def test_a_capped_capsule_dose_says_the_cap(kg: str, key: str) -> None:
    proposal = recommended(evaluate(record(born_years_ago(14), kg=kg))[0])
    assert proposal.medicine is Medicine.RIFAMPICIN_CAPSULE and proposal.dose_mg == 600
    assert proposal.instruction.key == key
    text = Renderer("fr").render(proposal.instruction)
    capped = key.endswith(".capped")
    assert ("dose maximale : 10 mg/kg" in text) is capped and ("arrondi à la gélule" in text) is not capped
