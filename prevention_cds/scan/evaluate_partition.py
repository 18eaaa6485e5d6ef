"""An evaluation task: one partition's resources grouped by patient, each patient through the services' record and
rules (``prevention_cds.evaluate.evaluate_patient``), one row per patient and the partition's aggregates.

Rows go to the partition's result file (JSON lines, sorted by patient id); the runner turns them into the
tables. Only advice is computed: no card is rendered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import Any

import orjson

from prevention_cds.evaluate import PatientEvaluation, RuleSet, evaluate_patient
from prevention_cds.fhir_in.demographics import demographics_of
from prevention_cds.rules.advice import Advice, Indicator
from prevention_cds.rules.facts import UnreadableValue
from prevention_cds.rules.iim import IimRules
from prevention_cds.rules.mmr import MmrRules
from prevention_cds.rules.ruleset import RuleSettings
from prevention_cds.rules.status import vaccination_status
from prevention_cds.scan.aggregates import Aggregates, PatientFacts
from prevention_cds.scan.partitions import WorkDir, partition_lines
from prevention_cds.terminology.index import CodeIndex

RECORD_LOGGER = "prevention_cds.fhir_in"
INDICATOR_ORDER = (Indicator.CRITICAL, Indicator.WARNING, Indicator.INFO)


@dataclass(frozen=True)
class EvaluateTask:
    partition: int
    partitions: int
    work: WorkDir
    now: datetime
    with_iim: bool
    rule_settings: RuleSettings = field(default_factory=RuleSettings)


@dataclass
class PartitionResult:
    partition: int
    patients: int = 0  # evaluated, one row each
    resources: int = 0  # read from the partition
    deceased: int = 0  # excluded
    deceased_unreadable: int = 0  # a deceasedDateTime that is not a date: evaluated
    absent_patients: int = 0  # referenced by resources, but no Patient resource in the export
    absent_patient_resources: int = 0
    skipped_resources: int = 0  # resources the record builder could not use (malformed typed elements)
    with_unreadable_values: int = 0  # patients with a value the rules could not read (a date of 2026-13-45)
    aggregates: Aggregates = field(default_factory=Aggregates)


@cache
def _code_index() -> CodeIndex:
    return CodeIndex.load()


def evaluate_partition(task: EvaluateTask) -> PartitionResult:
    result = PartitionResult(task.partition)
    by_patient: dict[bytes, list[bytes]] = defaultdict(list)
    for line in partition_lines(task.work, task.partition, task.partitions):
        key, _, resource = line.partition(b"\t")
        by_patient[key].append(resource)
    rule_sets: dict[str, RuleSet] = {"mmr": MmrRules()}
    if task.with_iim:
        rule_sets["iim"] = IimRules()
    # The up-to-date advice says why nothing is owed (complete, immune, not yet due) and which doses counted.
    rule_settings = replace(task.rule_settings, info_card_when_up_to_date=True)
    today = task.now.date()
    with task.work.result_of(task.partition).open("wb") as rows, _unreadable_values_in_rows():
        for key in sorted(by_patient):
            resources = [orjson.loads(line) for line in by_patient.pop(key)]
            result.resources += len(resources)
            patient_id = key.decode("ascii")
            patient = next((r for r in resources if r["resourceType"] == "Patient" and r.get("id") == patient_id), None)
            if patient is None:
                result.absent_patients += 1
                result.absent_patient_resources += len(resources)
                continue
            demographics = demographics_of(patient, today)
            result.deceased_unreadable += demographics.deceased_unreadable
            if demographics.deceased:
                result.deceased += 1
                continue
            evaluation = evaluate_patient(patient_id, resources, rule_sets, task.now, rule_settings, _code_index())
            row = _row(evaluation, demographics.postal_code, demographics.departement, task.with_iim)
            rows.write(orjson.dumps(row) + b"\n")
            result.patients += 1
            result.skipped_resources += evaluation.record.skipped_resources
            result.with_unreadable_values += bool(evaluation.record.unreadable)
            result.aggregates.add(PatientFacts.of(row, today))
    return result


@contextmanager
def _unreadable_values_in_rows() -> Iterator[None]:
    """The record builder logs each value it cannot read; the scan gives them in its rows (``unreadable_values``,
    ``skipped_resources``) with the patient, so a line per resource on stderr says nothing more."""
    record_logger = logging.getLogger(RECORD_LOGGER)
    level = record_logger.level
    record_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        record_logger.setLevel(level)


def _row(
    evaluation: PatientEvaluation, postal_code: str | None, departement: str | None, with_iim: bool
) -> dict[str, Any]:
    record = evaluation.record
    mmr = vaccination_status(a for a in evaluation.advice if a.rule.startswith("mmr."))
    row: dict[str, Any] = {
        "patient_id": record.patient_id,
        # as recorded: a birth date that cannot be read is kept as written (and listed in unreadable_values)
        "birth_date": record.birth_date.isoformat() if record.birth_date else record.unreadable_birth_date,
        "birth_year": record.birth_date.year if record.birth_date else None,
        "sex": record.sex.value if record.sex else None,
        "postal_code": postal_code,
        "departement": departement,
        "mmr_doses_counted": mmr.doses_counted,
        "mmr_doses_rejected": mmr.doses_rejected,
        "mmr_status": mmr.status,
        "mmr_next_dose": mmr.next_dose.isoformat() if isinstance(mmr.next_dose, date) else None,
        "mmr_reason": mmr.reason,
        "mmr_rule": mmr.rule,
        "skipped_resources": record.skipped_resources,
        "unreadable_values": unreadable_values_text(record.unreadable),
    }
    if with_iim:
        iim = [a for a in evaluation.advice if a.rule.startswith("iim.")]
        row["iim_rules"] = ";".join(a.rule for a in iim) or None
        row["iim_indicator"] = _most_pressing_indicator(iim)
    return row


def unreadable_values_text(values: Iterable[UnreadableValue]) -> str | None:
    """``element: value as written (Type/id)`` for each value the rules could not read, ``; ``-separated."""
    text = "; ".join(f"{v.element.value}: {v.text}" + (f" ({v.source_id})" if v.source_id else "") for v in values)
    return text or None


def _most_pressing_indicator(advice: list[Advice]) -> str | None:
    found = {a.indicator for a in advice}
    return next((i.value for i in INDICATOR_ORDER if i in found), None)
