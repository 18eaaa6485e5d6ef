"""Prefetch completion (cds-hooks.md §1.4), as HAPI's CDS Hooks module does it.

For each template key: a resource or Bundle is used; ``null`` means the client ran the query and found
nothing; an absent key, an OperationOutcome, a value of the wrong type or a Patient that is not the context
patient is fetched from ``fhirServer`` (with the bearer token when one was given); when that cannot be done the
call answers 412, naming the keys. Every key is required: answering without the allergies or the treatments
could miss a contraindication.

The fhirServer is reached through the :class:`FhirReader` port (one reader per call, bounded in time and bytes;
evaluate.py gives it the HTTP adapter); searches and their pages (``next`` links, at most ``max_pages``, no loop)
are read here. The keys are fetched in parallel; the first failure, or the reader's deadline, ends the call, and
the fetches still running are cancelled (``FhirReader.close``) before it answers: none is left behind.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any, Protocol
from urllib.parse import quote

from prevention_cds.errors import DataUnavailable, PrefetchIncomplete
from prevention_cds.hooks.catalog import PrefetchKey
from prevention_cds.hooks.request import HookRequest

logger = logging.getLogger(__name__)

# After the reader's deadline (or close), how long its cancelled fetches get to return before the call answers
# anyway; the reader shuts their connections down, so they return at once.
CANCEL_GRACE_SECONDS = 0.5


class FhirReader(Protocol):
    """The EHR's FHIR server, as one call's prefetch completion reads it (``adapters.fhir_client.HttpFhirReader``
    is one). ``fetch`` may be called from several threads at once."""

    def fetch(self, path: str) -> dict[str, Any] | None:
        """The resource at ``path`` (relative to the fhirServer, or a paging link): a JSON object with a string
        ``resourceType``, or None when there is none. Raises DataUnavailable (or a subclass) when the server gives
        no usable answer, or when the reader's deadline passed or it was closed."""
        ...

    def seconds_left(self) -> float:
        """Time left before the call's FHIR deadline."""
        ...

    def close(self) -> None:
        """The call needs nothing more: fetches still running end at once (DataUnavailable), connections close."""
        ...


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


def _unusable(value: Any, key: PrefetchKey, patient_id: str) -> str | None:
    """Why a prefetch value cannot stand for its key's answer (said in the 412), or None when it can."""
    wanted = "the context patient's Patient" if key.single else "a searchset Bundle"
    kind = value.get("resourceType") if isinstance(value, dict) else None
    if not isinstance(kind, str):
        shape = "a JSON object without resourceType" if isinstance(value, dict) else f"a JSON {_json_type(value)}"
        return f"is {shape}, not {wanted}"
    if kind == "OperationOutcome":
        return "is an OperationOutcome (the client's query failed)"
    if kind == "Patient" and key.single:  # another patient's record must never stand for the context patient's
        return None if value.get("id") == patient_id else "is the Patient of another patient, not the context patient's"
    if (kind in key.resource_types) if key.single else (kind == "Bundle"):
        return None
    return f"is a {kind}, not {wanted}"


def _json_type(value: Any) -> str:
    return {str: "string", bool: "boolean", int: "number", float: "number", list: "array"}.get(type(value), "value")


