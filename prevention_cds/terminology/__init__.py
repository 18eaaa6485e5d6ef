"""The project's FHIR conformance resources (StructureDefinitions, CodeSystems, ValueSets, examples).

Files are named ``<ResourceType>-<id>.json`` in ``package/`` (examples under ``package/examples/``) and shipped as
package data. The canonical URLs and the project's own codes are defined here once.
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


@cache
def _package_text(*parts: str) -> str:
    return resources.files(__name__).joinpath("package", *parts).read_text(encoding="utf-8")


def load(resource_type: str, resource_id: str) -> dict[str, Any]:
    """One conformance resource of the project, as JSON."""
    document: dict[str, Any] = json.loads(_package_text(f"{resource_type}-{resource_id}.json"))
    return document


def all_resources() -> list[dict[str, Any]]:
    """Every conformance resource shipped (not the examples)."""
    folder = resources.files(__name__).joinpath("package")
    return [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


def examples() -> list[dict[str, Any]]:
    folder = resources.files(__name__).joinpath("package", "examples")
    return [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
