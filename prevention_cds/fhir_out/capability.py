"""The service's FHIR CapabilityStatement (``GET /fhir/metadata``): the conformance resources it serves and the
operations it implements, each with the canonical URL of its OperationDefinition.

A new operation is one more ``FhirOperation`` in the table the application passes (``app/fhir_api.py``); its
OperationDefinition, when the project defines it, is one more file of the FHIR package, served with the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prevention_cds import terminology

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
SECURED = (
    "The operations that receive patient data ($extract, $immds-forecast) need `Authorization: Bearer <JWT>`: the "
    "client's JWT signed with a key of a trusted issuer, its `aud` the URL called, as for the CDS services (CDS "
    "Hooks 2.0, trusting CDS clients). A call without a valid JWT answers 401 with `WWW-Authenticate: Bearer`. "
    "The conformance resources (metadata, Questionnaire, ValueSet...) are read without authentication."
)
UNSECURED = "Authentication is off on this deployment (development only): any caller may call the operations."


@dataclass(frozen=True)
class FhirOperation:
    """An operation of the service: ``$name`` on a resource type (``QuestionnaireResponse/$extract``) or on the
    base (``resource_type`` None)."""

    name: str
    definition: str  # canonical URL of its OperationDefinition
    documentation: str
    resource_type: str | None = None

    @property
    def path(self) -> str:
        return f"{self.resource_type}/${self.name}" if self.resource_type else f"${self.name}"


def capability_statement(
    base_url: str,
    software_version: str,
    operations: Iterable[FhirOperation],
    served_types: Iterable[str],
    date: str,
    authenticated: bool = True,
    cors: bool = False,
) -> dict[str, Any]:
    """What the FHIR base at ``base_url`` answers: reads and searches by ``url`` of the conformance resources of the
    package (``served_types``), and the operations; ``rest.security`` says how the operations are authenticated
    (``authenticated``: a client JWT is required) and whether browsers may call them from other origins."""
    by_type: dict[str, dict[str, Any]] = {}
    for resource_type in sorted(served_types):
        by_type[resource_type] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": "url", "type": "uri", "documentation": "The canonical URL of the resource"}],
        }
    system_operations = []
    for operation in operations:
        entry = {"name": operation.name, "definition": operation.definition, "documentation": operation.documentation}
        if operation.resource_type is None:
            system_operations.append(entry)
        else:
            by_type.setdefault(operation.resource_type, {"type": operation.resource_type}).setdefault(
                "operation", []
            ).append(entry)
    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": "No authentication for the conformance resources; the operations that receive patient "
        "data need the same JWT as the CDS services (CDS Hooks 2.0, trusting CDS clients).",
        "resource": [by_type[name] for name in sorted(by_type)],
    }
    if system_operations:
        rest["operation"] = system_operations
    rest["security"] = {"cors": cors, "description": SECURED if authenticated else UNSECURED}
    manifest = terminology.package_manifest()
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "prevention-cds",
        "kind": "instance",
        "software": {"name": "prevention-cds", "version": software_version},
        "implementation": {"description": "prevention-cds FHIR endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "implementationGuide": [f"{manifest['canonical']}/ImplementationGuide/prevention-cds"],
        "rest": [rest],
    }
