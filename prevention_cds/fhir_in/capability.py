"""Reading a FHIR server's CapabilityStatement: which resource types it serves, with which interactions and which
search parameters it declares. A member of the wrong shape is read as absent (a tester's server may be odd)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceSupport:
    interactions: frozenset[str] = frozenset()
    search_params: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ServerCapabilities:
    fhir_version: str | None = None
    software: str | None = None
    resources: Mapping[str, ResourceSupport] = field(default_factory=dict)

    def support(self, resource_type: str) -> ResourceSupport | None:
        return self.resources.get(resource_type)


def _texts(items: Any, member: str) -> frozenset[str]:
    return frozenset(
        str(i[member]) for i in items if isinstance(i, dict) and isinstance(i.get(member), str)
    ) if isinstance(items, list) else frozenset()


def read_capabilities(statement: Any) -> ServerCapabilities:
    """The server mode of a CapabilityStatement (empty capabilities for anything else)."""
    if not isinstance(statement, dict) or statement.get("resourceType") != "CapabilityStatement":
        return ServerCapabilities()
    resources: dict[str, ResourceSupport] = {}
    rests = statement.get("rest")
    for rest in rests if isinstance(rests, list) else ():
        if not isinstance(rest, dict) or rest.get("mode") != "server" or not isinstance(rest.get("resource"), list):
            continue
        for entry in rest["resource"]:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                resources[entry["type"]] = ResourceSupport(
                    _texts(entry.get("interaction"), "code"), _texts(entry.get("searchParam"), "name")
                )
    software = statement.get("software")
    name = software.get("name") if isinstance(software, dict) else None
    version = statement.get("fhirVersion")
    return ServerCapabilities(
        fhir_version=version if isinstance(version, str) else None,
        software=name if isinstance(name, str) else None,
        resources=resources,
    )
