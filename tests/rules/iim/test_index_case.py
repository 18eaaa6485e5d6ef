"""The index case: the notification to the ARS, the eradication course when not treated with a third-generation
cephalosporin, and what follows recovery (§A.1, §A.6)."""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from prevention_cds.rules.advice import Medicine
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import ConditionFact, MedicationFact, MedicationStatus

from .builders import born_years_ago, evaluate, keys, medicines, recommended, record, rules_of

ADULT = born_years_ago(20)
NOTIFY, AFTER = "iim.index-case.notification", "iim.index-case.after-recovery"


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
    Case("treated with a C3G: no course", [], condition=_iim(), medications=(Concept.THIRD_GEN_CEPHALOSPORIN,)),
    Case("treated with ceftriaxone: no course", [], condition=_iim(), medications=(Concept.CEFTRIAXONE,)),
    Case("eradication already given: no course", [], condition=_iim(), medications=(Concept.RIFAMPICIN,)),
    Case("resolved condition: nothing at all", [], condition=_iim(active=False)),
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
    active = case.condition is not None and case.condition.active
    assert rules_of(advice) == ([NOTIFY, *case.rules, AFTER] if active else [])
    if not case.rules:
        return
    card = advice[1]
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
    proposal = recommended(evaluate(rec)[1])
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
    assert ("iim.index-case.eradication" in rules_of(evaluate(rec))) is eradication


def test_the_notification_card_is_critical_and_says_what_the_ars_needs() -> None:
    card = evaluate(record(ADULT, exposures=(), conditions=(_iim(confirmed=False),)))[0]
    assert card.rule == NOTIFY and card.indicator.value == "critical"
    assert keys(card.explanation) == ["iim.index-case.notify.detail", "iim.index-case.notify.content"]
    assert "iim.fact.index-case-probable" in keys(card.facts)


def test_a_recurrence_asks_for_a_complement_deficiency_search() -> None:
    earlier = replace(_iim(active=False), source_id="Condition/old", display="Méningococcémie 2019")
    advice = evaluate(record(ADULT, exposures=(), conditions=(earlier, _iim())))
    card = advice[-1]
    assert card.rule == AFTER and card.summary.key == "iim.summary.index-case.recurrence"
    assert "iim.fact.index-case-earlier" in keys(card.facts)
    assert "iim.index-case.complement" in keys(card.explanation)


def test_ceftriaxone_given_as_an_administration_ends_the_eradication() -> None:
    """A hospital records the C3G given to the case as a MedicationAdministration (read like the others)."""
    from prevention_cds.fhir_in.record import build_record
    from prevention_cds.terminology.index import ATC, CodeIndex

    from .builders import NOW

    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p", "birthDate": "2000-01-01"},
        {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A39.0"}]}},
        {"resourceType": "MedicationAdministration", "id": "a", "status": "completed",
         "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-11-19T08:00:00+01:00",
         "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J01DD01"}], "text": "céfotaxime"}},
    ]
    rec = build_record("p", resources, CodeIndex.load(), NOW)
    assert rules_of(evaluate(rec)) == [NOTIFY, AFTER]
