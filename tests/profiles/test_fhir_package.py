"""The FHIR package (prevention_cds/terminology/package/): its manifest, index and ImplementationGuide in step with
its files, every canonical URL resolvable within it, the Questionnaires' extraction definitions, the answers
examples, and every resource loaded into a real FHIR server."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import FROZEN_NOW
from fhir_server_harness import MedplumServer
from prevention_cds import terminology
from prevention_cds.app.fhir_api import extract_exposure
from prevention_cds.fhir_in.questionnaire_response import (
    ANSWER_TYPES,
    extraction_profile,
    questionnaire_items,
    questionnaires,
)
from prevention_cds.fhir_in.record import build_record
from prevention_cds.fhir_out.extraction import ExtractionError, extracted_resource
from prevention_cds.terminology import CANONICAL_BASE, EXPOSURE_PROFILE, ProjectCode, package_listing
from prevention_cds.terminology.index import CodeIndex
from support.emitted import resource_problems

PACKAGE = package_listing.PACKAGE
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
# the builder itself, not the suite's validating wrapper (support/emitted.py): one value alone is not a resource
write_values = inspect.unwrap(extracted_resource)
EVERYTHING = terminology.all_resources() + terminology.examples()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _english(owner: Mapping[str, Any], member: str) -> str:
    """The English translation of ``owner[member]`` (exactly one)."""
    translations = [e for e in owner[f"_{member}"]["extension"] if e["url"] == TRANSLATION]
    english = [t for t in translations if {"url": "lang", "valueCode": "en"} in t["extension"]]
    assert len(english) == 1, (member, owner)
    content = next(p["valueString"] for p in english[0]["extension"] if p["url"] == "content")
    assert content.strip()
    return str(content)


# ------------------------------------------------------------------------------------------------ manifest
def test_package_json_describes_the_package() -> None:
    manifest = terminology.package_manifest()
    assert manifest["name"] == "prevention-cds.fhir" and manifest["type"] == "fhir.ig"
    assert manifest["canonical"] == CANONICAL_BASE and manifest["fhirVersions"] == ["4.0.1"]
    assert manifest["dependencies"]["hl7.fhir.r4.core"] == "4.0.1"
    assert {r["version"] for r in terminology.all_resources()} == {manifest["version"]}
    assert manifest["license"] == "Apache-2.0" and manifest["description"].strip()


def test_the_implementation_guide_lists_every_resource_and_example() -> None:
    guide = terminology.load("ImplementationGuide", "prevention-cds")
    manifest = terminology.package_manifest()
    assert (guide["packageId"], guide["version"], guide["fhirVersion"]) == (
        manifest["name"], manifest["version"], manifest["fhirVersions"])
    depends = {d["packageId"]: d["version"] for d in guide["dependsOn"]}
    assert depends == {k: v for k, v in manifest["dependencies"].items() if k != "hl7.fhir.r4.core"}
    assert guide["definition"]["resource"] == package_listing.guide_resources(), (
        "run: python -m prevention_cds.terminology.package_listing")


@pytest.mark.parametrize("folder", [PACKAGE, PACKAGE / terminology.EXAMPLE_FOLDER], ids=["package", "example"])
def test_each_folder_index_lists_its_files(folder: Path) -> None:
    shipped = json.loads((folder / ".index.json").read_text(encoding="utf-8"))
    assert shipped == package_listing.folder_index(folder), (
        "run: python -m prevention_cds.terminology.package_listing")


def test_every_reference_of_the_examples_resolves_within_them() -> None:
    present = {f"{r['resourceType']}/{r['id']}" for r in terminology.examples()}
    references = {
        value["reference"] for r in terminology.examples() for value in _objects(r)
        if isinstance(value.get("reference"), str)
    }
    assert references and references <= present, sorted(references - present)


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def test_ids_are_unique_per_type() -> None:
    keys = [(r["resourceType"], r["id"]) for r in EVERYTHING]
    assert len(keys) == len(set(keys))


# ------------------------------------------------------------------------------------------------ canonicals
def test_every_canonical_of_the_project_resolves_within_the_package() -> None:
    urls = {r["url"] for r in terminology.all_resources()}
    referenced = {s for r in EVERYTHING for s in _strings(r) if s.startswith(CANONICAL_BASE)}
    assert referenced
    unresolved = sorted(s for s in referenced if s.partition("#")[0].partition("|")[0] not in urls)
    assert not unresolved


def test_every_element_a_definition_names_exists_in_its_profile() -> None:
    for questionnaire in questionnaires().values():
        profile = extraction_profile(questionnaire)
        assert profile == EXPOSURE_PROFILE
        definitions: list[tuple[str, str | None]] = [
            (i["definition"], ANSWER_TYPES[i["type"]][1]) for i in questionnaire_items(questionnaire)
            if "definition" in i]
        definitions += [(e["extension"][0]["valueUri"], None) for e in questionnaire["extension"]
                        if e["url"].endswith("definitionExtractValue")]
        assert len(definitions) > 4
        for definition, value_type in definitions:
            url, _, element = definition.partition("#")
            assert url == profile
            sample = {"Coding": {"system": "urn:x", "code": "x"}, "boolean": True}.get(value_type or "", "2026-01-01")
            try:
                write_values(profile, [(element, value_type, sample)])
            except ExtractionError as exc:
                pytest.fail(f"{questionnaire['id']}: {definition}: {exc}")


def test_a_definition_to_no_element_is_refused() -> None:
    for element in ("Observation.nothing", "Observation.status.child", "Observation.value[x]"):
        with pytest.raises(ExtractionError):
            write_values(EXPOSURE_PROFILE, [(element, None, "x")])


# ------------------------------------------------------------------------------------------------ Questionnaires
@pytest.mark.parametrize("code", [ProjectCode.IIM_CONTACT, ProjectCode.MEASLES_CONTACT])
def test_each_exposure_kind_has_its_questionnaire(code: str) -> None:
    questionnaire = questionnaires()[terminology.questionnaire_url(code)]
    assert questionnaire["id"] == code and questionnaire["language"] == "fr"
    fixed_code = next(e for e in questionnaire["extension"] if e["url"].endswith("definitionExtractValue")
                      and e["extension"][0]["valueUri"].endswith("#Observation.code"))
    coding = fixed_code["extension"][1]["valueCodeableConcept"]["coding"][0]
    assert CodeIndex.load().contains("exposure-kind", coding["system"], coding["code"]) and coding["code"] == code
    assert _english(questionnaire, "title") and _english(questionnaire, "description")
    with pytest.raises(ValueError):
        terminology.questionnaire_url("flu-contact")


@pytest.mark.parametrize("questionnaire", list(questionnaires().values()), ids=lambda q: str(q["id"]))
def test_every_label_is_french_with_its_english_translation(questionnaire: dict[str, Any]) -> None:
    codesystems = {r["url"]: r for r in terminology.all_resources() if r["resourceType"] == "CodeSystem"}
    for item in questionnaire_items(questionnaire):
        assert item["text"].strip() and _english(item, "text") != item["text"]
        for option in item.get("answerOption", ()):
            coding = option["valueCoding"]
            concept = next(c for c in codesystems[coding["system"]]["concept"] if c["code"] == coding["code"])
            french = next(d["value"] for d in concept["designation"] if d["language"] == "fr")
            assert coding["display"] == french
            assert _english(coding, "display") == concept["display"]


# ------------------------------------------------------------------------------------------------ answers examples
RESPONSES = [e for e in terminology.examples() if e["resourceType"] == "QuestionnaireResponse"]


def test_each_questionnaire_has_an_answers_example() -> None:
    assert {r["questionnaire"] for r in RESPONSES} == set(questionnaires())


@pytest.mark.parametrize("answers", RESPONSES, ids=lambda r: str(r["id"]))
def test_each_answers_example_extracts_to_a_valid_exposure(answers: dict[str, Any]) -> None:
    observation = extract_exposure(answers, FROZEN_NOW)
    assert resource_problems(observation) == []


def test_the_iim_answers_example_states_what_the_repeated_case_example_states() -> None:
    """The same exposure captured with the form and written by hand: the same fact for the rules."""
    (answers,) = [r for r in RESPONSES if r["id"] == "iim-contact-nursery-class"]
    extracted = extract_exposure(answers, FROZEN_NOW)
    written = terminology.load_example("Observation", "exposure-iim-repeated-case")
    (from_form,) = build_record("example-contact", [extracted], now=FROZEN_NOW).exposures
    (by_hand,) = build_record("example-contact", [written], now=FROZEN_NOW).exposures
    ignored = {"source_id", "first_contact"}  # the form also asks when the exposure began
    assert {k: v for k, v in vars(from_form).items() if k not in ignored} == {
        k: v for k, v in vars(by_hand).items() if k not in ignored}


# ------------------------------------------------------------------------------------------------ a real server
@pytest.mark.integration
def test_every_resource_and_example_loads_into_a_fhir_server(fhir_server: MedplumServer) -> None:
    for resource in EVERYTHING:  # one PUT each: the server caps the updates of one transaction
        path = f"{fhir_server.base_url}/{resource['resourceType']}/{resource['id']}"
        stored = requests.put(path, json=resource, headers={"Content-Type": "application/fhir+json"}, timeout=30)
        assert stored.status_code in (200, 201), (path, stored.text[:300])
        read = requests.get(path, timeout=30)
        assert read.status_code == 200 and read.json()["id"] == resource["id"], path
