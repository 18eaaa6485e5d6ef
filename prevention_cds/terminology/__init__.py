"""The project's FHIR conformance resources (StructureDefinitions, CodeSystems, ValueSets, Questionnaires, the
ImplementationGuide, examples), shipped as a FHIR package.

``package/`` is the ``package`` folder of a FHIR NPM package: ``package.json`` (its manifest), ``.index.json``,
files named ``<ResourceType>-<id>.json``, examples under ``package/example/`` (``package_listing.py`` keeps the
manifest files in step with the resources). The canonical URLs and the project's own codes are defined here once.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

CANONICAL_BASE = "https://prevention-cds.github.io/fhir"

# CodeSystem of the project's own concepts (exposure kinds, exposure components, occupations, a designation use)
PROJECT_CODESYSTEM = f"{CANONICAL_BASE}/CodeSystem/prevention-cds"
CONTACT_SETTING_CODESYSTEM = f"{CANONICAL_BASE}/CodeSystem/contact-setting"
SEROGROUP_CODESYSTEM = f"{CANONICAL_BASE}/CodeSystem/meningococcal-serogroup"
EXPOSURE_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/exposure-observation"
EXAMPLE_FOLDER = "example"  # FHIR NPM package layout


class ProjectCode:
    """Codes of PROJECT_CODESYSTEM."""

    IIM_CONTACT = "iim-contact"  # Observation.code: contact of an invasive meningococcal infection
    MEASLES_CONTACT = "measles-contact"  # Observation.code: contact of a measles case
    CONTACT_SETTING = "contact-setting"  # component, valueCodeableConcept from CONTACT_SETTING_CODESYSTEM
    SEROGROUP = "iim-serogroup"  # component, valueCodeableConcept from SEROGROUP_CODESYSTEM
    RIFAMPICIN_RESISTANT = "rifampicin-resistant-strain"  # component, valueBoolean
    REPEATED_CASE = "repeated-case-in-community"  # component, valueBoolean
    COMMUNITY_FIRST_CASE = "community-first-case-date"  # component, valueDateTime
    PRIOR_PROPHYLAXIS_END = "prior-prophylaxis-end-date"  # component, valueDateTime
    CASE_FIRST_EFFECTIVE_ANTIBIOTIC = "index-case-first-effective-antibiotic"  # component, valueDateTime
    CASE_CONFIRMED = "index-case-confirmed"  # component, valueBoolean (measles: biologically confirmed)
    EARLY_CHILDHOOD_PROFESSIONAL = "early-childhood-professional"  # occupation (LOINC 11341-5 value)
    SERVICE_NAME = "service-name"  # designation use: the name the rules give a ValueSet's code (routes)


def questionnaire_url(exposure_code: str) -> str:
    """The canonical URL of the Questionnaire that captures an exposure of this kind (``ProjectCode.IIM_CONTACT``
    or ``ProjectCode.MEASLES_CONTACT``): the Questionnaire's id is the exposure's code."""
    if exposure_code not in (ProjectCode.IIM_CONTACT, ProjectCode.MEASLES_CONTACT):
        raise ValueError(f"no Questionnaire captures {exposure_code!r}")
    return f"{CANONICAL_BASE}/Questionnaire/{exposure_code}"


@cache
def _package_text(*parts: str) -> str:
    return resources.files(__name__).joinpath("package", *parts).read_text(encoding="utf-8")


def load(resource_type: str, resource_id: str) -> dict[str, Any]:
    """One conformance resource of the project, as JSON."""
    document: dict[str, Any] = json.loads(_package_text(f"{resource_type}-{resource_id}.json"))
    return document


def load_example(resource_type: str, resource_id: str) -> dict[str, Any]:
    """One example of the package, as JSON."""
    document: dict[str, Any] = json.loads(_package_text(EXAMPLE_FOLDER, f"{resource_type}-{resource_id}.json"))
    return document


def is_resource_file(name: str) -> bool:
    """``<ResourceType>-<id>.json``: not the package's manifest (``package.json``) nor its index (``.index.json``)."""
    return name.endswith(".json") and name[:1].isupper() and "-" in name


def _folder_resources(*parts: str) -> list[dict[str, Any]]:
    folder = resources.files(__name__).joinpath("package", *parts)
    return [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if is_resource_file(entry.name)
    ]


def all_resources() -> list[dict[str, Any]]:
    """Every conformance resource shipped (not the examples)."""
    return _folder_resources()


def examples() -> list[dict[str, Any]]:
    return _folder_resources(EXAMPLE_FOLDER)


def package_manifest() -> dict[str, Any]:
    """The FHIR package's ``package.json``."""
    manifest: dict[str, Any] = json.loads(_package_text("package.json"))
    return manifest
