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

import msgspec
import orjson

from prevention_cds.fhir_in.bundle_entries import bundle_entries
from prevention_cds.fhir_in.references import FHIR_ID, patient_id_in, patient_id_of
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
            _route_lines(chunk, writer, reporter, result)
    writer.flush()
    return result


class _Reference(msgspec.Struct):
    reference: str | None = None


class _Head(msgspec.Struct):
    """The members routing reads; the decoder checks the whole line is JSON but builds only these."""

    resourceType: str  # noqa: N815 (the FHIR name)
    id: str | None = None
    subject: _Reference | None = None
    patient: _Reference | None = None


HEAD = msgspec.json.Decoder(_Head)


def _route_lines(chunk: Chunk, writer: RunWriter, reporter: _Reporter, result: RouteResult) -> None:
    """The hot loop of the scan's first phase (every line of the export): kept flat on purpose."""
    declared = chunk.file.declared_type
    decode, read_types, add = HEAD.decode, READ_TYPES, writer.add
    number = 0
    for block in _blocks(chunk, result):
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()  # after the block's last newline
        for line in lines:
            number += 1
            if line.endswith(b"\r"):
                line = line[:-1]
            try:
                head = decode(line)
            except msgspec.ValidationError:  # JSON, but not shaped as routing expects: read it whole
                resource = _resource(line, reporter, number)
                if resource is not None:
                    _check_type(resource["resourceType"], declared, reporter, number)
                    _route(resource, line, writer, result)
                continue
            except msgspec.DecodeError as exc:
                if line.strip():
                    reporter.skip(number, None, f"not JSON: {exc}")
                continue
            kind = head.resourceType
            if kind != declared and declared is not None:
                _check_type(kind, declared, reporter, number)
            if kind not in read_types:
                result.not_read[kind] += 1
                continue
            if kind == "Patient":
                patient_id = head.id if head.id is not None and FHIR_ID.fullmatch(head.id) else None
            else:
                element = head.subject if head.patient is None else head.patient
                reference = element.reference if element is not None else None
                patient_id = patient_id_in(reference) if reference is not None else None
            if patient_id is None:
                result.without_patient[kind] += 1
                continue
            result.resources[kind] += 1
            if kind == "Patient":
                result.patients += 1
            add(patient_id.encode(), line)
    result.lines = number


def _check_type(kind: str, declared: str | None, reporter: _Reporter, number: int) -> None:
    if declared is not None and kind != declared:
        reporter.warn(number, None, f"a {kind} in a file of {declared} resources: read as a {kind}")


BLOCK_BYTES = 8 << 20


def _blocks(chunk: Chunk, result: RouteResult) -> Iterator[bytes]:
    """The chunk's lines in blocks of whole lines: from the first line that starts at or after ``start`` to the
    last that starts before ``end`` (a line under way at ``start`` belongs to the previous chunk)."""
    with _open(chunk.file.path, chunk.file.compressed) as stream:
        if chunk.start:
            stream.seek(chunk.start - 1)
            if stream.read(1) != b"\n":
                stream.readline()
        position = stream.tell()
        carry = b""
        while True:
            if chunk.end is not None and position >= chunk.end:
                data = b""  # the rest of the line under way at ``end`` still belongs to this chunk
            else:
                want = BLOCK_BYTES if chunk.end is None else min(BLOCK_BYTES, chunk.end - position)
                data = stream.read(want)
                position += len(data)
            if not data:
                if carry and chunk.end is not None and not carry.endswith(b"\n"):
                    carry += stream.readline()
                if carry:
                    result.bytes_read += len(carry)
                    yield carry
                return
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                result.bytes_read += cut
                yield data[:cut]


def _open(path: Path, compressed: bool) -> IO[bytes]:
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes like any IO[bytes]
    return path.open("rb")


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
    read = bundle_entries(document)  # patient references resolved through the entries' fullUrl
    for problem in read.problems:
        reporter.skip(None, problem.entry, problem.reason)
    for resource in read.resources:
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
