"""Prefetch completion (cds-hooks.md §1.4), as HAPI's CDS Hooks module does it.

For each template key: a resource or Bundle is used; ``null`` means the client ran the query and found
nothing; an absent key, an OperationOutcome or a value of the wrong type is fetched from ``fhirServer``
(with the bearer token when one was given); when that cannot be done the call answers 412. Every key is
required: answering without the allergies or the treatments could miss a contraindication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any
from urllib.parse import quote

from prevention_cds.adapters.fhir_client import FhirReader, FhirUnavailable, entries_of, next_link
from prevention_cds.app.observability import FHIR_FETCH_FAILURES
from prevention_cds.hooks.catalog import PrefetchKey
from prevention_cds.hooks.errors import DataUnavailable
from prevention_cds.hooks.request import HookRequest

logger = logging.getLogger(__name__)

ReaderFactory = Callable[[HookRequest], FhirReader]


def expand(template: str, request: HookRequest) -> str:
    tokens = {
        "{{context.patientId}}": quote(request.patient_id, safe=""),
        "{{context.encounterId}}": quote(request.encounter_id or "", safe=""),
        "{{context.userId}}": request.user_id or "",
    }
    for token, value in tokens.items():
        template = template.replace(token, value)
    return template


def _usable(value: Any, key: PrefetchKey) -> bool:
    kind = value.get("resourceType") if isinstance(value, dict) else None
    if not isinstance(kind, str):
        return False
    return kind in key.resource_types if key.single else kind == "Bundle"


def gather_resources(
    request: HookRequest,
    keys: dict[str, PrefetchKey],
    reader_factory: ReaderFactory,
) -> list[dict[str, Any]]:
    """Every resource the templates ask for, from prefetch or from fhirServer. Raises DataUnavailable."""
    resources: list[dict[str, Any]] = []
    to_fetch: list[str] = []
    to_continue: list[tuple[str, dict[str, Any]]] = []
    for name, key in keys.items():
        if name not in request.prefetch:
            to_fetch.append(name)
            continue
        value = request.prefetch[name]
        if value is None:
            continue
        if not _usable(value, key):
            kind = value.get("resourceType") if isinstance(value, dict) else type(value).__name__
            logger.info("prefetch %s unusable (%s): fetching it", name, kind)
            to_fetch.append(name)
            continue
        if key.single:
            resources.append(value)
            continue
        resources.extend(entries_of(value, key.resource_types))
        if next_link(value) is not None:
            to_continue.append((name, value))

    if not to_fetch and not to_continue:
        return resources

    reader = reader_factory(request)

    def fetch(name: str) -> list[dict[str, Any]]:
        key = keys[name]
        path = expand(key.template, request)
        if key.single:
            found = reader.read(path)
            return [found] if found is not None and found.get("resourceType") in key.resource_types else []
        return [r for r in reader.search(path) if r.get("resourceType") in key.resource_types]

    def continue_bundle(item: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in reader.rest_of_bundle(item[1]) if r.get("resourceType") in keys[item[0]].resource_types]

    jobs: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        *((name, lambda name=name: fetch(name)) for name in to_fetch),
        *((item[0], lambda item=item: continue_bundle(item)) for item in to_continue),
    ]
    # All fetches run at once; the first failure answers 412 without waiting for the others (they end at
    # their own timeout in the background).
    pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="fhir-fetch")
    try:
        futures = {pool.submit(job): name for name, job in jobs}
        for future in as_completed(futures):
            try:
                resources.extend(future.result())
            except FhirUnavailable as exc:
                FHIR_FETCH_FAILURES.inc()
                raise DataUnavailable(f"prefetch '{futures[future]}' could not be completed: {exc}") from exc
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return resources
