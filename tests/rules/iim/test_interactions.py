"""Interactions of rifampicin and ciprofloxacin with the record's medicines and the draft orders (issue 14 §1).

Each list is a ValueSet (ATC classes, ATC codes of single drugs and fixed combinations, ingredient codes) named by
an ``interaction_*`` entry of the rule data, which gives its level, what to do and its source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import pytest

from advice_messages import render_strict
from fhir_factory import medication_statement
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.advice import Advice, Indicator, Medicine, Message
from prevention_cds.rules.citation import Cited
from prevention_cds.rules.concepts import INTERACTING_MEDICINES, Concept
from prevention_cds.rules.facts import MedicationFact, MedicationStatus, PatientRecord, Sex
from prevention_cds.rules.iim.interactions import found_in
from prevention_cds.rules.iim.parameters import IimParameters, InteractionAction, InteractionLevel, InteractionRule
from prevention_cds.rules.iim.patient import PatientProfile
from prevention_cds.terminology.index import ATC, RXNORM, CodeIndex

from .builders import (
    NOW,
    TODAY,
    born_years_ago,
    check,
    evaluate,
    keys,
    medicines,
    only,
    order,
    proposals,
    record,
    rules_of,
)

ADULT, CHILD = born_years_ago(40), born_years_ago(8)
CIPRO_TAB, CEFTRIAXONE = Medicine.CIPROFLOXACIN_TABLET.value, Medicine.CEFTRIAXONE_INJECTION.value
RIF_CAPS = Medicine.RIFAMPICIN_CAPSULE.value
P = IimParameters.on(TODAY)


@dataclass(frozen=True)
class Case:
    id: str
    medicines: tuple[Concept, ...]
    rule: str
    offered: list[str]
    recommended: str | None = None
    allergies: tuple[Concept, ...] = ()
    born: date = ADULT
    kg: str | None = None


# the second line first, rifampicin kept as a possible, not recommended, choice
SECOND_LINE_FIRST = ("iim.prophylaxis.second-line", [CIPRO_TAB, CEFTRIAXONE, RIF_CAPS])
CASES = [
    # Contraindicated with rifampicin: second line, rifampicin never offered
    Case("darunavir/cobicistat", (Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR,), "iim.prophylaxis.second-line",
         [CIPRO_TAB, CEFTRIAXONE]),
    Case("bictegravir combination", (Concept.RIFAMPICIN_CI_ANTIRETROVIRAL,), "iim.prophylaxis.second-line",
         [CIPRO_TAB, CEFTRIAXONE]),
    Case("sofosbuvir", (Concept.RIFAMPICIN_CI_HCV_ANTIVIRAL,), "iim.prophylaxis.second-line", [CIPRO_TAB, CEFTRIAXONE]),
    Case("praziquantel", (Concept.RIFAMPICIN_INTERACTING,), "iim.prophylaxis.second-line", [CIPRO_TAB, CEFTRIAXONE]),
    Case("delamanid", (Concept.RIFAMPICIN_INTERACTING,), "iim.prophylaxis.second-line", [CIPRO_TAB, CEFTRIAXONE]),
    # A 2-day course unsafe: second line first, rifampicin kept as a possible, not recommended, choice
    Case("apixaban", (Concept.RIFAMPICIN_AVOID_ANTICOAGULANT,), *SECOND_LINE_FIRST),
    Case("ticagrelor", (Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE,), *SECOND_LINE_FIRST),
    Case("warfarin", (Concept.VITAMIN_K_ANTAGONIST,), *SECOND_LINE_FIRST),
    Case("tacrolimus", (Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT,), *SECOND_LINE_FIRST),
    Case("methadone", (Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION,), *SECOND_LINE_FIRST),
    Case("nevirapine", (Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL,), *SECOND_LINE_FIRST),
    Case("tenofovir alafenamide", (Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL,), *SECOND_LINE_FIRST),
    Case("efavirenz", (Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL,), *SECOND_LINE_FIRST),
    Case("dolutegravir", (Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL,), *SECOND_LINE_FIRST),
    Case("fluconazole", (Concept.RIFAMPICIN_AVOID_AZOLE,), *SECOND_LINE_FIRST),
    Case("child on tacrolimus: ceftriaxone recommended", (Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT,),
         "iim.prophylaxis.second-line", [CEFTRIAXONE, Medicine.CIPROFLOXACIN_ORAL_SUSPENSION.value,
                                          Medicine.RIFAMPICIN_ORAL_SUSPENSION.value], CEFTRIAXONE, born=CHILD, kg="25"),
    # Hormonal contraception: rifampicin stays first line, with the barrier-method advice naming the product
    Case("pill", (Concept.HORMONAL_CONTRACEPTIVE,), "iim.prophylaxis.rifampicin", [RIF_CAPS], RIF_CAPS),
    # The other précautions d'emploi: rifampicin stays first line, the card naming the medicine and the précaution
    Case("levothyroxine", (Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE,), "iim.prophylaxis.rifampicin", [RIF_CAPS],
         RIF_CAPS),
    Case("levothyroxine and ticagrelor",
         (Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE, Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),
         *SECOND_LINE_FIRST),
    # Ciprofloxacin: contraindicated -> ceftriaxone alone; a precaution -> ceftriaxone recommended
    Case("tizanidine, rifamycin allergy", (Concept.CIPROFLOXACIN_INTERACTING,), "iim.prophylaxis.second-line",
         [CEFTRIAXONE], CEFTRIAXONE, allergies=(Concept.RIFAMYCIN_ALLERGEN,)),
    Case("theophylline, rifamycin allergy", (Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE,),
         "iim.prophylaxis.second-line", [CEFTRIAXONE, CIPRO_TAB], CEFTRIAXONE, allergies=(Concept.RIFAMYCIN_ALLERGEN,)),
    Case("citalopram, rifamycin allergy", (Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING,),
         "iim.prophylaxis.second-line", [CEFTRIAXONE, CIPRO_TAB], CEFTRIAXONE, allergies=(Concept.RIFAMYCIN_ALLERGEN,)),
    Case("methotrexate, rifamycin allergy", (Concept.CIPROFLOXACIN_AVOID_METHOTREXATE,),
         "iim.prophylaxis.second-line", [CEFTRIAXONE, CIPRO_TAB], CEFTRIAXONE, allergies=(Concept.RIFAMYCIN_ALLERGEN,)),
    Case("tizanidine, rifamycin and cephalosporin allergies", (Concept.CIPROFLOXACIN_INTERACTING,),
         "iim.specialist-advice", [], allergies=(Concept.RIFAMYCIN_ALLERGEN, Concept.CEPHALOSPORIN_ALLERGEN)),
    Case("tizanidine alone: rifampicin first line, no ciprofloxacin mention", (Concept.CIPROFLOXACIN_INTERACTING,),
         "iim.prophylaxis.rifampicin", [RIF_CAPS], RIF_CAPS),
    # Both lists: a contraindicated PI and an anticoagulant
    Case("ritonavir and apixaban", (Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR, Concept.RIFAMPICIN_AVOID_ANTICOAGULANT),
         "iim.prophylaxis.second-line", [CIPRO_TAB, CEFTRIAXONE]),
]


def _record(case: Case) -> object:
    rec = record(case.born, kg=case.kg, allergies=case.allergies)
    named = tuple(
        MedicationFact(frozenset({c}), f"product {c.value}", MedicationStatus.ONGOING, source_id=f"MedicationStatement/{i}")
        for i, c in enumerate(case.medicines)
    )
    return replace(rec, medications=named)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_interaction_decides_the_course_and_names_the_medicine(case: Case) -> None:
    card = only(evaluate(_record(case)), case.rule)  # type: ignore[arg-type]
    assert medicines(card) == case.offered
    chosen = [p.medicine.value for r, p in proposals(card) if r]
    assert chosen == ([case.recommended] if case.recommended else [])
    rendered = str([m.params for m in card.explanation])
    named = [c for c in case.medicines if f"product {c.value}" in rendered]
    if "no ciprofloxacin mention" not in case.id:
        assert named, keys(card.explanation)  # the medicine found is named on the card


@pytest.mark.parametrize("cited", P.interactions, ids=lambda c: f"{c.value.drug}+{c.value.medicines}")
def test_every_interaction_rule_renders_its_class_level_and_advice_in_both_languages(cited: Cited[InteractionRule]) -> None:
    rec = replace(record(ADULT), medications=(
        MedicationFact(frozenset({cited.value.medicines}), "Produit", MedicationStatus.ONGOING),))
    found = found_in(cited, "Produit", None, PatientProfile.of(rec, NOW))
    for language in ("fr", "en"):
        assert "Produit" in render_strict(found.message(), language)


# The level the card gives (the Thésaurus of September 2023): a precaution still puts the second line first
LEVELS = [
    (Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL, InteractionLevel.AVOID),  # nevirapine, raltegravir, TAF, zidovudine
    (Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL, InteractionLevel.PRECAUTION),  # efavirenz, maraviroc, dolutegravir
    (Concept.RIFAMPICIN_AVOID_AZOLE, InteractionLevel.AVOID),  # fluconazole among them
    (Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE, InteractionLevel.AVOID),  # statins, ticagrelor, TKIs...
    (Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT, InteractionLevel.PRECAUTION),  # the inducers' class row
    (Concept.VITAMIN_K_ANTAGONIST, InteractionLevel.PRECAUTION),
]


@pytest.mark.parametrize(("concept", "level"), LEVELS, ids=[c.value for c, _ in LEVELS])
def test_the_card_gives_the_level_of_the_interaction(concept: Concept, level: InteractionLevel) -> None:
    rec = replace(record(ADULT), medications=(MedicationFact(frozenset({concept}), "Produit", MedicationStatus.ONGOING),))
    card = only(evaluate(rec), "iim.prophylaxis.second-line")
    found = next(m for m in card.explanation if m.key == "iim.interaction.found")
    assert found.params["level"] == Message.of(f"iim.interaction.level.{level.value}")
    rule = next(r.value for r in P.interactions if r.value.medicines is concept)
    assert (rule.level, rule.action) == (level, InteractionAction.SECOND_LINE_FIRST)


def test_a_contraindication_cites_its_interaction_source() -> None:
    rec = replace(record(ADULT), medications=(
        MedicationFact(frozenset({Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR}), "Rezolsta", MedicationStatus.ONGOING),))
    card = only(evaluate(rec), "iim.prophylaxis.second-line")
    rule = next(r for r in P.interactions if r.value.medicines is Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR)
    reason = next(m for m in card.explanation if m.key == "iim.second-line.contraindicated")
    assert reason.params["reason"].params["medicine"] == "Rezolsta"  # type: ignore[union-attr]
    assert rule.ref in card.guideline or card.guideline  # cited through the contraindication


def test_a_stopped_interacting_medicine_does_not_count() -> None:
    rec = replace(record(ADULT), medications=(
        MedicationFact(frozenset({Concept.RIFAMPICIN_AVOID_ANTICOAGULANT}), "apixaban", MedicationStatus.FINISHED),))
    assert rules_of(evaluate(rec)) == ["iim.prophylaxis.rifampicin"]


def test_the_same_medicine_in_two_lists_is_named_once_with_the_most_severe() -> None:
    both = frozenset({Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR, Concept.RIFAMPICIN_INTERACTING})
    rec = replace(record(ADULT), medications=(MedicationFact(both, "Norvir", MedicationStatus.ONGOING, source_id="M/1"),))
    card = only(evaluate(rec), "iim.prophylaxis.second-line")
    assert keys(card.explanation).count("iim.second-line.contraindicated") == 1


def test_the_contraceptive_advice_names_the_product_and_the_duration() -> None:
    rec = replace(record(born_years_ago(25), sex=Sex.FEMALE), medications=(
        MedicationFact(frozenset({Concept.HORMONAL_CONTRACEPTIVE}), "Optilova", MedicationStatus.ONGOING),))
    card = only(evaluate(rec), "iim.prophylaxis.rifampicin")
    found = next(m for m in card.explanation if m.key == "iim.interaction.found")
    assert found.params["medicine"] == "Optilova"
    assert found.params["advice"].params["days"] == P.contraception_barrier_days_after.value  # type: ignore[union-attr]


def test_two_medicines_of_one_list_make_one_line_and_an_unnamed_one_its_own() -> None:
    caution = frozenset({Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE})
    rec = replace(record(ADULT), medications=tuple(
        MedicationFact(caution, name, MedicationStatus.ONGOING, source_id=f"M/{n}")
        for n, name in enumerate(("LEVOTHYROX 100 microgrammes", "HYDROCORTISONE ROUSSEL 10 mg", ""))))
    card = only(evaluate(rec), "iim.prophylaxis.rifampicin")
    found = [m.params["medicine"] for m in card.explanation if m.key == "iim.interaction.found"]
    assert found == ["LEVOTHYROX 100 microgrammes, HYDROCORTISONE ROUSSEL 10 mg", ""]


# --- order checks: the same lists, the draft orders counted as the patient's medicines ---------------------


def test_a_rifampicin_order_beside_a_draft_protease_inhibitor_is_contraindicated() -> None:
    pi = replace(order(Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR, None), resource_id="draft-2", display="Symtuza")
    card = only(check(record(ADULT), order(Concept.RIFAMPICIN, "600"), pi), "iim.order.contraindicated")
    assert card.indicator is Indicator.CRITICAL
    assert "Symtuza" in str([m.params for m in card.explanation])


def test_a_ceftriaxone_order_for_a_patient_on_a_vitamin_k_antagonist_gets_the_inr_advice() -> None:
    rec = replace(record(ADULT), medications=(
        MedicationFact(frozenset({Concept.VITAMIN_K_ANTAGONIST}), "PREVISCAN", MedicationStatus.ONGOING),))
    card = only(check(rec, order(Concept.CEFTRIAXONE, "250")), "iim.order.interaction")
    assert card.indicator is Indicator.WARNING
    found = next(m for m in card.explanation if m.key == "iim.interaction.found")
    assert (found.params["medicine"], found.params["advice"]) == ("PREVISCAN", Message.of("iim.interaction.do.inr-raised"))


def test_a_rifampicin_order_with_a_current_anticoagulant_gets_the_interaction_card() -> None:
    rec = replace(record(ADULT), medications=(
        MedicationFact(frozenset({Concept.RIFAMPICIN_AVOID_ANTICOAGULANT}), "Eliquis", MedicationStatus.ONGOING),))
    advice = check(rec, order(Concept.RIFAMPICIN, "600"))
    card = only(advice, "iim.order.interaction")
    assert card.indicator is Indicator.WARNING
    assert "Eliquis" in str([m.params for m in card.explanation])
    assert {s.label.key for s in card.suggestions} >= {"iim.suggestion.replace-with"}  # second line offered


def test_a_ciprofloxacin_order_with_tizanidine_is_contraindicated_whatever_it_is_for() -> None:
    rec = replace(record(ADULT, exposures=()), medications=(
        MedicationFact(frozenset({Concept.CIPROFLOXACIN_INTERACTING}), "Sirdalud", MedicationStatus.ONGOING),))
    card = only(check(rec, order(Concept.CIPROFLOXACIN, "500")), "iim.order.contraindicated")
    assert card.indicator is Indicator.CRITICAL


def test_a_draft_interacting_order_while_rifampicin_is_taken() -> None:
    rec = replace(record(ADULT, exposures=()), medications=(
        MedicationFact(frozenset({Concept.RIFAMPICIN}), "Rifadine", MedicationStatus.ONGOING),))
    doac = replace(order(Concept.RIFAMPICIN_AVOID_ANTICOAGULANT, None), display="Xarelto")
    card = only(check(rec, doac), "iim.order.interaction")
    assert "Xarelto" in str([m.params for m in card.explanation])


def test_no_card_for_an_unrelated_order() -> None:
    assert check(record(ADULT, exposures=()), order(Concept.HORMONAL_CONTRACEPTIVE, None)) == ()


# --- the lists meet the products as EHRs code them: ATC class prefixes, combinations, ingredient codes -------

CODES = [
    (ATC, "J05AE10", Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR),  # darunavir, by the J05AE class
    (ATC, "J05AR14", Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR),  # darunavir/cobicistat
    (ATC, "V03AX03", Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR),  # cobicistat alone
    (ATC, "J05AR20", Concept.RIFAMPICIN_CI_ANTIRETROVIRAL),  # bictegravir combination
    (ATC, "J05AG05", Concept.RIFAMPICIN_CI_ANTIRETROVIRAL),  # rilpivirine
    (ATC, "J05AG06", Concept.RIFAMPICIN_CI_ANTIRETROVIRAL),  # doravirine
    (ATC, "P02BA01", Concept.RIFAMPICIN_INTERACTING),  # praziquantel
    (ATC, "J04AK06", Concept.RIFAMPICIN_INTERACTING),  # delamanid
    (ATC, "B01AF02", Concept.RIFAMPICIN_AVOID_ANTICOAGULANT),  # apixaban, by the B01AF class
    (ATC, "B01AC24", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # ticagrelor
    (ATC, "C10BX03", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # atorvastatin/amlodipine
    (ATC, "L01EA01", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # imatinib, a metabolised tyrosine kinase inhibitor
    (ATC, "L01AA01", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # cyclophosphamide, its toxic metabolite raised
    (ATC, "R07AX32", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # ivacaftor/tezacaftor/elexacaftor
    (ATC, "L01XJ03", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # glasdegib, déconseillée with rifampicin
    (ATC, "H03AA01", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # levothyroxine
    (ATC, "H02AB09", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # hydrocortisone
    (ATC, "N03AG01", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # valproic acid
    (ATC, "C09DB01", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # valsartan/amlodipine
    (ATC, "G03HB01", Concept.HORMONAL_CONTRACEPTIVE),  # cyproterone and an estrogen
    (ATC, "B01AA07", Concept.VITAMIN_K_ANTAGONIST),  # acenocoumarol, by the B01AA class
    (RXNORM, "11289", Concept.VITAMIN_K_ANTAGONIST),  # warfarin ingredient
    (ATC, "L04AD02", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # tacrolimus
    (ATC, "L04AH02", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # everolimus (ATC 2024)
    (ATC, "L01EG02", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # everolimus for a cancer
    (ATC, "L01XE10", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # everolimus for a cancer, before 2021
    (ATC, "L01EG01", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # temsirolimus, in the Thésaurus class
    (ATC, "J05AJ01", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # raltegravir
    (ATC, "J05AG01", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # nevirapine
    (ATC, "J05AF13", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # tenofovir alafenamide
    (ATC, "J05AR17", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # emtricitabine/tenofovir alafenamide
    (ATC, "J05AF01", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # zidovudine
    (ATC, "J05AR01", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # zidovudine/lamivudine
    (ATC, "J05AR04", Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL),  # zidovudine/lamivudine/abacavir
    (ATC, "J05AG03", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # efavirenz
    (ATC, "J05AR06", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # emtricitabine/tenofovir disoproxil/efavirenz
    (RXNORM, "195085", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # efavirenz ingredient
    (ATC, "J05AX09", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # maraviroc
    (ATC, "J05AJ03", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # dolutegravir
    (ATC, "J05AX12", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # dolutegravir, before 2021
    (ATC, "J05AR13", Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL),  # abacavir/dolutegravir/lamivudine
    (ATC, "J02AC01", Concept.RIFAMPICIN_AVOID_AZOLE),  # fluconazole
    (ATC, "L01XE39", Concept.RIFAMPICIN_INTERACTING),  # midostaurin, before 2021
    (ATC, "N07BC02", Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION),  # methadone
    (ATC, "G03AA07", Concept.HORMONAL_CONTRACEPTIVE),
    (ATC, "M03BX02", Concept.CIPROFLOXACIN_INTERACTING),  # tizanidine
    (ATC, "N06AX22", Concept.CIPROFLOXACIN_INTERACTING),  # agomelatine
    (ATC, "R03DA04", Concept.CIPROFLOXACIN_CAUTION_CYP1A2_SUBSTRATE),  # theophylline
    (ATC, "C01BD01", Concept.CIPROFLOXACIN_CAUTION_QT_PROLONGING),  # amiodarone, by the C01BD class
    (ATC, "L04AX03", Concept.CIPROFLOXACIN_AVOID_METHOTREXATE),  # methotrexate as an immunosuppressant
    (ATC, "L01BA01", Concept.CIPROFLOXACIN_AVOID_METHOTREXATE),  # methotrexate for a cancer
    (ATC, "A12AX", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # calcium with vitamin D, by its class
    (ATC, "B03AA07", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # ferrous sulfate
    (ATC, "A02AD02", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # magaldrate, an antacid
    (ATC, "V03AE03", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # lanthanum carbonate
    (ATC, "N03AB02", Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN),  # phenytoin
    (ATC, "L02BA01", Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE),  # tamoxifen
    (ATC, "C07FB13", Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE),  # metoprolol/amlodipine
    (ATC, "L01XX32", Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE),  # bortezomib, before 2021
    (ATC, "H02AB07", Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID),  # prednisone
    (ATC, "N06BC01", Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE),
    (ATC, "L04AA06", Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE),
]


def _taking(system: str, code: str) -> PatientRecord:
    """The record of a patient whose one current treatment is coded (system, code)."""
    return build_record("p", [medication_statement("p", system, code)], CodeIndex.load(), NOW)


@pytest.mark.parametrize(("system", "code", "concept"), CODES, ids=[c[1] for c in CODES])
def test_a_product_code_is_read_into_its_interaction_list(system: str, code: str, concept: Concept) -> None:
    assert _taking(system, code).medications_of(concept)


def test_a_product_on_two_lists_is_named_once_at_the_more_severe_level() -> None:
    """Atorvastatin/amlodipine: atorvastatin déconseillée, amlodipine a précaution d'emploi."""
    taking = _taking(ATC, "C10BX03")
    assert taking.medications_of(Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE)
    assert taking.medications_of(Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE)
    card = only(evaluate(replace(record(ADULT), medications=taking.medications)), "iim.prophylaxis.second-line")
    found = [m for m in card.explanation if m.key == "iim.interaction.found"]
    assert [m.params["level"] for m in found] == [Message.of("iim.interaction.level.avoid")]


