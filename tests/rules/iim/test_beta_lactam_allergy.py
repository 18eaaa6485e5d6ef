"""A severe allergy to a penicillin, a carbapenem or a monobactam contraindicates ceftriaxone (its SmPC 4.3); a
mild one is a caution named on the card (4.4)."""

from dataclasses import replace

import pytest

from prevention_cds.rules.advice import Indicator, Medicine
from prevention_cds.rules.concepts import Concept
from prevention_cds.rules.facts import AllergyFact, PatientRecord
from prevention_cds.terminology.index import CodeIndex

from .builders import (
    born_years_ago,
    check,
    evaluate,
    exposure,
    medicines,
    only,
    order,
    record,
)

ADULT = born_years_ago(40)
CIPRO, CEFTRIAXONE = Medicine.CIPROFLOXACIN_TABLET.value, Medicine.CEFTRIAXONE_INJECTION.value


def _with_allergy(*, anaphylaxis: bool = False, high: bool = False, kg: str | None = None) -> PatientRecord:
    concepts = {Concept.BETA_LACTAM_ALLERGEN} | ({Concept.ANAPHYLAXIS} if anaphylaxis else set())
    allergy = AllergyFact(frozenset(concepts), "amoxicilline", high_criticality=high, source_id="AllergyIntolerance/b")
    base = record(ADULT, kg=kg, exposures=(exposure(rifampicin_resistant=True),))
    return replace(base, allergies=(allergy,))


def _decisive(advice: object) -> list[str]:
    return [m.key for m in advice.explanation if m.decisive]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("anaphylaxis", "high"), [(True, False), (False, True), (True, True)])
def test_severe_beta_lactam_allergy_leaves_ciprofloxacin_alone(anaphylaxis: bool, high: bool) -> None:
    card = only(evaluate(_with_allergy(anaphylaxis=anaphylaxis, high=high)), "iim.prophylaxis.second-line")
    assert medicines(card) == [CIPRO]
    assert card.summary.key == "iim.summary.contact.second-line.ciprofloxacin"
    excluded = [m for m in card.explanation if m.key == "iim.excluded"]
    assert len(excluded) == 1 and excluded[0].decisive  # the allergy on the card itself
    reason = excluded[0].params["reason"]
    expected = "iim.ci.beta-lactam-anaphylaxis" if anaphylaxis else "iim.ci.beta-lactam-high-criticality"
    assert reason.key == expected  # type: ignore[union-attr]
    assert reason.params["allergy"] == "amoxicilline"  # type: ignore[union-attr]


def test_mild_beta_lactam_allergy_is_a_caution_named_on_the_card() -> None:
    card = only(evaluate(_with_allergy()), "iim.prophylaxis.second-line")
    assert sorted(medicines(card)) == sorted([CIPRO, CEFTRIAXONE])
    assert card.summary.key == "iim.summary.contact.second-line"
    assert "iim.precaution.ceftriaxone.beta-lactam-mild" in _decisive(card)
    assert "iim.precaution.ceftriaxone.beta-lactam" not in _decisive(card)  # the general line is replaced


def test_no_beta_lactam_allergy_keeps_the_general_warning() -> None:
    base = record(ADULT, exposures=(exposure(rifampicin_resistant=True),))
    card = only(evaluate(base), "iim.prophylaxis.second-line")
    assert "iim.precaution.ceftriaxone.beta-lactam" in _decisive(card)


def test_ceftriaxone_order_with_a_severe_beta_lactam_allergy_is_critical() -> None:
    card = only(check(_with_allergy(anaphylaxis=True), order(Concept.CEFTRIAXONE, "250")), "iim.order.contraindicated")
    assert card.indicator is Indicator.CRITICAL


def test_ceftriaxone_order_with_a_mild_beta_lactam_allergy_is_not_contraindicated() -> None:
    advice = check(_with_allergy(), order(Concept.CEFTRIAXONE, "250"))
    assert "iim.order.contraindicated" not in [a.rule for a in advice]


def test_a_penicillin_allergy_does_not_stop_rifampicin_first_line() -> None:
    base = replace(record(ADULT, kg="70"), allergies=_with_allergy(anaphylaxis=True).allergies)
    assert "iim.prophylaxis.rifampicin" in [a.rule for a in evaluate(base)]


def test_the_cephalosporins_are_not_in_the_beta_lactam_list() -> None:
    """Each list holds its family: a cephalosporin allergy is read by cephalosporin-allergen alone."""
    index = CodeIndex.load()
    atc = "http://www.whocc.no/atc"
    assert not index.contains("beta-lactam-allergen", atc, "J01DD04")
    assert index.contains("beta-lactam-allergen", atc, "J01CE01")  # benzylpenicillin, by the class
