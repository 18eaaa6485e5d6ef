"""What the card says with each antibiotic (clinical.md §A.5)."""

from datetime import timedelta

import pytest

from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import Sex

from .builders import TODAY, born_years_ago, evaluate, keys, proposals, record

ADULT = born_years_ago(28)

PRECAUTIONS = [
    # (id, record kwargs, expected keys, absent keys)
    (
        "woman of childbearing age",
        {"born": ADULT, "sex": Sex.FEMALE},
        ["iim.precaution.rifampicin.colour", "iim.precaution.rifampicin.contraception"],
        ["iim.precaution.rifampicin.pregnancy"],
    ),
    (
        "man",
        {"born": ADULT, "sex": Sex.MALE},
        ["iim.precaution.rifampicin.colour"],
        ["iim.precaution.rifampicin.contraception"],
    ),
    (
        "man on a hormonal contraceptive: the contraceptive is named",
        {"born": ADULT, "sex": Sex.MALE, "medications": (Concept.HORMONAL_CONTRACEPTIVE,)},
        ["iim.interaction.found"],
        ["iim.precaution.rifampicin.contraception"],
    ),
    ("woman aged 60", {"born": born_years_ago(60), "sex": Sex.FEMALE}, [], ["iim.precaution.rifampicin.contraception"]),
    (
        "pregnant woman: no contraception advice",
        {"born": ADULT, "sex": Sex.FEMALE, "pregnant": True},
        ["iim.precaution.rifampicin.pregnancy"],
        ["iim.precaution.rifampicin.contraception"],
    ),
    (
        "pregnant woman with a contraceptive on record: still none",
        {"born": ADULT, "sex": Sex.FEMALE, "pregnant": True, "medications": (Concept.HORMONAL_CONTRACEPTIVE,)},
        ["iim.precaution.rifampicin.pregnancy"],
        ["iim.precaution.rifampicin.contraception", "iim.interaction.found"],
    ),
    ("neonate", {"born": TODAY - timedelta(days=5), "kg": "3.1"}, ["iim.precaution.rifampicin.neonate"], []),
    ("hepatic precaution shown when the record says nothing", {"born": ADULT}, ["iim.precaution.rifampicin.liver"], []),
]


@pytest.mark.parametrize(("case", "kwargs", "present", "absent"), PRECAUTIONS, ids=[p[0] for p in PRECAUTIONS])
def test_rifampicin_precautions(case: str, kwargs: dict[str, object], present: list[str], absent: list[str]) -> None:
    born = kwargs.pop("born")
    card = evaluate(record(born, **kwargs))[0]  # type: ignore[arg-type]
    explanation = keys(card.explanation)
    assert set(present) <= set(explanation)
    assert not set(absent) & set(explanation)
    if "iim.precaution.rifampicin.contraception" in present:
        contraception = next(m for m in card.explanation if m.key == "iim.precaution.rifampicin.contraception")
        assert contraception.params["days"] == 28
        assert "iim.decision.contraception-duration" in keys(card.decisions)


def test_pregnancy_precaution_gives_the_newborn_vitamin_k_dose() -> None:
    card = evaluate(record(ADULT, sex=Sex.FEMALE, pregnant=True))[0]
    message = next(m for m in card.explanation if m.key == "iim.precaution.rifampicin.pregnancy")
    assert (str(message.params["min_mg"]), str(message.params["max_mg"])) == ("0.5", "1")


def test_rifampicin_proposal_carries_the_patient_instruction() -> None:
    rifampicin = proposals(evaluate(record(ADULT))[0])[0][1]
    assert rifampicin.patient_instruction is not None
    assert rifampicin.patient_instruction.key == "iim.patient.rifampicin"


def test_child_ceftriaxone_carries_the_lidocaine_note() -> None:
    card = evaluate(record(born_years_ago(3), kg="14", allergies=(Concept.RIFAMYCIN_ALLERGEN,)))[0]
    ceftriaxone = next(p for _, p in proposals(card) if p.medicine.value == "ceftriaxone-injection")
    assert keys(ceftriaxone.notes) == ["iim.note.ceftriaxone-child-lidocaine"]


RECORD_SAYS = [
    # (condition, expected card, key named on it, rifampicin recommended)
    (Concept.SEVERE_HEPATIC_DISEASE, "iim.prophylaxis.second-line", "iim.second-line.hepatic", False),
    (Concept.ALCOHOL_DEPENDENCE, "iim.prophylaxis.rifampicin", "iim.precaution.rifampicin.alcohol", True),
]


@pytest.mark.parametrize(("concept", "rule", "named", "rifampicin_first"), RECORD_SAYS)
def test_what_the_record_says_of_the_liver_is_named(
    concept: Concept, rule: str, named: str, rifampicin_first: bool
) -> None:
    from prevention_cds.rules.facts import ConditionFact

    from .builders import only

    condition = ConditionFact(concept, "cirrhose alcoolique", source_id="Condition/h")
    card = only(evaluate(record(ADULT, conditions=(condition,))), rule)
    assert named in keys(card.explanation)
    assert "iim.precaution.rifampicin.liver" not in keys(card.explanation)  # the generic line gives way
    first = proposals(card)[0][1]
    assert (first.medicine.value == "rifampicin-capsule") is rifampicin_first


def test_breastfeeding_prefers_ceftriaxone_in_the_second_line() -> None:
    from prevention_cds.rules.facts import ConditionFact

    from .builders import recommended

    feeding = ConditionFact(Concept.BREASTFEEDING, "allaitement")
    rec = record(ADULT, sex=Sex.FEMALE, conditions=(feeding,), allergies=(Concept.RIFAMYCIN_ALLERGEN,))
    card = evaluate(rec)[0]
    assert recommended(card).medicine.value == "ceftriaxone-injection"
    assert "iim.precaution.ciprofloxacin.breastfeeding" in keys(card.explanation)
