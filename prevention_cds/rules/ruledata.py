"""Versioned rule data: every number the rules use, with its source and the date it took effect.

A value is one entry or a list of entries; the entry in force on the evaluation date is the one with the
latest ``effective`` date not after it (and before its ``until``, when set). A guideline change is a new
entry, not a code change. Each rule set reads its file once per day evaluated, through ``RuleData.on``, into
its typed parameter record (``rules/iim/parameters.py``, ``rules/mmr/parameters.py``); the values shared by
both sets are in ``common.json`` (``rules/common_parameters.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from prevention_cds.rules.advice import GuidelineRef
from prevention_cds.rules.citation import Cited, Statement


class RuleDataError(ValueError):
    """Rule data that does not load, or a value that is not in force on the date asked."""


@dataclass(frozen=True)
class RuleValue:
    name: str
    value: Any  # None for a statement (a cited rule without a number)
    unit: str | None
    ref: GuidelineRef
    effective: date
    until: date | None
    note: str | None
    see: str | None  # the project's cross-reference (docs/clinical-reference.md); never shown to a clinician


def _read_json(name: str) -> Any:
    return json.loads(resources.files("prevention_cds.rules").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def guideline_sources() -> dict[str, dict[str, str]]:
    documents: dict[str, dict[str, str]] = _read_json("sources.json")["documents"]
    return documents


@cache
def _schema() -> Any:
    return _read_json("ruledata.schema.json")


class RuleData:
    """One rule set's file, checked against ``ruledata.schema.json`` and its sources when loaded."""

    def __init__(self, document: dict[str, Any]) -> None:
        jsonschema.validate(document, _schema())
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
                        value=entry.get("value"),
                        unit=entry.get("unit"),
                        ref=GuidelineRef(entry["source"], entry["section"], entry.get("row", "")),
                        effective=date.fromisoformat(entry["effective"]),
                        until=date.fromisoformat(entry["until"]) if "until" in entry else None,
                        note=entry.get("note"),
                        see=entry.get("see"),
                    )
                )
            self._values[name] = sorted(versions, key=lambda v: v.effective)

    @classmethod
    def load(cls, ruleset: str) -> RuleData:
        return _load_cached(ruleset)

    def names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def references(self) -> frozenset[GuidelineRef]:
        """Every section the file gives a source for, in any version: all a card of this set may cite."""
        return frozenset(v.ref for versions in self._values.values() for v in versions)

    def versions(self, name: str) -> tuple[RuleValue, ...]:
        return tuple(self._sorted_versions(name))

    def _sorted_versions(self, name: str) -> list[RuleValue]:
        try:
            return self._values[name]
        except KeyError as exc:
            raise RuleDataError(f"{self.ruleset}: no rule value named {name!r}") from exc

    def get(self, name: str, on: date) -> RuleValue:
        """The version in force on a day: of those in force, the one that took effect last."""
        for version in reversed(self._sorted_versions(name)):  # sorted by the day they took effect
            if version.effective <= on and (version.until is None or on < version.until):
                return version
        raise RuleDataError(f"{self.ruleset}.{name}: no value in force on {on.isoformat()}")

    def on(self, day: date) -> DayValues:
        return DayValues(self, day)


class DayValues:
    """The values of one rule set in force on one day, read by name once, by the set's parameter record.

    ``check_all_read`` at the end makes a value of the file that no rule reads an error, not dead data.
    """

    def __init__(self, data: RuleData, day: date) -> None:
        self._data = data
        self._day = day
        self._read: set[str] = set()

    def _entry(self, name: str) -> RuleValue:
        self._read.add(name)
        return self._data.get(name, self._day)

    def _fail(self, name: str, expected: str) -> RuleDataError:
        return RuleDataError(f"{self._data.ruleset}.{name} is not {expected}")

    def raw(self, name: str) -> Cited[Any]:
        """A table, for the rule set to parse into its own types."""
        entry = self._entry(name)
        if entry.value is None:
            raise self._fail(name, "a value")
        return Cited(entry.value, entry.ref)

    def integer(self, name: str) -> Cited[int]:
        entry = self._entry(name)
        if not isinstance(entry.value, int) or isinstance(entry.value, bool):
            raise self._fail(name, "an integer")
        return Cited(entry.value, entry.ref)

    def decimal(self, name: str) -> Cited[Decimal]:
        entry = self._entry(name)
        if isinstance(entry.value, bool) or not isinstance(entry.value, int | float | str):
            raise self._fail(name, "a number")
        return Cited(Decimal(str(entry.value)), entry.ref)

    def day(self, name: str) -> Cited[date]:
        entry = self._entry(name)
        if not isinstance(entry.value, str):
            raise self._fail(name, "a date")
        return Cited(date.fromisoformat(entry.value), entry.ref)

    def flag(self, name: str) -> Cited[bool]:
        entry = self._entry(name)
        if not isinstance(entry.value, bool):
            raise self._fail(name, "a boolean")
        return Cited(entry.value, entry.ref)

    def text(self, name: str) -> Cited[str]:
        entry = self._entry(name)
        if not isinstance(entry.value, str):
            raise self._fail(name, "a text")
        return Cited(entry.value, entry.ref)

    def texts(self, name: str) -> Cited[tuple[str, ...]]:
        entry = self._entry(name)
        if not isinstance(entry.value, list) or not all(isinstance(v, str) for v in entry.value):
            raise self._fail(name, "a list of texts")
        return Cited(tuple(entry.value), entry.ref)

    def statement(self, name: str) -> Statement:
        entry = self._entry(name)
        if entry.value is not None:
            raise self._fail(name, "a statement (an entry without a value)")
        return Cited(None, entry.ref)

    def names_starting(self, prefix: str) -> tuple[str, ...]:
        """The names of a family of values (``interaction_``), in the file's order."""
        return tuple(name for name in self._data.names() if name.startswith(prefix))

    def check_all_read(self) -> None:
        unread = sorted(set(self._data.names()) - self._read)
        if unread:
            raise RuleDataError(f"{self._data.ruleset}: values no rule reads: {', '.join(unread)}")


@cache
def _load_cached(ruleset: str) -> RuleData:
    return RuleData(_read_json(f"{ruleset}.json"))