def test_iron_given_intravenously_does_not_lower_the_absorption_of_ciprofloxacin() -> None:
    assert not _taking(ATC, "B03AC02").medications_of(Concept.CIPROFLOXACIN_CAUTION_ABSORPTION)  # iron sucrose IV


def _second_line_card(*taking: tuple[Concept, str]) -> Advice:
    """The card of an adult allergic to rifamycins (second line) who takes these medicines."""
    rec = replace(record(ADULT, allergies=(Concept.RIFAMYCIN_ALLERGEN,)), medications=tuple(
        MedicationFact(frozenset({concept}), name, MedicationStatus.ONGOING, source_id=f"M/{n}")
        for n, (concept, name) in enumerate(taking)))
    return only(evaluate(rec), "iim.prophylaxis.second-line")


def test_a_calcium_supplement_keeps_ciprofloxacin_with_the_spacing() -> None:
    card = _second_line_card((Concept.CIPROFLOXACIN_CAUTION_ABSORPTION, "CACIT VITAMINE D3"))
    assert CIPRO_TAB in medicines(card)
    found = next(m for m in card.explanation if m.key == "iim.interaction.found")
    assert found.params["medicine"] == "CACIT VITAMINE D3"
    assert found.params["advice"] == Message.of(
        "iim.interaction.do.absorption", hours=P.ciprofloxacin_absorption_spacing_hours.value)


