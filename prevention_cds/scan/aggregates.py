"""The aggregate table: patients counted by status and by MMR doses counted, for each birth cohort, age band,
sex and département. Partitions count their own patients; the runner adds the counts up (they are small)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

DIMENSIONS = ("birth_year", "age_band", "sex", "departement")
MEASURES = ("mmr_status", "mmr_doses_counted")
UNKNOWN = "unknown"


@cache
def report_data() -> dict[str, Any]:
    text = resources.files("prevention_cds.scan").joinpath("data", "report.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def age_band(birth_date: str | None, today: date) -> str:
    """The band of the youngest age the (possibly partial) birth date allows on ``today``."""
    if birth_date is None:
        return UNKNOWN
    parts = [int(p) for p in birth_date.split("-")]
    year, month, day = parts[0], parts[1] if len(parts) > 1 else 12, parts[2] if len(parts) > 2 else 31
    age = today.year - year - ((today.month, today.day) < (month, day))
    bounds: list[int] = report_data()["age_bands_from_years"]["value"]
    if age < 0:
        return UNKNOWN
    for low, high in zip(bounds, [*bounds[1:], None], strict=True):
        if high is None or age < high:
            return f"{low}+" if high is None else (f"{low}" if high == low + 1 else f"{low}-{high - 1}")
    return UNKNOWN  # pragma: no cover (the last band is open)


def doses_bucket(counted: int | None) -> str:
    return UNKNOWN if counted is None else ("2+" if counted >= 2 else str(counted))


@dataclass(frozen=True)
class PatientFacts:
    groups: tuple[tuple[str, str], ...]  # (dimension, group)
    status: str
    doses: str

    @staticmethod
    def of(row: dict[str, Any], today: date) -> PatientFacts:
        groups = (
            ("birth_year", str(row["birth_year"]) if row["birth_year"] is not None else UNKNOWN),
            # a birth date that cannot be read has no birth year, and no age band either
            ("age_band", age_band(row["birth_date"] if row["birth_year"] is not None else None, today)),
            ("sex", row["sex"] or UNKNOWN),
            ("departement", row["departement"] or UNKNOWN),
        )
        return PatientFacts(groups, row["mmr_status"], doses_bucket(row["mmr_doses_counted"]))


@dataclass
class Aggregates:
    counts: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # dimension, group, measure, value

    def add(self, facts: PatientFacts) -> None:
        for dimension, group in facts.groups:
            self.counts[(dimension, group, "mmr_status", facts.status)] += 1
            self.counts[(dimension, group, "mmr_doses_counted", facts.doses)] += 1

    def merge(self, other: Aggregates) -> None:
        self.counts.update(other.counts)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"dimension": d, "group": g, "measure": m, "value": v, "patients": n}
            for (d, g, m, v), n in sorted(self.counts.items(), key=lambda item: (DIMENSIONS.index(item[0][0]),
                                                                                  *item[0][1:]))
        ]

    def table(self, dimension: str, measure: str) -> dict[str, Counter[str]]:
        """group -> value -> patients."""
        found: dict[str, Counter[str]] = {}
        for (d, g, m, v), n in self.counts.items():
            if d == dimension and m == measure:
                found.setdefault(g, Counter())[v] += n
        return found
