"""A routing task: read one chunk of the export, check each line, and spill its resources by patient.

A line that is not JSON, or not a FHIR resource, is written to the chunk's error file (line numbers counted from
the chunk's start; the runner makes them absolute) and skipped. A resource of another type than its file says is
read under its own type and reported as a warning.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from prevention_cds.fhir_in.references import patient_id_of
from prevention_cds.scan.inputs import READ_TYPES, Chunk
from prevention_cds.scan.partitions import RunWriter, WorkDir

REASON_MAX_CHARS = 200


@dataclass
class RouteResult:
    chunk: int
    lines: int = 0  # lines that start in the chunk (blank ones included): to number lines across chunks
    bytes_read: int = 0
    resources: Counter[str] = field(default_factory=Counter)  # routed to a patient, by type
    without_patient: Counter[str] = field(default_factory=Counter)  # of a read type, no readable patient reference
    not_read: Counter[str] = field(default_factory=Counter)  # of types the record does not read
    patients: int = 0  # Patient resources routed
    skipped_lines: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class RouteTask:
    chunk: Chunk
    work: WorkDir
    partitions: int
    run_bytes: int


def route_chunk(task: RouteTask) -> RouteResult:
    chunk = task.chunk
    result = RouteResult(chunk.number)
    writer = RunWriter(task.work, chunk.number, task.partitions, task.run_bytes)
    with task.work.errors_of(chunk.number).open("wb") as errors:
        reporter = _Reporter(errors, chunk.file.name, result)
        if chunk.file.kind == "bundle":
            _route_bundle(chunk, writer, reporter, result)
        else:
            for number, line in _lines(chunk, result):
                resource = _resource(line, reporter, number)
                if resource is not None:
                    if chunk.file.declared_type and resource["resourceType"] != chunk.file.declared_type:
                        reporter.warn(number, None, f"a {resource['resourceType']} in a file of "
                                      f"{chunk.file.declared_type} resources: read as a {resource['resourceType']}")
                    _route(resource, line, writer, result)
    writer.flush()
    return result


def _lines(chunk: Chunk, result: RouteResult) -> Iterator[tuple[int, bytes]]:
    """(number in the chunk from 1, line without its end) of each line starting in the chunk."""
    with _open(chunk.file.path, chunk.file.compressed) as stream:
        position = chunk.start
        if chunk.start:
            stream.seek(chunk.start - 1)
            if stream.read(1) != b"\n":
                stream.readline()  # the line under way belongs to the previous chunk
            position = stream.tell()
        for line in stream:
            if chunk.end is not None and position >= chunk.end:
                break
            position += len(line)
            result.lines += 1
            result.bytes_read += len(line)
            stripped = line.rstrip(b"\r\n")
            if stripped.strip():
                yield result.lines, stripped


def _open(path: Path, compressed: bool) -> IO[bytes]:
    return gzip.open(path, "rb") if compressed else path.open("rb", buffering=1 << 20)


def _resource(line: bytes, reporter: _Reporter, number: int | None, entry: int | None = None) -> dict[str, Any] | None:
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        reporter.skip(number, entry, f"not JSON: {exc}")
        return None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        reporter.skip(number, entry, "not a FHIR resource (no resourceType)")
        return None
    return resource


def _route(resource: dict[str, Any], line: bytes, writer: RunWriter, result: RouteResult) -> None:
    kind = resource["resourceType"]
    if kind not in READ_TYPES:
        result.not_read[kind] += 1
        return
    patient_id = patient_id_of(resource)
    if patient_id is None:
        result.without_patient[kind] += 1
        return
    result.resources[kind] += 1
    result.patients += kind == "Patient"
    writer.add(patient_id.encode(), line)


def _route_bundle(chunk: Chunk, writer: RunWriter, reporter: _Reporter, result: RouteResult) -> None:
    with _open(chunk.file.path, chunk.file.compressed) as stream:
        data = stream.read()
    result.bytes_read, result.lines = len(data), 1
    document = _resource(data, reporter, None)
    if document is None:
        return
    if document["resourceType"] != "Bundle":
        _route(document, orjson.dumps(document), writer, result)
        return
    entries = document.get("entry")
    for number, entry in enumerate(entries if isinstance(entries, list) else (), start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            reporter.skip(None, number, "a Bundle entry without a FHIR resource")
            continue
        _route(resource, orjson.dumps(resource), writer, result)


class _Reporter:
    def __init__(self, stream: IO[bytes], file: str, result: RouteResult) -> None:
        self.stream, self.file, self.result = stream, file, result

    def skip(self, line: int | None, entry: int | None, reason: str) -> None:
        self.result.skipped_lines += 1
        self._write(line, entry, "error", reason)

    def warn(self, line: int | None, entry: int | None, reason: str) -> None:
        self.result.warnings += 1
        self._write(line, entry, "warning", reason)

    def _write(self, line: int | None, entry: int | None, severity: str, reason: str) -> None:
        row = {"file": self.file, "line": line, "entry": entry, "severity": severity,
               "reason": reason[:REASON_MAX_CHARS]}
        self.stream.write(orjson.dumps(row) + b"\n")
