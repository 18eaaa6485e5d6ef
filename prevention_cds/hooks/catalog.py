"""The four CDS services of contract.md §1, their hooks and prefetch templates, and the discovery document."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from prevention_cds import terminology
from prevention_cds.fhir_out.i18n import render
from prevention_cds.rules.advice import Message

PATIENT_VIEW = "patient-view"
ORDER_SELECT = "order-select"
ORDER_SIGN = "order-sign"

# Observation codes the rules read; each list lives once, in a ValueSet of prevention_cds.terminology/.
OBSERVATION_VALUESETS = (
    "body-weight-observation",
    "pregnancy-status-observation",
    "expected-delivery-date-observation",
    "occupation-observation",
    "exposure-kind",
)


@dataclass(frozen=True)
class PrefetchKey:
    """A prefetch template and the FHIR resource types its answer may hold."""

    template: str
    resource_types: frozenset[str]
    single: bool = False  # a read (one resource or null) rather than a search (a Bundle)


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hook: str
    rule_sets: tuple[str, ...]  # "mmr", "iim"

    def discovery_entry(self, language: str) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": render(Message.of(f"service.{self.id}.title"), language),
            "description": render(Message.of(f"service.{self.id}.description"), language),
            "prefetch": {key: p.template for key, p in prefetch_keys().items()},
            "usageRequirements": render(Message.of("service.usage"), language),
        }


def _observation_codes() -> str:
    tokens: list[str] = []
    for valueset_id in OBSERVATION_VALUESETS:
        for include in terminology.load("ValueSet", valueset_id)["compose"]["include"]:
            tokens.extend(f"{include['system']}|{concept['code']}" for concept in include.get("concept", ()))
    return ",".join(tokens)


@cache
def prefetch_keys() -> dict[str, PrefetchKey]:
    patient = "{{context.patientId}}"
    return {
        "patient": PrefetchKey(f"Patient/{patient}", frozenset({"Patient"}), single=True),
        "immunizations": PrefetchKey(f"Immunization?patient={patient}", frozenset({"Immunization"})),
        "conditions": PrefetchKey(f"Condition?patient={patient}", frozenset({"Condition"})),
        "observations": PrefetchKey(
            f"Observation?patient={patient}&code={_observation_codes()}", frozenset({"Observation"})
        ),
        "allergies": PrefetchKey(f"AllergyIntolerance?patient={patient}", frozenset({"AllergyIntolerance"})),
        "medicationRequests": PrefetchKey(f"MedicationRequest?patient={patient}", frozenset({"MedicationRequest"})),
        "medicationStatements": PrefetchKey(
            f"MedicationStatement?patient={patient}", frozenset({"MedicationStatement"})
        ),
        # A hospital records the ceftriaxone or cefotaxime given to a case as an administration.
        "medicationAdministrations": PrefetchKey(
            f"MedicationAdministration?patient={patient}", frozenset({"MedicationAdministration"})
        ),
    }


SERVICES: tuple[ServiceDefinition, ...] = (
    ServiceDefinition("ror-vaccination", PATIENT_VIEW, ("mmr",)),
    ServiceDefinition("iim-prophylaxis", PATIENT_VIEW, ("iim",)),
    ServiceDefinition("prevention-order-sign", ORDER_SIGN, ("mmr", "iim")),
    ServiceDefinition("prevention-order-select", ORDER_SELECT, ("mmr", "iim")),
)
SERVICES_BY_ID = {s.id: s for s in SERVICES}


def discovery_document(language: str) -> dict[str, Any]:
    return {"services": [s.discovery_entry(language) for s in SERVICES]}
