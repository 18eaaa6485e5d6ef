"""The CDS Hooks request envelope: validated against the project's JSON Schemas, read into a typed request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from prevention_cds.errors import InvalidRequest
from prevention_cds.hooks.catalog import ServiceDefinition


@cache
def schema_validator(name: str) -> Draft202012Validator:
    schema = json.loads(
        resources.files("prevention_cds.hooks").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    )
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load_schemas() -> None:
    """Every validator built now: a running server then never reads its schema files again."""
    for entry in resources.files("prevention_cds.hooks").joinpath("schemas").iterdir():
        if entry.name.endswith(".schema.json"):
            schema_validator(entry.name.removesuffix(".schema.json"))


def _where(error: ValidationError, root: str) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"{root}.{path}" if path else root


def validate(instance: Any, schema: str, root: str) -> None:
    """Raise InvalidRequest naming the first problem (the member, never its value)."""
    errors = sorted(schema_validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a member"
        raise InvalidRequest(f"{_where(error, root)}: '{missing}' is required")
    if error.validator == "dependentRequired":
        raise InvalidRequest(f"{root}: fhirServer is required when fhirAuthorization is sent")
    raise InvalidRequest(f"{_where(error, root)}: invalid ({error.validator})")


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    patient_id: str
    user_id: str | None
    encounter_id: str | None
    fhir_server: str | None
    access_token: str | None = field(repr=False)
    prefetch: Mapping[str, Any]
    draft_orders: tuple[dict[str, Any], ...] = ()
    selections: frozenset[str] = frozenset()


def parse_request(body: Any, service: ServiceDefinition) -> HookRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    validate(body, "request", "request")
    if body["hook"] != service.hook:
        raise InvalidRequest(f"hook '{body['hook']}' does not match service '{service.id}' ({service.hook})")
    context = body["context"]
    validate(context, f"context-{service.hook}", "context")
    # patientId is a plain id; "Patient/x" is tolerated and read as "x" (cds-hooks.md §3.4 S06)
    patient_id = context["patientId"].removeprefix("Patient/")
    if not patient_id or "/" in patient_id:
        raise InvalidRequest("context.patientId: invalid")
    fhir_server = body.get("fhirServer", "").rstrip("/") or None
    if fhir_server is not None:
        try:
            if not urlsplit(fhir_server).hostname:
                raise ValueError(fhir_server)
        except ValueError:
            raise InvalidRequest("fhirServer: not a valid URL") from None
    is_order_hook = service.hook in ("order-select", "order-sign")
    selections = context.get("selections")
    authorization = body.get("fhirAuthorization") or {}
    return HookRequest(
        hook=body["hook"],
        hook_instance=body["hookInstance"],
        patient_id=patient_id,
        user_id=context.get("userId"),
        encounter_id=context.get("encounterId"),
        fhir_server=fhir_server,
        access_token=authorization.get("access_token"),
        prefetch=body.get("prefetch") or {},
        draft_orders=_draft_order_resources(context.get("draftOrders")) if is_order_hook else (),
        selections=frozenset(s for s in selections if isinstance(s, str))
        if isinstance(selections, list) else frozenset(),
    )


def _draft_order_resources(draft_orders: Any) -> tuple[dict[str, Any], ...]:
    """Resources of draftOrders: a Bundle's entries, or (tolerated) a plain array of resources."""
    if draft_orders is None:
        return ()
    if isinstance(draft_orders, dict):
        if draft_orders.get("resourceType") != "Bundle":
            raise InvalidRequest("context.draftOrders: must be a FHIR Bundle")
        entries = draft_orders.get("entry")
        entries = [] if entries is None else entries
        if not isinstance(entries, list):
            raise InvalidRequest("context.draftOrders.entry: must be an array")
        items = [e.get("resource") for e in entries if isinstance(e, dict)]
    elif isinstance(draft_orders, list):
        items = draft_orders
    else:
        raise InvalidRequest("context.draftOrders: must be a FHIR Bundle")
    return tuple(r for r in items if isinstance(r, dict) and isinstance(r.get("resourceType"), str))
