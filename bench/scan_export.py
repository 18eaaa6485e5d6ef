"""A synthetic Bulk Data export of N patients made from the repository's test export, with fresh ids.

    .venv/bin/python -m bench.scan_export OUT --patients 100000 [--per-file 100000] [--gzip] [--seed 1]

Patient ``i`` copies template patient ``i mod 120`` of ``tests/data/synthea-bulk-100`` (deceased ones included)
with every resource: new ids for the patient and each of its resources, references rewritten, and a French home
address (one of the postal codes below, chosen by ``i``) so that the département breakdown has data. Files are
written per type and split every ``--per-file`` patients (``Patient.000.ndjson``, ``Immunization.001.ndjson``...),
as exports from servers are, plus the ``$export`` manifest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import IO

TEMPLATE = Path(__file__).resolve().parents[1] / "tests" / "data" / "synthea-bulk-100"
TYPES = ("Patient", "Immunization", "AllergyIntolerance")
# Postal codes of 24 départements, mainland, Corsica and overseas (synthetic addresses)
POSTAL_CODES = (
    "75011", "69003", "13005", "31000", "33000", "59000", "67000", "44000", "34000", "06000", "35000", "38000",
    "76000", "57000", "63000", "21000", "29200", "80000", "20000", "20200", "97110", "97200", "97400", "97600",
)
PLACEHOLDER_PATIENT = "{{patient}}"
PLACEHOLDER_POSTAL = "{{postal}}"


def _templates() -> tuple[list[str], dict[str, dict[str, list[str]]]]:
    """Patient ids in file order, and per patient per type the resource lines with placeholders for new ids."""
    patients: list[str] = []
    lines: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for kind in TYPES:
        for raw in (TEMPLATE / f"{kind}.000.ndjson").read_text(encoding="utf-8").splitlines():
            resource = json.loads(raw)
            if kind == "Patient":
                patient_id = resource["id"]
                patients.append(patient_id)
                resource["address"] = [{"use": "home", "line": ["1 rue de l'Exemple"], "city": "Exemple",
                                        "postalCode": PLACEHOLDER_POSTAL, "country": "FR"}]
            else:
                patient_id = resource["patient"]["reference"].removeprefix("Patient/")
            text = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
            text = text.replace(patient_id, PLACEHOLDER_PATIENT)
            if kind != "Patient":
                text = text.replace(resource["id"], "{{id}}")
            lines[patient_id][kind].append(text)
    return patients, lines


def _open(path: Path, compress: bool) -> IO[str]:
    if compress:
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=1)
    return path.open("w", encoding="utf-8", buffering=1 << 20)


def fresh_id(kind: int, number: int) -> str:
    """A UUID-shaped id, unique per (kind, number)."""
    return f"{kind:08x}-0000-4000-8000-{number:012x}"


def generate(out: Path, patients: int, per_file: int, compress: bool) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    template_ids, templates = _templates()
    counts: dict[str, int] = defaultdict(int)
    outputs: list[dict[str, str]] = []
    streams: dict[str, IO[str]] = {}
    suffix = ".ndjson.gz" if compress else ".ndjson"
    resource_number = 0
    for number in range(patients):
        if number % per_file == 0:
            for stream in streams.values():
                stream.close()
            part = number // per_file
            streams = {}
            for kind in TYPES:
                name = f"{kind}.{part:03d}{suffix}"
                path = out / name
                streams[kind] = _open(path, compress)
                outputs.append({"type": kind, "url": f"https://bulk.example.org/files/{name}"})
        template = templates[template_ids[number % len(template_ids)]]
        patient_id = fresh_id(1, number)
        postal = POSTAL_CODES[number % len(POSTAL_CODES)]
        for kind in TYPES:
            stream = streams[kind]
            for text in template[kind]:
                resource_number += 1
                line = text.replace(PLACEHOLDER_PATIENT, patient_id)
                line = line.replace(PLACEHOLDER_POSTAL, postal) if kind == "Patient" else (
                    line.replace("{{id}}", fresh_id(2, resource_number)))
                stream.write(line)
                stream.write("\n")
                counts[kind] += 1
    for stream in streams.values():
        stream.close()
    manifest = {"transactionTime": "2026-11-21T09:00:00+01:00", "request": "https://bulk.example.org/$export",
                "requiresAccessToken": False, "output": outputs, "error": []}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=100_000)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.out, args.patients, args.per_file, args.gzip)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(json.dumps({"out": str(args.out), "patients": args.patients, "resources": counts, "bytes": size,
                      "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
