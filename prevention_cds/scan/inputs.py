"""What to read: the files of a Bulk Data export (ndjson, plain or gzip, its ``$export`` manifest when present) or
of a Bundle folder, cut into chunks that routing tasks read independently."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import orjson
from fhir.resources.R4B import get_fhir_model_class

from prevention_cds.fhir_in.record import READERS
from prevention_cds.scan.errors import ScanInputError

# The resource types the record reads (prevention_cds.fhir_in.record): files of other types are not read at all.
READ_TYPES = frozenset(READERS)
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
BUNDLE_SUFFIXES = (".json", ".json.gz")
DECLARED_TYPE = re.compile(r"([A-Z][A-Za-z]+)(?:[.\-_].*)?")

Kind = Literal["ndjson", "bundle"]


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: Kind
    declared_type: str | None  # from the manifest, else the file name (Patient.000.ndjson); None for Bundles
    compressed: bool
    size: int  # bytes on disk
    estimated_bytes: int  # uncompressed, estimated for gzip from its trailer

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Chunk:
    """Bytes ``start`` to ``end`` of a plain ndjson file (the lines that start in that range), or a whole file."""

    number: int
    file: InputFile
    start: int = 0
    end: int | None = None


@dataclass
class ExportInputs:
    files: list[InputFile] = field(default_factory=list)
    not_read: list[dict[str, str]] = field(default_factory=list)  # files of types the record does not read
    missing: list[str] = field(default_factory=list)  # listed in the manifest, absent from the folder
    manifest: str | None = None
    transaction_time: str | None = None
    export_errors: list[str] = field(default_factory=list)  # the manifest's OperationOutcome files

    @property
    def estimated_bytes(self) -> int:
        return sum(f.estimated_bytes for f in self.files)


def discover(path: Path, extra: tuple[Path, ...] = ()) -> ExportInputs:
    """The files to read under ``path`` (a folder or one file), plus ``extra`` files (an exposure file)."""
    if not path.exists():
        raise ScanInputError(f"{path} does not exist")
    found = ExportInputs()
    candidates = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    manifest = next((p for p in candidates if _is_manifest(p)), None)
    if manifest is not None:
        found.manifest = manifest.name
        candidates = _from_manifest(manifest, found)
    for file in (*candidates, *extra):
        _add(file, None, found)
    if not found.files and not found.not_read:
        raise ScanInputError(f"{path}: no ndjson, ndjson.gz or Bundle file to read")
    return found


def _add(file: Path, declared: str | None, found: ExportInputs) -> None:
    name = file.name.lower()
    compressed = name.endswith(".gz")
    if name.endswith(NDJSON_SUFFIXES):
        kind: Kind = "ndjson"
        match = DECLARED_TYPE.fullmatch(file.name)
        declared = declared or (match.group(1) if match and _is_resource_type(match.group(1)) else None)
    elif name.endswith(BUNDLE_SUFFIXES) and not _is_manifest(file):
        kind = "bundle"
    else:
        return
    if kind == "ndjson" and declared is not None and declared not in READ_TYPES:
        found.not_read.append({"file": file.name, "type": declared})
        return
    size = file.stat().st_size
    estimated = _gzip_size(file, size) if compressed else size
    found.files.append(InputFile(file, kind, declared, compressed, size, estimated))


def _is_resource_type(name: str) -> bool:
    try:
        get_fhir_model_class(name)
    except (KeyError, ValueError, ImportError, AttributeError):
        return False
    return True


def _is_manifest(file: Path) -> bool:
    if file.suffix != ".json" or file.stat().st_size > 10_000_000:
        return False
    try:
        document = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and isinstance(document.get("output"), list) and "resourceType" not in document


def _from_manifest(manifest: Path, found: ExportInputs) -> list[Path]:
    """The output files the manifest lists, found beside it by name; an entry with no file is reported."""
    document = orjson.loads(manifest.read_bytes())
    time = document.get("transactionTime")
    found.transaction_time = time if isinstance(time, str) else None
    found.export_errors = [_file_name(e.get("url")) for e in document.get("error") or () if isinstance(e, dict)]
    for entry in document["output"]:
        name = _file_name(entry.get("url")) if isinstance(entry, dict) else ""
        local = manifest.parent / name
        if not name or not local.is_file():
            found.missing.append(name or repr(entry)[:200])
            continue
        declared = entry.get("type")
        _add(local, declared if isinstance(declared, str) else None, found)
    return []


def _file_name(url: object) -> str:
    return Path(urlsplit(url).path).name if isinstance(url, str) else ""


def _gzip_size(file: Path, compressed: int) -> int:
    """The uncompressed size from the gzip trailer (modulo 4 GiB: raised until it exceeds the compressed size)."""
    with file.open("rb") as stream:
        if compressed < 18 or stream.read(2) != b"\x1f\x8b":
            return compressed
        stream.seek(-4, 2)
        (size,) = struct.unpack("<I", stream.read(4))
    while size < compressed:
        size += 1 << 32
    return int(size)


def chunks(inputs: ExportInputs, chunk_bytes: int) -> list[Chunk]:
    """Plain ndjson files cut every ``chunk_bytes``; gzip and Bundle files whole (they cannot be entered midway)."""
    found: list[Chunk] = []
    for file in inputs.files:
        if file.kind == "ndjson" and not file.compressed and file.size > chunk_bytes:
            for start in range(0, file.size, chunk_bytes):
                found.append(Chunk(len(found), file, start, min(start + chunk_bytes, file.size)))
        else:
            found.append(Chunk(len(found), file))
    return found