def test_a_vitamin_k_antagonist_gets_the_inr_advice_of_each_antibiotic() -> None:
    """Rifampicin lowers the INR, ciprofloxacin and ceftriaxone raise it: one list, the advice of each drug."""
    card = _second_line_card((Concept.VITAMIN_K_ANTAGONIST, "PREVISCAN"))
    advice = [m.params["advice"] for m in card.explanation if m.key == "iim.interaction.found"]
    assert Message.of("iim.interaction.do.inr-raised") in advice
    drugs = {r.value.drug for r in P.interactions if r.value.medicines is Concept.VITAMIN_K_ANTAGONIST}
    assert drugs == {Concept.RIFAMPICIN, Concept.CIPROFLOXACIN, Concept.CEFTRIAXONE}


def test_vitamin_d_is_on_no_interaction_list() -> None:
    """A précaution d'emploi left out on purpose (docs/clinical-decisions.md 'Interactions')."""
    taking = _taking(ATC, "A11CC05")  # colecalciferol
    assert not any(taking.medications_of(concept) for concept in INTERACTING_MEDICINES)


def test_hydrocortisone_is_not_a_glucocorticoid_of_the_tendinopathy_row() -> None:
    """FLUOROQUINOLONES + GLUCOCORTICOÏDES (SAUF HYDROCORTISONE)."""
    assert not _taking(ATC, "H02AB09").medications_of(Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID)


