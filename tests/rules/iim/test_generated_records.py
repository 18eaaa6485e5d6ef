"""Properties over many generated records.

1. No advice ever proposes a dose computed from a missing, stale, future-dated or implausible weight: every
   mg/kg proposal uses the latest weighing, judged usable by an independent reading of the rule data.
2. Every mg/kg dose is the mg/kg rate times the weight, within one measuring step, never above the cap, and
   equals the volume times the suspension concentration.
3. Every message emitted exists in both catalogs with its placeholders filled (``assert_renders``).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from prevention_cds.rules.advice import Advice, MedicationProposal, Medicine, Route
from prevention_cds.rules.calendar_math import completed_months, completed_years
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import (
    AllergyFact,
    ConditionFact,
    DraftOrder,
    Exposure,
    ExposureKind,
    IimSerogroup,
    MedicationFact,
    MedicationStatus,
    OrderContext,
    PatientRecord,
    Pregnancy,
    Sex,
    WeightMeasurement,
)
from prevention_cds.rules.partial_date import PartialDate
from prevention_cds.rules.ruleset import RuleSettings

from .builders import ROOT, RULES, assert_renders, proposals

DATA: dict[str, Any] = json.loads((ROOT / "prevention_cds" / "rules" / "data" / "iim.json").read_text("utf-8"))[
    "values"
]
SETTING_CODES = [*DATA["contact_settings"]["value"], None, "bogus"]
CONTACT_CODES = [code for code, row in DATA["contact_settings"]["value"].items() if row["prophylaxis"]]
SUSPENSIONS = {
    Medicine.RIFAMPICIN_ORAL_SUSPENSION: (Decimal(100) / Decimal(5), Decimal(DATA["rifampicin_max_dose_mg"]["value"])),
    Medicine.CIPROFLOXACIN_ORAL_SUSPENSION: (
        Decimal(500) / Decimal(5),
        Decimal(DATA["ciprofloxacin_max_dose_mg"]["value"]),
    ),
}
STEP_ML = Decimal(DATA["oral_suspension_volume_step_ml"]["value"])
CAPSULE_MG = Decimal(DATA["rifampicin_capsule_mg"]["value"])
CAPSULE_TOLERANCE = Decimal(DATA["rifampicin_capsule_child_tolerance_percent"]["value"]) / 100
CAPSULE_FROM_YEARS = DATA["rifampicin_capsule_from_age_years"]["value"]

Situation = tuple[PatientRecord, datetime, RuleSettings, OrderContext]


def _age_value(born: date, today: date, key: str) -> int:
    return {
        "below_age_days": (today - born).days,
        "below_age_months": completed_months(born, today),
        "below_age_years": completed_years(born, today),
    }[key]


def _row(table: str, born: date, today: date) -> dict[str, Any] | None:
    for row in DATA[table]["value"]:
        bound = next(k for k in row if k.startswith("below_age_"))
        if _age_value(born, today, bound) < row[bound]:
            return dict(row)
    return None


def usable_weight(rec: PatientRecord, today: date) -> WeightMeasurement | None:
    """An independent reading of prevention_cds/rules/data/iim.json: the latest weighing, if it may carry a mg/kg dose."""
    if not rec.weights or rec.birth_date is None:
        return None
    latest = max(rec.weights, key=lambda w: w.measured_at)
    measured = latest.measured_at.date()
    born = min(rec.birth_date.latest, today)  # the youngest possible age
    if measured > today or not DATA["weight_min_kg"]["value"] <= latest.kilograms <= DATA["weight_max_kg"]["value"]:
        return None
    plausible = _row("weight_plausible_by_age", born, today)
    if plausible and not plausible["min_kg"] <= latest.kilograms <= plausible["max_kg"]:
        return None
    freshness = _row("weight_max_age_by_age", born, today)
    if freshness and (today - measured).days > freshness["max_days"]:
        return None
    return latest


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    today = draw(st.dates(date(2025, 4, 1), date(2027, 12, 31)))
    now = datetime.combine(today, time(draw(st.integers(0, 23))))
    age_days = draw(st.one_of(st.integers(0, 60), st.integers(0, 800), st.integers(0, 5600), st.integers(0, 33000)))
    born = today - timedelta(days=age_days)
    precision = draw(st.sampled_from(["day", "day", "day", "month", "year", "none"]))
    birth = {
        "day": PartialDate.exact(born),
        "month": PartialDate(born.year, born.month),
        "year": PartialDate(born.year),
        "none": None,
    }[precision]
    kilograms = st.one_of(
        st.decimals(Decimal("2"), Decimal("70"), places=2), st.decimals(Decimal("0.3"), Decimal("320"), places=2)
    )
    weighed_days_ago = st.one_of(st.integers(0, 20), st.integers(-5, 400))
    weights = tuple(
        WeightMeasurement(kg, now - timedelta(days=days, hours=hours), f"{kg} kg")
        for kg, days, hours in draw(st.lists(st.tuples(kilograms, weighed_days_ago, st.integers(0, 23)), max_size=3))
    )
    exposures = tuple(
        Exposure(
            ExposureKind.IIM,
            now - timedelta(days=draw(st.integers(-1, 14)), hours=draw(st.integers(0, 23))),
            has_time=draw(st.booleans()),
            setting=draw(st.one_of(st.sampled_from(CONTACT_CODES), st.sampled_from(SETTING_CODES))),
            serogroup=draw(st.sampled_from([None, *IimSerogroup])),
            rifampicin_resistant=draw(st.booleans()),
            repeated_case_in_community=draw(st.booleans()),
            community_first_case_on=draw(
                st.one_of(st.none(), st.just(today - timedelta(days=draw(st.integers(0, 300)))))
            ),
            prior_prophylaxis_ended_on=draw(
                st.sampled_from([None, None, None, today - timedelta(days=draw(st.integers(0, 60)))])
            ),
            case_first_effective_antibiotic=draw(
                st.one_of(st.none(), st.just(now - timedelta(days=draw(st.integers(0, 14)))))
            ),
            source_id="Observation/e",
        )
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2])))
    )
    allergens = [Concept.RIFAMYCIN_ALLERGEN, Concept.CIPROFLOXACIN_ALLERGEN, Concept.CEPHALOSPORIN_ALLERGEN]
    medicines = [
        Concept.RIFAMPICIN_INTERACTING,
        Concept.HORMONAL_CONTRACEPTIVE,
        Concept.THIRD_GEN_CEPHALOSPORIN,
        Concept.RIFAMPICIN,
    ]
    conditions = []
    if draw(st.booleans()):
        conditions.append(
            ConditionFact(Concept.IIM_DISEASE, "IIM", active=draw(st.booleans()), source_id="Condition/c")
        )
    if draw(st.integers(0, 9)) == 0:
        conditions.append(ConditionFact(Concept.PORPHYRIA, "porphyrie"))
    rec = PatientRecord(
        patient_id="generated",
        birth_date=birth,
        sex=draw(st.sampled_from([None, *Sex])),
        weights=weights,
        allergies=tuple(
            AllergyFact(frozenset({a}), str(a)) for a in draw(st.sets(st.sampled_from(allergens), max_size=2))
        ),
        medications=tuple(
            MedicationFact(frozenset({m}), str(m), MedicationStatus.ONGOING)
            for m in draw(st.sets(st.sampled_from(medicines), max_size=2))
        ),
        conditions=tuple(conditions),
        pregnancy=Pregnancy(True, today - timedelta(days=30)) if draw(st.integers(0, 5)) == 0 else None,
        exposures=exposures,
    )
    orders = tuple(
        DraftOrder(
            "MedicationRequest",
            f"d{i}",
            frozenset({concept}),
            str(concept),
            dose_mg=draw(st.one_of(st.none(), st.decimals(Decimal(10), Decimal(1200), places=0))),
            frequency_per_day=draw(st.one_of(st.none(), st.sampled_from([Decimal(1), Decimal(2)]))),
            route=draw(st.sampled_from([None, Route.ORAL, Route.INTRAMUSCULAR, Route.INTRAVENOUS])),
        )
        for i, concept in enumerate(
            draw(
                st.lists(st.sampled_from([Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE]), max_size=2)
            )
        )
    )
    shortage = RuleSettings(rifampicin_shortage_mode=draw(st.booleans()))
    return rec, now, shortage, OrderContext("order-select", orders)


def _mg_per_kg_proposals(advice: tuple[Advice, ...]) -> list[MedicationProposal]:
    return [p for card in advice for _, p in proposals(card) if p.mg_per_kg is not None]


def assert_no_dose_from_an_unusable_weight(situation: Situation) -> None:
    rec, now, rule_settings, orders = situation
    advice = assert_renders(
        RULES.evaluate(rec, now, rule_settings) + RULES.check_orders(rec, orders, now, rule_settings)
    )
    usable = usable_weight(rec, now.date())
    per_kg = _mg_per_kg_proposals(advice)
    event("mg/kg dose proposed" if per_kg else "no mg/kg dose")
    event(f"weight needed: {any(a.rule.endswith('weight-needed') for a in advice)}")
    for proposal in per_kg:
        assert usable is not None, "a mg/kg dose was computed without a usable weight"
        assert proposal.weight_kg_used == usable.kilograms
        assert proposal.instruction.params["weighed_on"] == usable.measured_at.date()
        assert proposal.dose_mg is not None and proposal.mg_per_kg is not None
        if proposal.medicine is Medicine.RIFAMPICIN_CAPSULE:  # a child old enough, a dose close to whole capsules
            cap = Decimal(DATA["rifampicin_max_dose_mg"]["value"])
            wanted = min(proposal.mg_per_kg * usable.kilograms, cap)
            assert rec.birth_date is not None
            assert _age_value(rec.birth_date.latest, now.date(), "below_age_years") >= CAPSULE_FROM_YEARS
            assert proposal.dose_mg % CAPSULE_MG == 0 and proposal.dose_mg <= cap
            assert abs(proposal.dose_mg - wanted) <= wanted * CAPSULE_TOLERANCE
            continue
        concentration, cap = SUSPENSIONS[proposal.medicine]
        assert proposal.volume_ml is not None
        assert proposal.dose_mg == proposal.volume_ml * concentration
        assert proposal.dose_mg <= cap
        wanted = min(proposal.mg_per_kg * usable.kilograms, cap)
        assert abs(proposal.dose_mg - wanted) <= STEP_ML * concentration / 2


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situations())
def test_no_dose_from_an_unusable_weight(situation: Situation) -> None:
    assert_no_dose_from_an_unusable_weight(situation)


@st.composite
def child_contacts(draw: st.DrawFn) -> Situation:
    """A child contact within the window, with arbitrary weighings: the mg/kg path, densely."""
    today = draw(st.dates(date(2025, 4, 1), date(2027, 12, 31)))
    now = datetime.combine(today, time(12))
    born = today - timedelta(days=draw(st.integers(0, 15 * 366)))
    weights = tuple(
        WeightMeasurement(kg, now - timedelta(days=days), f"{kg} kg")
        for kg, days in draw(
            st.lists(
                st.one_of(
                    st.tuples(st.decimals(Decimal("3"), Decimal("45"), places=1), st.integers(0, 7)),
                    st.tuples(st.decimals(Decimal("0.3"), Decimal("320"), places=2), st.integers(-3, 200)),
                ),
                max_size=2,
            )
        )
    )
    allergy = draw(st.sampled_from([None, Concept.RIFAMYCIN_ALLERGEN, Concept.CEPHALOSPORIN_ALLERGEN]))
    rec = PatientRecord(
        patient_id="child",
        birth_date=PartialDate.exact(born),
        sex=Sex.FEMALE,
        weights=weights,
        allergies=(AllergyFact(frozenset({allergy}), str(allergy)),) if allergy else (),
        exposures=(
            Exposure(ExposureKind.IIM, now - timedelta(days=draw(st.integers(0, 10))), True, setting="household"),
        ),
    )
    concept = draw(st.sampled_from([Concept.RIFAMPICIN, Concept.CIPROFLOXACIN]))
    dose = draw(st.decimals(Decimal(5), Decimal(900), places=0))
    orders = OrderContext(
        "order-sign", (DraftOrder("MedicationRequest", "d", frozenset({concept}), "d", dose_mg=dose),)
    )
    return rec, now, RuleSettings(rifampicin_shortage_mode=draw(st.booleans())), orders


@settings(max_examples=1000, deadline=None)
@given(child_contacts())
def test_no_child_dose_from_an_unusable_weight(situation: Situation) -> None:
    assert_no_dose_from_an_unusable_weight(situation)
