"""The administration routes, defined once in ValueSet ``administration-route``: the service reads them on draft
orders (``fhir_in``) and writes them on its own orders (``fhir_out``).

Each code of the ValueSet carries, as its designation of use ``service-name``, the name the rules give the route
(``oral``, ``intramuscular``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from prevention_cds import terminology
from prevention_cds.terminology import PROJECT_CODESYSTEM, ProjectCode

ROUTE_VALUESET = "administration-route"

Coding = Mapping[str, str]


def _service_name(concept: Mapping[str, Any]) -> str:
    for designation in concept.get("designation", ()):
        use = designation.get("use", {})
        if use.get("system") == PROJECT_CODESYSTEM and use.get("code") == ProjectCode.SERVICE_NAME:
            name: str = designation["value"]
            return name
    raise ValueError(f"ValueSet {ROUTE_VALUESET}: code {concept.get('code')} has no service-name designation")


@cache
def route_codings() -> Mapping[str, Coding]:
    """Route name -> its coding (system, code, display)."""
    valueset = terminology.load("ValueSet", ROUTE_VALUESET)
    codings = {
        _service_name(concept): MappingProxyType(
            {"system": include["system"], "code": concept["code"], "display": concept["display"]}
        )
        for include in valueset["compose"]["include"]
        for concept in include["concept"]
    }
    return MappingProxyType(codings)