# The Thésaurus's "à prendre en compte": the antibiotic stays, the interaction is told on the explanation page only
TO_CONSIDER = [
    (Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE, "NOLVADEX 20 mg", "iim.prophylaxis.rifampicin",
     "iim.interaction.do.induction-sensitive-consider"),
    (Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID, "CORTANCYL 20 mg", "iim.prophylaxis.second-line",
     "iim.interaction.do.tendinopathy"),
    (Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE, "PRONTALGINE", "iim.prophylaxis.second-line", "iim.interaction.do.caffeine"),
    (Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE, "CELLCEPT 500 mg", "iim.prophylaxis.second-line",
     "iim.interaction.do.mycophenolate"),
]


@pytest.mark.parametrize(("concept", "name", "rule", "advice"), TO_CONSIDER, ids=[c[1] for c in TO_CONSIDER])
def test_an_interaction_to_be_taken_into_account_is_told_on_the_explanation_page_only(
    concept: Concept, name: str, rule: str, advice: str
) -> None:
    second_line = rule == "iim.prophylaxis.second-line"
    allergies = (Concept.RIFAMYCIN_ALLERGEN,) if second_line else ()
    rec = replace(record(ADULT, allergies=allergies), medications=(
        MedicationFact(frozenset({concept}), name, MedicationStatus.ONGOING, source_id="M/1"),))
    card = only(evaluate(rec), rule)
    assert medicines(card) == ([CIPRO_TAB, CEFTRIAXONE] if second_line else [RIF_CAPS])  # nothing moves
    found = next(m for m in card.explanation if m.key == "iim.interaction.found")
    assert (found.params["medicine"], found.params["advice"]) == (name, Message.of(advice))
    assert found.params["level"] == Message.of("iim.interaction.level.to-consider")
    assert not found.decisive  # the card's column keeps its room for what changes the prescription
    rule_data = next(r.value for r in P.interactions if r.value.medicines is concept)
    assert (rule_data.level, rule_data.action) == (InteractionLevel.TO_CONSIDER, InteractionAction.INFORM)


