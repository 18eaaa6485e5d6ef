"""Versioned rule data: every number the rules use, with its source and the date it took effect.

A value is one entry or a list of entries; the entry in force on the evaluation date is the one with the
latest ``effective`` date not after it (and before its ``until``, when set). A guideline change is a new
entry, not a code change.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from prevention_cds.rules.advice import GuidelineRef


class RuleDataError(ValueError):
    """Rule data that does not load, or a value that is not in force on the date asked."""


@dataclass(frozen=True)
class RuleValue:
    name: str
    value: Any
    unit: str | None
    ref: GuidelineRef
    effective: date
    until: date | None
    note: str | None


def _read_json(name: str) -> Any:
    return json.loads(resources.files("prevention_cds.rules").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def guideline_sources() -> dict[str, dict[str, str]]:
    documents: dict[str, dict[str, str]] = _read_json("sources.json")["documents"]
    return documents


class RuleData:
    def __init__(self, document: dict[str, Any]) -> None:
        jsonschema.validate(document, _read_json("ruledata.schema.json"))
        sources = guideline_sources()
        self.ruleset: str = document["ruleset"]
        self.version: str = document["version"]
        self._values: dict[str, list[RuleValue]] = {}
        for name, raw in document["values"].items():
            entries = raw if isinstance(raw, list) else [raw]
            versions = []
            for entry in entries:
                if entry["source"] not in sources:
                    raise RuleDataError(f"{self.ruleset}.{name}: unknown source {entry['source']!r}")
                versions.append(
                    RuleValue(
                        name=name,
                        value=entry["value"],
                        unit=entry.get("unit"),
                        ref=GuidelineRef(entry["source"], entry["section"]),
                        effective=date.fromisoformat(entry["effective"]),
                        until=date.fromisoformat(entry["until"]) if "until" in entry else None,
                        note=entry.get("note"),
                    )
                )
            self._values[name] = sorted(versions, key=lambda v: v.effective)

    @classmethod
    def load(cls, ruleset: str) -> RuleData:
        return _load_cached(ruleset)

    def names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def _sorted_versions(self, name: str) -> list[RuleValue]:
        try:
            return self._values[name]
        except KeyError as exc:
            raise RuleDataError(f"{self.ruleset}: no rule value named {name!r}") from exc

    def versions(self, name: str) -> tuple[RuleValue, ...]:
        return tuple(self._sorted_versions(name))

    def get(self, name: str, on: dt.date) -> RuleValue:
        """The version in force on a day: of those in force, the one that took effect last."""
        for version in reversed(self._sorted_versions(name)):  # sorted by the day they took effect
            if version.effective <= on and (version.until is None or on < version.until):
                return version
        raise RuleDataError(f"{self.ruleset}.{name}: no value in force on {on.isoformat()}")

    def int(self, name: str, on: dt.date) -> int:
        value = self.get(name, on).value
        if not isinstance(value, int) or isinstance(value, bool):
            raise RuleDataError(f"{self.ruleset}.{name} is not an integer")
        return value

    def decimal(self, name: str, on: dt.date) -> Decimal:
        value = self.get(name, on).value
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RuleDataError(f"{self.ruleset}.{name} is not a number")
        return Decimal(str(value))

    def date(self, name: str, on: dt.date) -> dt.date:
        value = self.get(name, on).value
        if not isinstance(value, str):
            raise RuleDataError(f"{self.ruleset}.{name} is not a date")
        return date.fromisoformat(value)

    def flag(self, name: str, on: dt.date) -> bool:
        value = self.get(name, on).value
        if not isinstance(value, bool):
            raise RuleDataError(f"{self.ruleset}.{name} is not a boolean")
        return value

    def ref(self, name: str, on: dt.date) -> GuidelineRef:
        return self.get(name, on).ref


@cache
def _load_cached(ruleset: str) -> RuleData:
    return RuleData(_read_json(f"{ruleset}.json"))
