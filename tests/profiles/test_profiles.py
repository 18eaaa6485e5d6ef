"""The project's conformance resources (prevention_cds/terminology/package/): parsing, ValueSet coverage, code matching, validation."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from fhir.resources.R4B import get_fhir_model_class  # noqa: E402

from prevention_cds import terminology  # noqa: E402
from prevention_cds.rules.advice import Route  # noqa: E402
from prevention_cds.rules.concepts import Concept  # noqa: E402
from prevention_cds.rules.facts import IimSerogroup  # noqa: E402
from prevention_cds.terminology import (  # noqa: E402
    CANONICAL_BASE,
    CONTACT_SETTING_CODESYSTEM,
    EXPOSURE_PROFILE,
    PROJECT_CODESYSTEM,
    SEROGROUP_CODESYSTEM,
    ProjectCode,
)
from prevention_cds.terminology.index import CodeIndex, ValueSetFormatError  # noqa: E402
from prevention_cds.terminology.routes import route_codings  # noqa: E402
from support.profile_validator import profile_urls, validate  # noqa: E402

FOLDER = _ROOT / "prevention_cds" / "terminology" / "package"
EXAMPLES = FOLDER / terminology.EXAMPLE_FOLDER
RESOURCE_FILES = sorted(p for p in FOLDER.glob("*.json") if terminology.is_resource_file(p.name))
EXAMPLE_FILES = sorted(p for p in EXAMPLES.glob("*.json") if terminology.is_resource_file(p.name))
ALL_FILES = RESOURCE_FILES + EXAMPLE_FILES
MEDICATION_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/prophylaxis-medicationrequest"
RECOMMENDATION_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/vaccination-immunizationrecommendation"
EVALUATION_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/vaccination-immunizationevaluation"

OBSERVATION_VALUESETS = {
    "body-weight-observation",
    "pregnancy-status-observation",
    "expected-delivery-date-observation",
    "occupation-observation",
    "pregnant-finding",
    "not-pregnant-finding",
}
PROFILE_VALUESETS = {  # bindings of the project's StructureDefinitions
    "exposure-kind",
    "contact-setting",
    "meningococcal-serogroup",
    "administration-route",
    "immunization-date-criterion",
    "prophylaxis-request-intent",
}
CONTACT_SETTINGS = [
    "household", "family-gathering", "home-childcare", "intimate", "close-friend", "party-or-meal",
    "creche-same-section", "creche-other", "leisure-same-nap-room", "leisure-other", "nursery-class",
    "nursery-other", "school-classroom-neighbour", "boarding-same-room", "university-other",
    "healthcare-airway-unmasked", "healthcare-other", "sport-prolonged-contact", "sport-other",
    "assessed-close-contact", "other-community", "other",
]  # fmt: skip
PROJECT_CODES = [value for name, value in vars(ProjectCode).items() if name.isupper()]


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _example(name: str) -> dict[str, Any]:
    return _load(EXAMPLES / name)


def _valuesets() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in terminology.all_resources() if r["resourceType"] == "ValueSet"}


def _codes(resource: dict[str, Any]) -> list[str]:
    return [c["code"] for c in resource["concept"]]


# ------------------------------------------------------------------------------------------------ files
@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_file_parses_with_its_fhir_resources_model(path: Path) -> None:
    document = _load(path)
    model = get_fhir_model_class(document["resourceType"])
    parsed = model.model_validate(document)
    # nothing dropped or altered by the model (it refuses unknown elements)
    assert json.loads(parsed.model_dump_json(by_alias=True, exclude_none=True)) == document
    assert path.name == f"{document['resourceType']}-{document['id']}.json"


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.name)
def test_conformance_resource_metadata(path: Path) -> None:
    document = _load(path)
    assert document["url"] == f"{CANONICAL_BASE}/{document['resourceType']}/{document['id']}"
    assert document["version"] == "0.1.0"
    assert document["status"] == "draft"
    assert document["publisher"] == "prevention-cds"
    assert document["description"].strip()


def test_package_helpers_see_the_files() -> None:
    assert len(terminology.all_resources()) == len(RESOURCE_FILES)
    assert len(terminology.examples()) == len(EXAMPLE_FILES)
    assert terminology.load("StructureDefinition", "exposure-observation")["url"] == EXPOSURE_PROFILE


# ------------------------------------------------------------------------------------------------ code systems
def test_project_codesystem_has_every_project_code_with_display_and_definition() -> None:
    cs = terminology.load("CodeSystem", "prevention-cds")
    assert cs["url"] == PROJECT_CODESYSTEM
    assert sorted(_codes(cs)) == sorted(PROJECT_CODES)
    assert all(c["display"].strip() and c["definition"].strip() for c in cs["concept"])
    assert cs["count"] == len(cs["concept"])


def test_contact_setting_codesystem_is_exactly_the_agreed_codes() -> None:
    cs = terminology.load("CodeSystem", "contact-setting")
    assert cs["url"] == CONTACT_SETTING_CODESYSTEM
    assert _codes(cs) == CONTACT_SETTINGS
    for concept in cs["concept"]:
        assert concept["display"].strip() and concept["definition"].strip()
        french = [d for d in concept["designation"] if d["language"] == "fr"]
        assert len(french) == 1 and french[0]["value"].strip()


def test_serogroup_codesystem_matches_the_fact_enum() -> None:
    cs = terminology.load("CodeSystem", "meningococcal-serogroup")
    assert cs["url"] == SEROGROUP_CODESYSTEM
    assert _codes(cs) == [s.value for s in IimSerogroup]


def test_binding_valuesets_hold_every_code_of_their_codesystem() -> None:
    valuesets = _valuesets()
    for vs_id, cs_id in [
        ("contact-setting", "contact-setting"),
        ("meningococcal-serogroup", "meningococcal-serogroup"),
    ]:
        include = valuesets[vs_id]["compose"]["include"]
        assert len(include) == 1
        assert include[0]["system"] == f"{CANONICAL_BASE}/CodeSystem/{cs_id}"
        assert [c["code"] for c in include[0]["concept"]] == _codes(terminology.load("CodeSystem", cs_id))
    kinds = valuesets["exposure-kind"]["compose"]["include"][0]
    assert kinds["system"] == PROJECT_CODESYSTEM
    assert [c["code"] for c in kinds["concept"]] == [ProjectCode.IIM_CONTACT, ProjectCode.MEASLES_CONTACT]


# ------------------------------------------------------------------------------------------------ value sets
def test_every_route_of_the_rules_is_named_once_in_the_route_valueset() -> None:
    """fhir_in reads draft-order routes and fhir_out writes its own from this one definition."""
    codings = route_codings()
    assert sorted(codings) == sorted(r.value for r in Route)
    assert len({c["code"] for c in codings.values()}) == len(codings)
    assert all(c["system"] == "http://snomed.info/sct" and c["display"] for c in codings.values())


def test_every_concept_has_a_valueset_and_every_valueset_is_expected() -> None:
    ids = set(_valuesets())
    concepts = {c.value for c in Concept}
    assert concepts <= ids, f"missing ValueSets: {sorted(concepts - ids)}"
    unexpected = ids - concepts - OBSERVATION_VALUESETS - PROFILE_VALUESETS
    assert not unexpected, f"ValueSets matching no Concept: {sorted(unexpected)}"
    assert ids >= OBSERVATION_VALUESETS | PROFILE_VALUESETS


@pytest.mark.parametrize("vs_id", sorted(_valuesets()))
def test_valuesets_use_only_the_two_supported_compose_forms(vs_id: str) -> None:
    includes = _valuesets()[vs_id]["compose"]["include"]
    assert includes
    for include in includes:
        assert set(include) in ({"system", "concept"}, {"system", "filter"})
        if "concept" in include:
            assert include["concept"]
            assert all(set(c) - {"designation"} == {"code", "display"} and c["code"] and c["display"]
                       for c in include["concept"])
        else:
            assert include["system"] in ("http://hl7.org/fhir/sid/icd-10", "http://www.whocc.no/atc")
            assert [set(f) for f in include["filter"]] == [{"property", "op", "value"}]
            assert include["filter"][0]["property"] == "concept" and include["filter"][0]["op"] == "is-a"


def test_contract_codes_are_in_their_valuesets() -> None:
    index = CodeIndex.load()
    sct, atc, cvx, icd, loinc = (
        "http://snomed.info/sct",
        "http://www.whocc.no/atc",
        "http://hl7.org/fhir/sid/cvx",
        "http://hl7.org/fhir/sid/icd-10",
        "http://loinc.org",
    )
    expectations: list[tuple[str, str, str]] = [
        ("mmr-vaccine", cvx, "03"), ("mmr-vaccine", cvx, "94"), ("mmr-vaccine", atc, "J07BD52"),
        ("mmr-vaccine", atc, "J07BD54"), ("mmr-vaccine", sct, "871831003"),
        ("mmr-vaccine", "https://smt.esante.gouv.fr/terminologie-bdpm", "61896473"),
        ("mmrv-vaccine", cvx, "94"), ("menc-vaccine", cvx, "103"), ("menc-vaccine", atc, "J07AH07"),
        ("menacwy-vaccine", cvx, "114"), ("menacwy-vaccine", cvx, "136"), ("menacwy-vaccine", cvx, "203"),
        ("menacwy-vaccine", cvx, "108"), ("menacwy-vaccine", cvx, "147"), ("menacwy-vaccine", atc, "J07AH08"),
        ("menb-vaccine", cvx, "162"), ("menb-vaccine", cvx, "163"), ("menb-vaccine", cvx, "164"),
        ("menb-vaccine", atc, "J07AH09"), ("live-attenuated-vaccine", cvx, "21"),
        ("live-attenuated-vaccine", atc, "J07BK01"), ("live-attenuated-vaccine", cvx, "37"),
        ("live-attenuated-vaccine", atc, "J07BL01"), ("live-attenuated-vaccine", cvx, "03"),
        ("live-attenuated-vaccine", cvx, "94"), ("pregnancy", sct, "77386006"),
        ("severe-immunodeficiency", sct, "234532001"), ("severe-immunodeficiency", sct, "370388006"),
        ("severe-immunodeficiency", icd, "D80"), ("severe-immunodeficiency", icd, "D83.9"),
        ("measles", sct, "14189004"), ("measles", icd, "B05.9"), ("measles-history", sct, "161419000"),
        ("yellow-fever-vaccine", cvx, "37"), ("yellow-fever-vaccine", atc, "J07BL01"),
        ("rubella-history", sct, "36653000"), ("invasive-meningococcal-disease", sct, "23511006"),
        ("invasive-meningococcal-disease", sct, "192644005"), ("invasive-meningococcal-disease", icd, "A39.0"),
        ("body-weight-observation", loinc, "29463-7"), ("body-weight-observation", loinc, "3141-9"),
        ("pregnancy-status-observation", loinc, "82810-3"), ("expected-delivery-date-observation", loinc, "11778-8"),
        ("occupation-observation", loinc, "11341-5"), ("pregnant-finding", sct, "77386006"),
        ("not-pregnant-finding", sct, "60001007"), ("healthcare-professional", sct, "223366009"),
        ("early-childhood-professional", PROJECT_CODESYSTEM, ProjectCode.EARLY_CHILDHOOD_PROFESSIONAL),
        ("rifamycin-allergen", sct, "387159009"), ("rifamycin-allergen", atc, "J04AB02"),
        ("rifamycin-allergen", "http://www.nlm.nih.gov/research/umls/rxnorm", "9384"),
        ("fluoroquinolone-allergen", sct, "372840008"), ("fluoroquinolone-allergen", atc, "J01MA02"),
        ("cephalosporin-allergen", sct, "372670001"), ("cephalosporin-allergen", atc, "J01DD04"),
        ("beta-lactam-allergen", sct, "91936005"), ("beta-lactam-allergen", atc, "J01CA04"),
        ("beta-lactam-allergen", atc, "J01CR02"), ("beta-lactam-allergen", atc, "J01DH02"),
        ("beta-lactam-allergen", atc, "J01DF01"), ("beta-lactam-allergen", sct, "764146007"),
        ("mmr-vaccine-allergen", cvx, "03"), ("anaphylaxis-manifestation", sct, "39579001"),
        ("rifampicin", atc, "J04AB02"), ("rifampicin", "http://www.nlm.nih.gov/research/umls/rxnorm", "9384"),
        ("rifampicin", sct, "387159009"), ("ciprofloxacin", atc, "J01MA02"), ("ceftriaxone", atc, "J01DD04"),
        ("third-generation-cephalosporin", atc, "J01DD04"), ("third-generation-cephalosporin", atc, "J01DD01"),
        ("rifampicin-contraindicated-comedication", atc, "J05AE03"),
        ("rifampicin-contraindicated-comedication", atc, "J05AR10"),
        ("rifampicin-contraindicated-comedication", atc, "P02BA01"),
        ("rifampicin-contraindicated-comedication", atc, "J02AC03"),
        ("hormonal-contraceptive", atc, "G03AA07"), ("normal-human-immunoglobulin", atc, "J06BA02"),
        ("administration-route", sct, "26643006"), ("administration-route", sct, "78421000"),
        ("administration-route", sct, "47625008"), ("administration-route", sct, "34206005"),
        ("immunization-date-criterion", loinc, "30981-5"), ("immunization-date-criterion", loinc, "30980-7"),
        ("immunization-date-criterion", loinc, "59778-1"), ("immunization-date-criterion", loinc, "59777-3"),
    ]  # fmt: skip
    missing = [(vs, system, code) for vs, system, code in expectations if not index.contains(vs, system, code)]
    assert not missing


# ------------------------------------------------------------------------------------------------ CodeIndex
def test_code_index_explicit_codes_and_overlaps() -> None:
    index = CodeIndex.load()
    assert index.valuesets_for("http://hl7.org/fhir/sid/cvx", "03") >= {
        "mmr-vaccine",
        "live-attenuated-vaccine",
        "mmr-vaccine-allergen",
    }
    assert "mmrv-vaccine" not in index.valuesets_for("http://hl7.org/fhir/sid/cvx", "03")
    assert index.valuesets_for("http://hl7.org/fhir/sid/cvx", "94") >= {"mmr-vaccine", "mmrv-vaccine"}
    assert index.valuesets_for("http://snomed.info/sct", "77386006") == {"pregnancy", "pregnant-finding"}
    assert index.valuesets_for("http://snomed.info/sct", "999999999") == frozenset()


def test_code_index_is_a_filters() -> None:
    index = CodeIndex.load()
    icd = "http://hl7.org/fhir/sid/icd-10"
    for code in ("D84", "D84.9", "D849", "d84.9", "D80.0", "D83"):
        assert index.contains("severe-immunodeficiency", icd, code), code
    assert not index.contains("severe-immunodeficiency", icd, "D85")
    assert not index.contains("severe-immunodeficiency", icd, "D8")
    assert index.contains("invasive-meningococcal-disease", icd, "A39")
    assert index.contains("invasive-meningococcal-disease", icd, "A39.2")
    assert not index.contains("invasive-meningococcal-disease", icd, "A38")
    assert index.contains("hormonal-contraceptive", "http://www.whocc.no/atc", "G03AA07")
    assert index.contains("hormonal-contraceptive", "http://www.whocc.no/atc", "G03A")
    assert not index.contains("hormonal-contraceptive", "http://www.whocc.no/atc", "G03BA03")
    assert index.contains("porphyria", icd, "E80.21")  # ICD-10-CM acute intermittent porphyria
    assert not index.contains("porphyria", icd, "E80.4")  # Gilbert syndrome
    assert index.contains("fluoroquinolone-allergen", "http://www.whocc.no/atc", "J01MA12")


def test_code_index_system_aliases() -> None:
    index = CodeIndex.load()
    for atc in ("http://www.whocc.no/atc", "https://smt.esante.gouv.fr/terminologie-atc",
                "urn:oid:2.16.840.1.113883.6.73", "http://www.whocc.no/atc/"):  # fmt: skip
        assert index.contains("rifampicin", atc, "J04AB02"), atc
        assert index.contains("hormonal-contraceptive", atc, "G03AB08"), atc
    for icd in ("https://smt.esante.gouv.fr/terminologie-cim-10", "http://hl7.org/fhir/sid/icd-10-cm"):
        assert index.contains("invasive-meningococcal-disease", icd, "A390"), icd
        assert index.contains("severe-immunodeficiency", icd, "D84.821"), icd
    assert index.contains("pregnancy", "urn:oid:2.16.840.1.113883.6.96", "77386006")
    assert index.contains("pregnancy", "http://snomed.info/sct/", "77386006")
    assert index.contains("mmr-vaccine", "urn:oid:2.16.840.1.113883.12.292", "03")
    assert not index.contains("rifampicin", "http://example.org/atc", "J04AB02")


def test_code_index_cvx_leading_zeros_and_missing_parts() -> None:
    index = CodeIndex.load()
    cvx = "http://hl7.org/fhir/sid/cvx"
    assert index.valuesets_for(cvx, "3") == index.valuesets_for(cvx, "03") == index.valuesets_for(cvx, " 003 ")
    assert index.contains("live-attenuated-vaccine", cvx, "5")
    assert index.valuesets_for(None, "03") == frozenset()
    assert index.valuesets_for(cvx, None) == frozenset()
    assert index.valuesets_for(cvx, "") == frozenset()
    assert not index.contains("mmr-vaccine", "http://snomed.info/sct", "03")  # the system matters


def test_code_index_is_cached_and_lists_valuesets() -> None:
    assert CodeIndex.load() is CodeIndex.load()
    assert set(CodeIndex.load().valueset_ids) == set(_valuesets())
    codings = [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}, {"system": "http://loinc.org"}]
    assert "mmr-vaccine" in CodeIndex.load().valuesets_for_codings(codings)


@pytest.mark.parametrize(
    "compose",
    [
        {"include": [{"system": "http://snomed.info/sct", "valueSet": ["x"]}]},
        {"include": [{"system": "http://snomed.info/sct",
                      "filter": [{"property": "concept", "op": "is-a", "value": "1"}]}]},
        {"include": [{"system": "http://www.whocc.no/atc",
                      "filter": [{"property": "concept", "op": "regex", "value": "G.*"}]}]},
        {"include": [{"system": "http://snomed.info/sct", "concept": []}]},
        {"include": []},
        {"include": [{"system": "http://snomed.info/sct", "concept": [{"code": "1", "display": "x"}]}],
         "exclude": [{"system": "http://snomed.info/sct", "concept": [{"code": "1"}]}]},
    ],
)  # fmt: skip
def test_code_index_refuses_unsupported_compose(compose: dict[str, Any]) -> None:
    with pytest.raises(ValueSetFormatError):
        CodeIndex([{"resourceType": "ValueSet", "id": "bad", "compose": compose}])


# ------------------------------------------------------------------------------------------------ examples
def _profile_of(example: dict[str, Any]) -> str:
    profiles: list[str] = example["meta"]["profile"]
    assert len(profiles) == 1
    return profiles[0]


def test_every_setting_has_an_exposure_example() -> None:
    examples = {e["id"]: e for e in terminology.examples() if e["resourceType"] == "Observation"}
    measles = {"household", "creche-same-section", "home-childcare", "other-community"}
    for setting in CONTACT_SETTINGS:
        example = examples[f"exposure-{setting}"]
        components = {c["code"]["coding"][0]["code"]: c for c in example["component"]}
        assert components[ProjectCode.CONTACT_SETTING]["valueCodeableConcept"]["coding"][0]["code"] == setting
        kind = example["code"]["coding"][0]["code"]
        if setting in measles:
            assert kind == ProjectCode.MEASLES_CONTACT
        else:
            assert kind == ProjectCode.IIM_CONTACT
            assert ProjectCode.SEROGROUP in components
    assert "effectivePeriod" in examples["exposure-iim-period"]
    repeated = {c["code"]["coding"][0]["code"] for c in examples["exposure-iim-repeated-case"]["component"]}
    assert {ProjectCode.REPEATED_CASE, ProjectCode.COMMUNITY_FIRST_CASE, ProjectCode.PRIOR_PROPHYLAXIS_END} <= repeated
    kinds = {e["resourceType"] for e in terminology.examples()}
    assert {"MedicationRequest", "ImmunizationRecommendation"} <= kinds


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_validates_against_its_profile(path: Path) -> None:
    example = _load(path)
    if "profile" not in example.get("meta", {}):
        return  # an example of a base resource (the answers to a Questionnaire): tests/profiles/test_fhir_package.py
    assert validate(example, _profile_of(example)) == []


def test_profiles_are_the_four_expected() -> None:
    assert sorted(profile_urls()) == sorted([EXPOSURE_PROFILE, MEDICATION_PROFILE, RECOMMENDATION_PROFILE,
                                             EVALUATION_PROFILE])
    with pytest.raises(ValueError):
        validate({"resourceType": "Observation"}, f"{CANONICAL_BASE}/StructureDefinition/unknown")


# ------------------------------------------------------------------------------------------------ broken copies
def _component(resource: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in resource["component"] if c["code"]["coding"][0]["code"] == code)
    return found


def _assert_reported(errors: list[str], *fragments: str) -> None:
    assert errors, "the broken copy was accepted"
    joined = "\n".join(errors)
    for fragment in fragments:
        assert fragment in joined, joined


def test_exposure_without_subject_is_reported() -> None:
    broken = _example("Observation-exposure-household.json")
    del broken["subject"]
    _assert_reported(validate(broken, EXPOSURE_PROFILE), "Observation.subject", "at least 1")


def test_exposure_with_a_wrong_serogroup_is_reported() -> None:
    broken = _example("Observation-exposure-intimate.json")
    _component(broken, ProjectCode.SEROGROUP)["valueCodeableConcept"]["coding"][0]["code"] = "Z"
    _assert_reported(validate(broken, EXPOSURE_PROFILE), "meningococcal-serogroup", "|Z")


def test_exposure_other_violations_are_reported() -> None:
    base = _example("Observation-exposure-close-friend.json")

    no_effective = copy.deepcopy(base)
    del no_effective["effectiveDateTime"]
    _assert_reported(validate(no_effective, EXPOSURE_PROFILE), "effective[x]")

    wrong_choice = copy.deepcopy(base)
    wrong_choice["effectiveInstant"] = wrong_choice.pop("effectiveDateTime")
    _assert_reported(validate(wrong_choice, EXPOSURE_PROFILE), "effectiveInstant", "not allowed")

    wrong_kind = copy.deepcopy(base)
    wrong_kind["code"]["coding"][0]["code"] = "flu-contact"
    _assert_reported(validate(wrong_kind, EXPOSURE_PROFILE), "Observation.code", "exposure-kind")

    twice = copy.deepcopy(base)
    twice["component"].append(copy.deepcopy(_component(base, ProjectCode.CONTACT_SETTING)))
    _assert_reported(validate(twice, EXPOSURE_PROFILE), "contactSetting", "at most 1")

    wrong_value_type = copy.deepcopy(base)
    setting = _component(wrong_value_type, ProjectCode.CONTACT_SETTING)
    del setting["valueCodeableConcept"]
    setting["valueBoolean"] = True
    _assert_reported(validate(wrong_value_type, EXPOSURE_PROFILE), "valueBoolean", "not allowed")

    unknown_setting = copy.deepcopy(base)
    _component(unknown_setting, ProjectCode.CONTACT_SETTING)["valueCodeableConcept"]["coding"][0]["code"] = "bus"
    _assert_reported(validate(unknown_setting, EXPOSURE_PROFILE), "contact-setting")

    focus_on_encounter = copy.deepcopy(base)
    focus_on_encounter["focus"] = [{"reference": "Encounter/1"}]
    _assert_reported(validate(focus_on_encounter, EXPOSURE_PROFILE), "Condition or Patient")

    subject_group = copy.deepcopy(base)
    subject_group["subject"] = {"reference": "Group/1"}
    _assert_reported(validate(subject_group, EXPOSURE_PROFILE), "Observation.subject", "Patient")

    missing_value = copy.deepcopy(base)
    del _component(missing_value, ProjectCode.SEROGROUP)["valueCodeableConcept"]
    _assert_reported(validate(missing_value, EXPOSURE_PROFILE), "value[x]", "at least 1")

    not_an_observation = copy.deepcopy(base)
    not_an_observation["resourceType"] = "Condition"
    _assert_reported(validate(not_an_observation, EXPOSURE_PROFILE), "resourceType")


def test_exposure_extra_components_are_allowed() -> None:
    extended = _example("Observation-exposure-household.json")
    extended["component"].append({"code": {"text": "free-text detail"}, "valueString": "dinner on Sunday"})
    assert validate(extended, EXPOSURE_PROFILE) == []
    absolute = _example("Observation-exposure-household.json")
    absolute["subject"] = {"reference": "https://ehr.example.org/fhir/Patient/42"}
    assert validate(absolute, EXPOSURE_PROFILE) == []


def test_recommendation_with_a_wrong_forecast_status_is_reported() -> None:
    broken = _example("ImmunizationRecommendation-ror-catch-up.json")
    broken["recommendation"][0]["forecastStatus"]["coding"][0]["code"] = "maybe"
    _assert_reported(validate(broken, RECOMMENDATION_PROFILE), "forecastStatus", "|maybe")


def test_recommendation_other_violations_are_reported() -> None:
    base = _example("ImmunizationRecommendation-ror-catch-up.json")

    no_authority = copy.deepcopy(base)
    del no_authority["authority"]
    _assert_reported(validate(no_authority, RECOMMENDATION_PROFILE), "authority")

    no_recommendation = copy.deepcopy(base)
    no_recommendation["recommendation"] = []
    _assert_reported(validate(no_recommendation, RECOMMENDATION_PROFILE), "recommendation", "at least 1")

    second = copy.deepcopy(base["recommendation"][0])
    del second["targetDisease"]
    second["dateCriterion"][0]["code"]["coding"][0]["code"] = "12345-6"
    two = copy.deepcopy(base)
    two["recommendation"].append(second)
    errors = validate(two, RECOMMENDATION_PROFILE)
    _assert_reported(errors, "recommendation[1].targetDisease", "immunization-date-criterion")
    assert not any("recommendation[0]" in e for e in errors)

    string_dose = copy.deepcopy(base)
    del string_dose["recommendation"][0]["doseNumberPositiveInt"]
    string_dose["recommendation"][0]["doseNumberString"] = "second"
    _assert_reported(validate(string_dose, RECOMMENDATION_PROFILE), "doseNumberString", "not allowed")

    two_vaccine_codes = copy.deepcopy(base)
    two_vaccine_codes["recommendation"][0]["vaccineCode"].append({"text": "ROR"})
    _assert_reported(validate(two_vaccine_codes, RECOMMENDATION_PROFILE), "vaccineCode", "at most 1")


def test_medication_request_without_mg_system_is_reported() -> None:
    broken = _example("MedicationRequest-prophylaxis-rifampicin-child.json")
    del broken["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["system"]
    _assert_reported(validate(broken, MEDICATION_PROFILE), "doseQuantity.system", "at least 1")
    wrong_system = _example("MedicationRequest-prophylaxis-rifampicin-child.json")
    wrong_system["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["system"] = "http://example.org/units"
    _assert_reported(validate(wrong_system, MEDICATION_PROFILE), "http://unitsofmeasure.org")


def test_medication_request_other_violations_are_reported() -> None:
    base = _example("MedicationRequest-prophylaxis-rifampicin-child.json")

    active = copy.deepcopy(base)
    active["status"] = "active"
    _assert_reported(validate(active, MEDICATION_PROFILE), "MedicationRequest.status", "'draft'")

    plan = copy.deepcopy(base)
    plan["intent"] = "plan"
    _assert_reported(validate(plan, MEDICATION_PROFILE), "MedicationRequest.intent", "'plan'")

    order = copy.deepcopy(base)
    order["intent"] = "order"
    assert validate(order, MEDICATION_PROFILE) == []

    no_text = copy.deepcopy(base)
    del no_text["medicationCodeableConcept"]["text"]
    _assert_reported(validate(no_text, MEDICATION_PROFILE), "medicationCodeableConcept.text")

    by_reference = copy.deepcopy(base)
    del by_reference["medicationCodeableConcept"]
    by_reference["medicationReference"] = {"reference": "Medication/1"}
    _assert_reported(validate(by_reference, MEDICATION_PROFILE), "medicationReference", "not allowed")

    no_route = copy.deepcopy(base)
    del no_route["dosageInstruction"][0]["route"]
    _assert_reported(validate(no_route, MEDICATION_PROFILE), "dosageInstruction.route", "at least 1")

    rectal = copy.deepcopy(base)
    rectal["dosageInstruction"][0]["route"]["coding"][0]["code"] = "37161004"
    _assert_reported(validate(rectal, MEDICATION_PROFILE), "administration-route")

    second_dosage = copy.deepcopy(base)
    second_dosage["dosageInstruction"].append({"route": base["dosageInstruction"][0]["route"]})
    _assert_reported(
        validate(second_dosage, MEDICATION_PROFILE),
        "dosageInstruction[1].text",
        "dosageInstruction[1].timing",
    )

    no_dosage = copy.deepcopy(base)
    del no_dosage["dosageInstruction"]
    _assert_reported(validate(no_dosage, MEDICATION_PROFILE), "dosageInstruction", "at least 1")

    no_authored = copy.deepcopy(base)
    del no_authored["authoredOn"]
    _assert_reported(validate(no_authored, MEDICATION_PROFILE), "authoredOn")