def test_an_order_with_an_interaction_to_be_taken_into_account_gets_no_warning() -> None:
    rec = replace(record(ADULT), medications=(MedicationFact(
        frozenset({Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID}), "CORTANCYL", MedicationStatus.ONGOING),))
    assert "iim.order.interaction" not in rules_of(check(rec, order(Concept.CIPROFLOXACIN, "500")))
    on_cipro = replace(record(ADULT, exposures=()), medications=(
        MedicationFact(frozenset({Concept.CIPROFLOXACIN}), "CIFLOX", MedicationStatus.ONGOING),))
    assert check(on_cipro, order(Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID, None)) == ()


# Moved to the precaution list, not kept on the list to avoid (a code is on one antiretroviral list only)
MOVED = ["J05AG03", "J05AR06", "J05AX09", "J05AJ03", "J05AX12", "J05AR13", "J05AR25"]


@pytest.mark.parametrize("code", MOVED)
def test_an_antiretroviral_of_the_precaution_list_is_not_on_the_list_to_avoid(code: str) -> None:
    rec = _taking(ATC, code)
    assert rec.medications_of(Concept.RIFAMPICIN_CAUTION_ANTIRETROVIRAL)
    assert not rec.medications_of(Concept.RIFAMPICIN_AVOID_ANTIRETROVIRAL)


def test_a_fixed_combination_is_caught_by_any_of_its_ingredients() -> None:
    """An EHR that codes a combination by its ingredients (one coding each) is read into every list."""
    concept = {"coding": [{"system": ATC, "code": "J05AE10"}, {"system": ATC, "code": "V03AX03"}]}
    statement = {"resourceType": "MedicationStatement", "id": "m", "status": "active",
                 "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": concept}
    rec = build_record("p", [statement], CodeIndex.load(), NOW)
    assert rec.medications_of(Concept.RIFAMPICIN_CI_PROTEASE_INHIBITOR)


def test_every_action_is_used() -> None:
    assert {r.value.action for r in P.interactions} == set(InteractionAction)
    assert Decimal(1)  # keeps the import list honest for mypy
