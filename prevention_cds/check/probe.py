"""One prefetch query against a live FHIR server, as the service would run it (``hooks.prefetch.gather_resources``
through the HTTP adapter), and what it shows: declared in the CapabilityStatement or not, answered or not, how many
resources over how many pages, whether the server honours ``patient``, ``code`` with a system and paging, which
codes the rules recognise."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from prevention_cds.errors import DataUnavailable
from prevention_cds.fhir_in.capability import ServerCapabilities
from prevention_cds.fhir_in.code_coverage import CodeCoverage
from prevention_cds.fhir_in.codes import codings
from prevention_cds.hooks.catalog import PrefetchKey
from prevention_cds.hooks.prefetch import FhirReader, entries_of, expand, gather_resources
from prevention_cds.hooks.request import HookRequest
from prevention_cds.terminology.index import CodeIndex

# A code no server holds: a search with it that finds something shows the code parameter is ignored
ABSENT_CODE = "urn:prevention-cds:check|no-such-code"
OK, WARNING, FAILED = "ok", "warning", "failed"
PATIENT_REFERENCES = ("subject", "patient")


class RecordingReader:
    """A FhirReader that remembers what it was asked (a search's pages are one fetch each)."""

    def __init__(self, reader: FhirReader) -> None:
        self.reader = reader
        self.paths: list[str] = []

    def fetch(self, path: str) -> dict[str, Any] | None:
        self.paths.append(path)
        return self.reader.fetch(path)

    def seconds_left(self) -> float:
        return self.reader.seconds_left()

    def close(self) -> None:
        self.reader.close()


@dataclass
class QueryReport:
    key: str
    query: str
    status: str = OK
    declared: list[str] = field(default_factory=list)  # what the CapabilityStatement does not declare
    notes: list[str] = field(default_factory=list)  # what the answers show
    error: str | None = None
    resources: int = 0
    pages: int = 0
    codes: CodeCoverage = field(default_factory=CodeCoverage)

    def warn(self, note: str) -> None:
        self.notes.append(note)
        if self.status == OK:
            self.status = WARNING

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "query": self.query, "status": self.status, "not_declared": self.declared,
            "notes": self.notes, "error": self.error, "resources": self.resources, "pages": self.pages,
            "codes": {
                system: {"recognised": sorted(self.codes.recognised.get(system, ())),
                         "unrecognised": sorted(self.codes.unrecognised.get(system, ()))}
                for system in sorted(set(self.codes.recognised) | set(self.codes.unrecognised))
            },
        }


@dataclass(frozen=True)
class QueryContext:
    request: HookRequest  # the patient, the server and the token, as a hook call would carry them
    capabilities: ServerCapabilities
    new_reader: Callable[[], FhirReader]  # a fresh reader: each query has the service's whole deadline
    max_pages: int
    index: CodeIndex


def _parameters(query: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(query).query, keep_blank_values=True)


def _declared(key: PrefetchKey, query: str, capabilities: ServerCapabilities) -> list[str]:
    resource_type = next(iter(key.resource_types))
    support = capabilities.support(resource_type)
    if support is None:
        return [f"{resource_type} is not in the CapabilityStatement"]
    interaction = "read" if key.single else "search-type"
    missing = [] if interaction in support.interactions else [f"interaction {interaction} is not declared"]
    if not key.single:
        for name, _ in _parameters(query):
            if support.search_params and name not in support.search_params:
                missing.append(f"search parameter {name} is not declared")
        if not support.search_params:
            missing.append("no search parameter is declared for this type")
    return missing


def _fetch(context: QueryContext, name: str, key: PrefetchKey) -> tuple[list[dict[str, Any]], int]:
    """The resources of one key and the number of requests it took; raises DataUnavailable as prefetch does."""
    recorder = RecordingReader(context.new_reader())
    found = gather_resources(context.request, {name: key}, lambda _: recorder, context.max_pages)
    return found, len(recorder.paths)


def probe_query(context: QueryContext, name: str, key: PrefetchKey) -> tuple[QueryReport, list[dict[str, Any]]]:
    """The report of one prefetch key, and the resources it gave."""
    query = expand(key.template, context.request)
    report = QueryReport(name, query, declared=_declared(key, query, context.capabilities))
    if report.declared:
        report.status = WARNING
    try:
        resources, report.pages = _fetch(context, name, key)
    except DataUnavailable as exc:
        report.status, report.error = FAILED, str(exc)
        return report, []
    report.resources = len(resources)
    report.codes.add(resources, context.index)
    if key.single and not resources:  # every service would answer 412: the patient is what the check is about
        report.status, report.error = FAILED, f"no Patient {context.request.patient_id} on the server"
    if not key.single:
        _check_patient(report, resources, context.request.patient_id)
        if any(p == "code" for p, _ in _parameters(query)):
            _check_code_filter(report, context, name, key, resources)
        if len(resources) >= 2:
            _check_paging(report, context, name, key, len(resources))
    return report, resources


def _check_patient(report: QueryReport, resources: list[dict[str, Any]], patient_id: str) -> None:
    others = 0
    for resource in resources:
        for member in PATIENT_REFERENCES:
            value = resource.get(member)
            reference = value.get("reference") if isinstance(value, dict) else None
            if isinstance(reference, str) and not reference.endswith(f"Patient/{patient_id}"):
                others += 1
    if others:
        report.warn(f"{others} resource(s) of another patient: the server may ignore the patient parameter")


def _check_code_filter(
    report: QueryReport, context: QueryContext, name: str, key: PrefetchKey, resources: list[dict[str, Any]]
) -> None:
    asked = {tuple(token.split("|", 1)) for p, v in _parameters(report.query) if p == "code" for token in v.split(",")}
    unasked = [r for r in resources if not any(coding in asked for coding in codings(r.get("code")))]
    if unasked:
        report.warn(f"{len(unasked)} of {len(resources)} resource(s) carry none of the codes asked for: "
                    "the server may ignore code with a system")
    template = key.template.split("&code=", 1)[0] + f"&code={ABSENT_CODE}"
    try:
        found, _ = _fetch(context, name, PrefetchKey(template, key.resource_types))
    except DataUnavailable as exc:
        report.warn(f"a search with a code of no system's could not be run: {exc}")
        return
    if found:
        report.warn("a search for a code that exists nowhere found resources: the server ignores the code parameter")


def _check_paging(report: QueryReport, context: QueryContext, name: str, key: PrefetchKey, total: int) -> None:
    """The same search in small pages (as many as the service follows at most) gives the same resources."""
    size = max(1, math.ceil(total / max(1, context.max_pages - 1)))
    paged = PrefetchKey(f"{key.template}&_count={size}", key.resource_types)
    try:
        found, pages = _fetch(context, name, paged)
    except DataUnavailable as exc:
        report.warn(f"paging (_count={size}) failed: {exc}")
        return
    if pages == 1:
        report.warn(f"_count={size} gave one page of {len(found)}: the server does not page (or ignores _count)")
    elif len(found) != total:
        report.warn(f"paging (_count={size}) gave {len(found)} resource(s) over {pages} pages, not {total}")
    else:
        report.notes.append(f"paging followed: {pages} pages of {size} give the same {total} resource(s)")


def first_patients(reader: FhirReader, count: int) -> list[str]:
    """Ids of the server's first patients (when the tester names none)."""
    bundle = reader.fetch(f"Patient?_count={count}")
    if bundle is None or bundle.get("resourceType") != "Bundle":
        return []
    return [str(r["id"]) for r in entries_of(bundle, ("Patient",)) if isinstance(r.get("id"), str)][:count]
