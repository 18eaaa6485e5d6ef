"""The on-disk partitions: resources keyed by patient, spilled by routing tasks in runs, read back per partition.

A run is one file holding, for every partition, the contiguous segment of the lines routed to it, and an index
of (offset, length) per partition beside it. Each line is ``<patient id>\\t<resource JSON>\\n``: a patient id is
a FHIR id (letters, digits, '-' and '.'), so the tab cannot occur in it, and JSON text has no raw newline.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zlib import crc32


@dataclass(frozen=True)
class WorkDir:
    root: Path

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def line_errors(self) -> Path:
        return self.root / "line-errors"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def create(self) -> WorkDir:
        for folder in (self.runs, self.line_errors, self.results):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def result_of(self, partition: int) -> Path:
        return self.results / f"p{partition:05d}.ndjson"

    def errors_of(self, chunk: int) -> Path:
        return self.line_errors / f"c{chunk:06d}.ndjson"


class RunWriter:
    """Buffers routed lines by partition and spills them as a run when the buffer reaches ``limit`` bytes."""

    def __init__(self, work: WorkDir, chunk: int, partitions: int, limit: int) -> None:
        self.work, self.chunk, self.partitions, self.limit = work, chunk, partitions, limit
        self.buffers: list[list[bytes]] = [[] for _ in range(partitions)]
        self.buffered = 0
        self.runs = 0

    def add(self, patient_id: bytes, line: bytes) -> None:
        # the partition: CRC-32 of the id, a stable hash (the same in every process and on every machine)
        self.buffers[crc32(patient_id) % self.partitions].append(b"%s\t%s\n" % (patient_id, line))
        self.buffered += len(line) + len(patient_id) + 2
        if self.buffered >= self.limit:
            self.flush()

    def flush(self) -> None:
        if not self.buffered:
            return
        path = self.work.runs / f"c{self.chunk:06d}-{self.runs:04d}.run"
        index = array("Q")
        offset = 0
        with path.open("wb") as stream:
            for buffer in self.buffers:
                data = b"".join(buffer)
                stream.write(data)
                index.extend((offset, len(data)))
                offset += len(data)
                buffer.clear()
        with path.with_suffix(".idx").open("wb") as stream:
            index.tofile(stream)
        self.buffered = 0
        self.runs += 1


def partition_lines(work: WorkDir, partition: int, partitions: int) -> Iterator[bytes]:
    """Every line routed to ``partition``, run after run (the run files are named in routing order)."""
    for index_path in sorted(work.runs.glob("*.idx")):
        entry = array("Q")
        with index_path.open("rb") as stream:
            stream.seek(entry.itemsize * 2 * partition)
            entry.fromfile(stream, 2)
        offset, length = entry
        if not length:
            continue
        with index_path.with_suffix(".run").open("rb") as stream:
            stream.seek(offset)
            data = stream.read(length)
        yield from data[:-1].split(b"\n")  # every line ends with a newline, and holds no other
