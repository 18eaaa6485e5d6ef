"""The output tables, written with pyarrow: Parquet for analysis tools, CSV for spreadsheets, streamed partition by
partition so that memory does not grow with the population."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

PATIENT_FIELDS = [
    pa.field("patient_id", pa.string(), nullable=False),
    pa.field("birth_date", pa.string()),  # as recorded: YYYY, YYYY-MM or YYYY-MM-DD, or as written when unreadable
    pa.field("birth_year", pa.int16()),
    pa.field("sex", pa.string()),
    pa.field("postal_code", pa.string()),
    pa.field("departement", pa.string()),
    pa.field("mmr_doses_counted", pa.int8()),
    pa.field("mmr_doses_rejected", pa.int8()),
    pa.field("mmr_status", pa.string(), nullable=False),
    pa.field("mmr_next_dose", pa.date32()),
    pa.field("mmr_reason", pa.string()),
    pa.field("mmr_rule", pa.string()),
    pa.field("skipped_resources", pa.int32()),
    pa.field("unreadable_values", pa.string()),  # element: value as written (Type/id); ...
]
IIM_FIELDS = [pa.field("iim_rules", pa.string()), pa.field("iim_indicator", pa.string())]
AGGREGATE_SCHEMA = pa.schema([
    pa.field("dimension", pa.string()), pa.field("group", pa.string()), pa.field("measure", pa.string()),
    pa.field("value", pa.string()), pa.field("patients", pa.int64()),
])
ERROR_COLUMNS = ("file", "line", "entry", "severity", "reason")


def patient_schema(with_iim: bool) -> pa.Schema:
    return pa.schema(PATIENT_FIELDS + (IIM_FIELDS if with_iim else []))


def _tables(result_files: Iterable[Path], schema: pa.Schema) -> Iterator[pa.Table]:
    """Each partition's rows, parsed by Arrow's JSON reader (dates read as text, then cast)."""
    text_schema = pa.schema([f.with_type(pa.string()) if f.type == pa.date32() else f for f in schema])
    options = pa_json.ParseOptions(explicit_schema=text_schema, unexpected_field_behavior="error")
    for path in result_files:
        if not path.stat().st_size:
            continue
        table = pa_json.read_json(path, parse_options=options, read_options=pa_json.ReadOptions(use_threads=False))
        yield table.select(schema.names).cast(schema)


def write_patients(result_files: list[Path], out: Path, with_iim: bool) -> int:
    """patients.parquet and patients.csv from the partitions' rows, in partition order; returns the row count."""
    schema = patient_schema(with_iim)
    count = 0
    with pq.ParquetWriter(out / "patients.parquet", schema, compression="zstd") as parquet, \
            pa_csv.CSVWriter(out / "patients.csv", schema) as table_csv:
        for table in _tables(result_files, schema):
            parquet.write_table(table)
            table_csv.write_table(table)
            count += table.num_rows
    return count


def write_aggregates(rows: list[dict[str, Any]], out: Path) -> None:
    table = pa.Table.from_pylist(rows, schema=AGGREGATE_SCHEMA)
    pq.write_table(table, out / "aggregates.parquet", compression="zstd")
    pa_csv.write_csv(table, out / "aggregates.csv")


def write_errors(chunk_errors: Iterable[tuple[Path, int]], out: Path) -> int:
    """errors.csv: every reported line of every chunk, its line number made absolute (``offset`` lines before the
    chunk in its file). Returns how many rows."""
    count = 0
    with (out / "errors.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=ERROR_COLUMNS)
        writer.writeheader()
        for path, offset in chunk_errors:
            if not path.exists():
                continue
            with path.open("rb") as errors:
                for line in errors:
                    row = orjson.loads(line)
                    if row["line"] is not None:
                        row["line"] += offset
                    writer.writerow(row)
                    count += 1
    return count
