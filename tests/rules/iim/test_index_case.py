"""The index case: eradication course when not treated with a third-generation cephalosporin (§A.6)."""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import pytest

from prevention_cds.rules.advice import Medicine
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, MedicationFact, MedicationStatus

from .builders import born_years_ago, evaluate, keys, medicines, recommended, record, rules_of

ADULT = born_years_ago(20)


def _iim(active: bool = True, confirmed: bool = True) -> ConditionFact:
    return ConditionFact(
        Concept.IIM_DISEASE, "Méningite à méningocoque", active=active, confirmed=confirmed, source_id="Condition/c"
    )


@dataclass(frozen=True)
class Case:
    id: str
    rules: list[str]
    born: date = ADULT
    kg: str | None = None
    condition: ConditionFact | None = None
    medications: tuple[Concept, ...] = ()
    allergies: tuple[Concept, ...] = ()
    medicine: str | None = None


CASES = [
    Case(
        "no C3G recorded: eradication",
        ["iim.index-case.eradication"],
        condition=_iim(),
        medicine=Medicine.RIFAMPICIN_CAPSULE.value,
    ),
    Case(
        "probable case: same",
        ["iim.index-case.eradication"],
        condition=_iim(confirmed=False),
        medicine=Medicine.RIFAMPICIN_CAPSULE.value,
    ),
    Case("treated with a C3G: nothing", [], condition=_iim(), medications=(Concept.THIRD_GEN_CEPHALOSPORIN,)),
    Case("treated with ceftriaxone: nothing", [], condition=_iim(), medications=(Concept.CEFTRIAXONE,)),
    Case("eradication already given: nothing", [], condition=_iim(), medications=(Concept.RIFAMPICIN,)),
    Case("resolved condition: nothing", [], condition=_iim(active=False)),
    Case("child without weight", ["iim.weight-needed"], born=born_years_ago(4), condition=_iim()),
    Case(
        "child 16 kg",
        ["iim.index-case.eradication"],
        born=born_years_ago(4),
        kg="16",
        condition=_iim(),
        medicine=Medicine.RIFAMPICIN_ORAL_SUSPENSION.value,
    ),
    Case(
        "rifamycin allergy: second line",
        ["iim.index-case.eradication"],
        condition=_iim(),
        allergies=(Concept.RIFAMYCIN_ALLERGEN,),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_index_case(case: Case) -> None:
    conditions = (case.condition,) if case.condition else ()
    rec = record(
        case.born,
        kg=case.kg,
        exposures=(),
        conditions=conditions,
        medications=case.medications,
        allergies=case.allergies,
    )
    advice = evaluate(rec)
    assert rules_of(advice) == case.rules
    if not advice:
        return
    card = advice[0]
    assert "iim.decision.c3g-not-recorded" in keys(card.decisions)
    assert "iim.fact.no-c3g" in keys(card.facts)
    if case.medicine:
        proposal = recommended(card)
        assert proposal.medicine.value == case.medicine
        assert proposal.reason_reference == "Condition/c"
    if case.allergies:
        assert medicines(card) == [Medicine.CIPROFLOXACIN_TABLET.value, Medicine.CEFTRIAXONE_INJECTION.value]
    if case.id == "child without weight":
        assert card.summary.params["purpose"].key == "iim.purpose.index-case"  # type: ignore[union-attr]


def test_index_case_child_dose() -> None:
    rec = record(born_years_ago(4), kg="16", exposures=(), conditions=(_iim(),))
    proposal = recommended(evaluate(rec)[0])
    assert (proposal.dose_mg, proposal.volume_ml, proposal.weight_kg_used) == (Decimal(160), Decimal(8), Decimal(16))


@pytest.mark.parametrize(
    ("status", "eradication"),
    [
        pytest.param(MedicationStatus.FINISHED, False, id="completed-False"),
        pytest.param(MedicationStatus.NOT_TAKEN, True, id="entered-in-error-True"),
        pytest.param(MedicationStatus.NOT_TAKEN, True, id="cancelled-True"),
    ],
)
def test_only_a_cephalosporin_actually_given_counts(status: MedicationStatus, eradication: bool) -> None:
    given = MedicationFact(frozenset({Concept.THIRD_GEN_CEPHALOSPORIN}), "céfotaxime", status)
    rec = replace(record(ADULT, exposures=(), conditions=(_iim(),)), medications=(given,))
    assert (rules_of(evaluate(rec)) == ["iim.index-case.eradication"]) is eradication
