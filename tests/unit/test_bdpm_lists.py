"""French products in the ValueSets (``terminology/bdpm_lists.py``): the generator on a small BDPM of its own
(which products a list holds: substance as a whole word, salts, route, a partner substance, products named or
excluded, homeopathy; what a second run leaves), then the shipped ValueSets read through the record builder (a
product a French record codes by CIS or CIP13 alone meets its interaction list; a collyre or a DIU does not)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_factory import immunization, medication_statement, patient
from prevention_cds.fhir_in.record import build_record
from prevention_cds.rules.concepts import Concept
from prevention_cds.terminology.bdpm_lists import GENERATED, read_bdpm, read_lists, with_products, write
from prevention_cds.terminology.index import BDPM, CIP_UCD, CodeIndex

PACKAGE = Path(__file__).resolve().parents[2] / "prevention_cds" / "terminology" / "package"

CIS = [  # CIS, name, form, routes (the BDPM's CIS_bdpm.txt columns 1-4)
    ("60000001", "METHADONE TEST 10 mg, gélule", "gélule", "orale"),
    ("60000002", "CICLO TEST 1 mg/mL, collyre", "collyre", "ophtalmique"),
    ("60000003", "CICLO TEST 100 mg, capsule molle", "capsule molle", "orale"),
    ("60000004", "PILULE TEST, comprimé", "comprimé", "orale"),
    ("60000005", "ESTRA TEST 2 mg, comprimé", "comprimé", "orale"),
    ("60000006", "DIENO TEST 2 mg, comprimé", "comprimé", "orale"),
    ("60000007", "DIENO COMBI TEST, comprimé", "comprimé", "orale"),
    ("60000008", "DIU TEST 52 mg, dispositif intra-utérin", "dispositif", "intra-utérine"),
    ("60000009", "HOMEO TEST, granules", "granules", "orale"),
    ("60000010", "THS TEST, comprimé", "comprimé", "orale"),
    ("60000011", "INJECTION TEST 150 mg", "suspension injectable", "intramusculaire"),
]
COMPO = [  # CIS, form, substance code, substance name (CIS_COMPO_bdpm.txt columns 1-4)
    ("60000001", "gélule", "1", "CHLORHYDRATE DE MÉTHADONE"),
    ("60000002", "collyre", "2", "CICLOSPORINE"),
    ("60000003", "capsule", "2", "CICLOSPORINE"),
    ("60000004", "comprimé", "3", "ÉTHINYLESTRADIOL"),
    ("60000004", "comprimé", "4", "LÉVONORGESTREL"),
    ("60000005", "comprimé", "5", "ESTRADIOL"),
    ("60000006", "comprimé", "6", "DIÉNOGEST"),
    ("60000007", "comprimé", "6", "DIÉNOGEST"),
    ("60000007", "comprimé", "5", "VALÉRATE D'ESTRADIOL"),
    ("60000008", "dispositif", "4", "LÉVONORGESTREL"),
    ("60000009", "granules", "2", "CICLOSPORINE POUR PRÉPARATIONS HOMÉOPATHIQUES"),
    ("60000010", "comprimé", "4", "LÉVONORGESTREL"),
    ("60000011", "suspension", "7", "ACÉTATE DE MÉDROXYPROGESTÉRONE"),
]
SPEC: dict[str, Any] = {
    "routes": {"systemic": ["orale", "intramusculaire"], "any": []},
    "valuesets": {
        "opioid": {"routes": "systemic", "substances": ["METHADONE"]},
        "immunosuppressant": {"routes": "systemic", "substances": ["CICLOSPORINE"]},
        "immunosuppressant-allergen": {"routes": "any", "substances": ["CICLOSPORINE"]},
        "contraceptive": {"routes": "systemic", "substances": ["ETHINYLESTRADIOL", "LEVONORGESTREL"],
                          "only_with": {"DIENOGEST": ["ESTRADIOL", "ETHINYLESTRADIOL"]},
                          "products": {"60000011": "the contraceptive injection"},
                          "excluded": {"60000010": "a hormone replacement"}},
    },
}


def _bdpm(folder: Path) -> Path:
    folder.mkdir()
    (folder / "CIS_bdpm.txt").write_text(
        "".join(f"{cis}\t{name}\t{form}\t{routes}\tAutorisation active\n" for cis, name, form, routes in CIS),
        encoding="utf-8")
    # the composition in the BDPM's older encoding, as it has been published
    (folder / "CIS_COMPO_bdpm.txt").write_bytes("".join(
        f"{cis}\t{form}\t{code}\t{name}\t10 mg\tun comprimé\tSA\t1\r\n" for cis, form, code, name in COMPO
    ).encode("cp1252"))
    (folder / "CIS_CIP_bdpm.txt").write_text(
        "60000001\t1234567\tplaquette de 7\tPrésentation active\tDéclaration de commercialisation\t01/01/2020"
        "\t3400900000017\toui\n", encoding="utf-8")
    return folder


def _lists(tmp_path: Path) -> dict[str, Any]:
    spec = tmp_path / "substances.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    products = read_bdpm(_bdpm(tmp_path / "bdpm"))
    return {pl.valueset: {p.cis for p in products if pl.holds(p)} for pl in read_lists(spec)}


def test_a_list_holds_the_products_of_its_substances_by_its_routes(tmp_path: Path) -> None:
    held = _lists(tmp_path)
    assert held["opioid"] == {"60000001"}  # a salt, written the other way round, accents and all
    assert held["immunosuppressant"] == {"60000003"}  # not the collyre, not the homeopathic granules
    assert held["immunosuppressant-allergen"] == {"60000002", "60000003"}  # an allergy: any route
    # the pill and the combined dienogest, the injection named; not estradiol alone, dienogest alone, the DIU, the
    # hormone replacement excluded
    assert held["contraceptive"] == {"60000004", "60000007", "60000011"}


def test_the_includes_are_written_again_and_the_others_kept(tmp_path: Path) -> None:
    products = [p for p in read_bdpm(_bdpm(tmp_path / "bdpm")) if p.cis == "60000001"]
    valueset: dict[str, Any] = {"resourceType": "ValueSet", "description": "Methadone.", "compose": {"include": [
        {"system": "http://www.whocc.no/atc", "concept": [{"code": "N07BC02", "display": "methadone"}]},
        {"system": BDPM, "concept": [{"code": "69999999", "display": "an old product"}]},
    ]}}
    once = with_products(valueset, products, "1 January 2026")
    twice = with_products(once, products, "1 January 2026")
    assert once == twice
    systems = [i["system"] for i in twice["compose"]["include"]]
    assert systems == ["http://www.whocc.no/atc", BDPM, CIP_UCD]
    assert twice["compose"]["include"][1]["concept"] == [{"code": "60000001", "display": CIS[0][1]}]
    assert twice["compose"]["include"][2]["concept"][0]["code"] == "3400900000017"
    assert twice["description"].count(GENERATED) == 1 and twice["description"].startswith("Methadone.")
    assert with_products(valueset, [], "1 January 2026")["compose"]["include"] == valueset["compose"]["include"][:1]


def test_write_returns_what_each_valueset_holds(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "ValueSet-opioid.json").write_text(json.dumps(
        {"resourceType": "ValueSet", "id": "opioid", "description": "x", "compose": {"include": []}}), encoding="utf-8")
    spec = tmp_path / "substances.json"
    spec.write_text(json.dumps({**SPEC, "valuesets": {"opioid": SPEC["valuesets"]["opioid"]}}), encoding="utf-8")
    counts = write(read_bdpm(_bdpm(tmp_path / "bdpm")), read_lists(spec), "1 January 2026", package)
    assert counts == {"opioid": 1}


# --- the shipped ValueSets ---------------------------------------------------------------------------------------

def test_every_listed_valueset_holds_french_products_with_names() -> None:
    for product_list in read_lists():
        valueset = json.loads((PACKAGE / f"ValueSet-{product_list.valueset}.json").read_text(encoding="utf-8"))
        french = [i for i in valueset["compose"]["include"] if i["system"] == BDPM]
        assert len(french) <= 1 and GENERATED in valueset["description"], product_list.valueset
        for concept in french[0]["concept"] if french else ():
            assert len(concept["code"]) == 8 and concept["code"].isdigit() and concept["display"].strip()


SHIPPED = [  # a product of each kind, by CIS (and one box by CIP13), and what it must be read as
    (BDPM, "62844771", Concept.RIFAMPICIN_CI_ANTIRETROVIRAL),  # BIKTARVY 50/200/25 mg
    (BDPM, "61902218", Concept.RIFAMPICIN_AVOID_ANTICOAGULANT),  # ELIQUIS 5 mg
    (BDPM, "61958462", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # BRILIQUE 90 mg (ticagrelor)
    (BDPM, "69902323", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # TAHOR 20 mg (atorvastatin)
    (BDPM, "60914025", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # DUROGESIC 25 µg/h, a fentanyl patch
    (BDPM, "68416845", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # LEVOTHYROX 100 µg
    (BDPM, "64124103", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # HYDROCORTISONE ROUSSEL 10 mg
    (BDPM, "60184188", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # DEPAKINE 500 mg (valproate)
    (BDPM, "61383937", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # CACIT VITAMINE D3 500 mg/1000 UI
    (BDPM, "68269288", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # TARDYFERON 80 mg
    (BDPM, "66303560", Concept.CIPROFLOXACIN_CAUTION_PHENYTOIN),  # DI-HYDAN 100 mg
    (BDPM, "60328432", Concept.RIFAMPICIN_CONSIDER_INDUCTION_SENSITIVE),  # NOLVADEX 20 mg (tamoxifen)
    (BDPM, "62390849", Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID),  # CORTANCYL 20 mg (prednisone)
    (BDPM, "61644230", Concept.CIPROFLOXACIN_CONSIDER_CAFFEINE),  # PRONTALGINE (paracetamol, codeine, caffeine)
    (BDPM, "62173094", Concept.CIPROFLOXACIN_CONSIDER_MYCOPHENOLATE),  # CELLCEPT 500 mg
    (BDPM, "68945058", Concept.RIFAMPICIN_CAUTION_OPIOID_SUBSTITUTION),  # SUBUTEX 8 mg
    (BDPM, "62429736", Concept.HORMONAL_CONTRACEPTIVE),  # DEPO PROVERA 150 mg/3 mL
    (BDPM, "67218369", Concept.CIPROFLOXACIN_INTERACTING),  # VALDOXAN 25 mg (agomelatine)
    (CIP_UCD, "3400939433059", Concept.CIPROFLOXACIN_INTERACTING),  # a box of VALDOXAN
    (BDPM, "62791557", Concept.CEFTRIAXONE),  # CEFTRIAXONE ZENTIVA 500 mg/2 ml
]
NOT_READ = [
    (BDPM, "65881230", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # IKERVIS, ciclosporin eye drops
    (BDPM, "63213392", Concept.RIFAMPICIN_AVOID_IMMUNOSUPPRESSANT),  # PROTOPIC, tacrolimus ointment
    (BDPM, "60557096", Concept.RIFAMPICIN_AVOID_AZOLE),  # KETODERM, ketoconazole cream
    (BDPM, "68279528", Concept.RIFAMPICIN_AVOID_INDUCTION_SENSITIVE),  # OPZELURA, ruxolitinib cream
    (BDPM, "65773258", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # PULMICORT, inhaled budesonide
    (BDPM, "60960624", Concept.CIPROFLOXACIN_CAUTION_ABSORPTION),  # FERINJECT, intravenous iron
    (BDPM, "67487622", Concept.RIFAMPICIN_CAUTION_INDUCTION_SENSITIVE),  # FLORGYNAL, a vaginal flora product
    (BDPM, "66349230", Concept.HORMONAL_CONTRACEPTIVE),  # MIRENA, a levonorgestrel DIU
    (BDPM, "61944313", Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID),  # DELIPROCT, a rectal ointment
    (BDPM, "61065315", Concept.CIPROFLOXACIN_CONSIDER_GLUCOCORTICOID),  # ENTOCORT, budesonide acting in the gut
]


@pytest.mark.parametrize(("system", "code", "concept"), SHIPPED, ids=[c for _, c, _ in SHIPPED])
def test_a_french_product_coded_alone_meets_its_list(system: str, code: str, concept: Concept) -> None:
    record = build_record("p1", [patient(), medication_statement("p1", system, code)], CodeIndex.load())
    assert record.medications_of(concept), code


@pytest.mark.parametrize(("system", "code", "concept"), NOT_READ, ids=[c for _, c, _ in NOT_READ])
def test_a_product_that_does_not_reach_the_blood_is_not_on_the_list(system: str, code: str, concept: Concept) -> None:
    record = build_record("p1", [patient(), medication_statement("p1", system, code)], CodeIndex.load())
    assert not record.medications_of(concept), code


def test_a_product_the_record_does_not_name_is_named_as_the_bdpm_names_it() -> None:
    unnamed = medication_statement("p1", BDPM, "61958462", text=None)  # BRILIQUE 90 mg, by its CIS alone
    named = medication_statement("p1", BDPM, "69902323", text="Tahor 20")
    record = build_record("p1", [patient(), unnamed, named], CodeIndex.load())
    (ticagrelor,) = [m for m in record.medications if m.source_id == f"MedicationStatement/{unnamed['id']}"]
    assert ticagrelor.display == "BRILIQUE 90 mg, comprimé pelliculé"
    assert {m.display for m in record.medications} == {"BRILIQUE 90 mg, comprimé pelliculé", "Tahor 20"}  # text wins


def test_an_unnamed_vaccine_dose_keeps_no_name_for_the_card_to_word() -> None:
    """A vaccine's card words an unnamed dose by its kind, in the card's language ("ROR"): a ValueSet's display,
    in English for the CVX codes, would not read better."""
    dose = immunization("p1", "64269668", "2020-01-06", system=BDPM)  # M-M-RVaxPro, by its CIS alone
    record = build_record("p1", [patient(), dose], CodeIndex.load())
    assert [d.display for d in record.vaccine_doses] == [""]