def next_link(bundle: dict[str, Any]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            url: str = link["url"]
            return url
    return None


def entries_of(bundle: dict[str, Any], resource_types: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The resources of a Bundle's entries (search outcomes left out), of ``resource_types`` when given."""
    entries = bundle.get("entry")
    found: list[dict[str, Any]] = []
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not isinstance(kind := resource.get("resourceType"), str):
            continue
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue
        if resource_types is None or kind in resource_types:
            found.append(resource)
    return found


class _FhirServer:
    """Reads from the fhirServer: a resource, a search with all its pages (up to ``max_pages``), or the pages
    after a Bundle the client sent."""

    def __init__(self, reader: FhirReader, max_pages: int) -> None:
        self.reader = reader
        self.max_pages = max_pages

    def read(self, path: str) -> dict[str, Any] | None:
        document = self.reader.fetch(path)
        if document is not None and document["resourceType"] == "OperationOutcome":
            raise DataUnavailable("FHIR server answered with an OperationOutcome")
        return document

    def search(self, path: str) -> list[dict[str, Any]]:
        bundle = self.reader.fetch(path)
        if bundle is None:
            return []
        if bundle["resourceType"] != "Bundle":
            raise DataUnavailable(f"search answered with {bundle['resourceType']}, not a Bundle")
        return entries_of(bundle) + self.rest_of_bundle(bundle)

    def rest_of_bundle(self, bundle: dict[str, Any]) -> list[dict[str, Any]]:
        """Resources of the pages after ``bundle`` (its ``next`` links), up to the page cap."""
        resources: list[dict[str, Any]] = []
        seen: set[str] = set()
        pages = 1
        page: dict[str, Any] | None = bundle
        while page is not None and (link := next_link(page)) is not None:
            if link in seen:
                raise DataUnavailable("FHIR paging loops")
            seen.add(link)
            pages += 1
            if pages > self.max_pages:
                raise DataUnavailable("FHIR search has more pages than the configured cap")
            page = self.reader.fetch(link)
            if page is None or page["resourceType"] != "Bundle":
                raise DataUnavailable("a FHIR search page is not a Bundle")
            resources.extend(entries_of(page))
        return resources


def gather_resources(
    request: HookRequest,
    keys: dict[str, PrefetchKey],
    reader_factory: ReaderFactory,
    max_pages: int,
) -> list[dict[str, Any]]:
    """Every resource the templates ask for, from prefetch or from fhirServer (a search read up to ``max_pages``
    pages). Raises DataUnavailable (PrefetchIncomplete when the fhirServer failed)."""
    resources: list[dict[str, Any]] = []
    to_fetch: list[str] = []
    to_continue: list[tuple[str, dict[str, Any]]] = []
    why: dict[str, str] = {}  # what the client sent for each key to read on the fhirServer, for the 412
    for name, key in keys.items():
        if name not in request.prefetch:
            to_fetch.append(name)
            why[name] = "is absent"
            continue
        value = request.prefetch[name]
        if value is None:
            continue
        unusable = _unusable(value, key, request.patient_id)
        if unusable is not None:
            logger.info("prefetch %s %s: fetching it", name, unusable)
            to_fetch.append(name)
            why[name] = unusable
            continue
        if key.single:
            resources.append(value)
            continue
        resources.extend(entries_of(value, key.resource_types))
        if next_link(value) is not None:
            to_continue.append((name, value))
            why[name] = "is a Bundle with more pages (a next link) to read"

    if not to_fetch and not to_continue:
        return resources

    try:
        port = reader_factory(request)
    except DataUnavailable as exc:
        needed = tuple(why)
        said = "; ".join(f"{_named((name,))} {why[name]}" for name in needed)
        raise DataUnavailable(f"prefetch {said}; cannot be fetched: {exc}", needed) from exc
    reader = _FhirServer(port, max_pages)

    def fetch(name: str) -> list[dict[str, Any]]:
        key = keys[name]
        path = expand(key.template, request)
        if key.single:
            found = reader.read(path)
            if found is not None and found.get("resourceType") == "Patient" and found.get("id") != request.patient_id:
                raise DataUnavailable("the FHIR server answered with another patient")
            return [found] if found is not None and found.get("resourceType") in key.resource_types else []
        return [r for r in reader.search(path) if r.get("resourceType") in key.resource_types]

    def continue_bundle(item: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in reader.rest_of_bundle(item[1]) if r.get("resourceType") in keys[item[0]].resource_types]

    jobs: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        *((name, lambda name=name: fetch(name)) for name in to_fetch),
        *((item[0], lambda item=item: continue_bundle(item)) for item in to_continue),
    ]
    # All fetches run at once; the first failure answers 412, and the others are cancelled (close) first. Each
    # runs in the caller's context, so that its log lines carry the request's ids.
    pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="fhir-fetch")
    futures = {pool.submit(contextvars.copy_context().run, job): name for name, job in jobs}
    failure: str | None = None
    failed: tuple[str, ...] = ()
    try:
        # future.exception(), not result(): a failure raised here would keep this frame, hence every future
        # and the documents fetched, in a reference cycle until the next full collection
        for future in as_completed(futures, timeout=max(0.0, port.seconds_left()) + CANCEL_GRACE_SECONDS):
            error = future.exception()
            if error is None:
                resources.extend(future.result())
            elif isinstance(error, DataUnavailable):
                failed = (futures[future],)
                failure = f"prefetch {_named(failed)} could not be completed: {error}"
                break
            else:
                raise error
    except FuturesTimeout:
        failed = tuple(name for future, name in futures.items() if not future.done())
        failure = f"prefetch {_named(failed)}: FHIR fetch deadline exceeded"
    finally:
        port.close()
        _, still_running = wait(futures, timeout=CANCEL_GRACE_SECONDS)
        if still_running:
            logger.warning("%d FHIR fetches still running after they were cancelled", len(still_running))
        pool.shutdown(wait=False, cancel_futures=True)
    if failure is not None:
        raise PrefetchIncomplete(failure, failed)
    return resources


def _named(keys: tuple[str, ...]) -> str:
    return ", ".join(f"'{key}'" for key in keys)
