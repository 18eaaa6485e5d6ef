"""Progress of a scan: a live bar on a terminal (rich), plain log lines at intervals otherwise, nothing with
``--quiet``."""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import Protocol

logger = logging.getLogger(__name__)

PLAIN_INTERVAL_SECONDS = 10.0


class Progress(Protocol):
    def __enter__(self) -> Progress: ...
    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        ...
    def start(self, phase: str, total: int, unit: str) -> None: ...
    def advance(self, amount: int, resources: int = 0, patients: int = 0) -> None: ...


def progress_for(quiet: bool) -> Progress:
    if quiet:
        return Silent()
    return TerminalBar() if sys.stderr.isatty() else PlainLines()


class Silent:
    def __enter__(self) -> Silent:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def start(self, phase: str, total: int, unit: str) -> None:
        return None

    def advance(self, amount: int, resources: int = 0, patients: int = 0) -> None:
        return None


class _Counts:
    def __init__(self) -> None:
        self.phase, self.total, self.unit, self.done = "", 0, "", 0
        self.resources = self.patients = 0
        self.started = time.monotonic()

    def reset(self, phase: str, total: int, unit: str) -> None:
        self.phase, self.total, self.unit, self.done = phase, total, unit, 0
        self.resources = self.patients = 0
        self.started = time.monotonic()

    def add(self, amount: int, resources: int, patients: int) -> None:
        self.done += amount
        self.resources += resources
        self.patients += patients

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        share = self.done / self.total if self.total else 1.0
        eta = elapsed * (1 - share) / share if share else float("nan")
        done = _size(self.done) if self.unit == "bytes" else f"{self.done:,}"
        total = _size(self.total) if self.unit == "bytes" else f"{self.total:,}"
        unit = "" if self.unit == "bytes" else f" {self.unit}"
        return (f"{self.phase}: {done} of {total}{unit} ({share:.0%}), "
                f"{self.resources:,} resources, {self.patients:,} patients, "
                f"{self.patients / elapsed:,.0f} patients/s, ETA {eta:.0f} s")


def _size(value: int) -> str:
    return f"{value / 1e9:.2f} GB" if value >= 1e8 else f"{value / 1e6:.1f} MB"


class PlainLines:
    """A log line when a phase starts, every PLAIN_INTERVAL_SECONDS, and when it ends."""

    def __init__(self) -> None:
        self.counts = _Counts()
        self.last = 0.0

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.counts.phase and kind is None:
            logger.info("%s", self.counts.line())

    def start(self, phase: str, total: int, unit: str) -> None:
        if self.counts.phase:
            logger.info("%s", self.counts.line())
        self.counts.reset(phase, total, unit)
        self.last = time.monotonic()

    def advance(self, amount: int, resources: int = 0, patients: int = 0) -> None:
        self.counts.add(amount, resources, patients)
        if time.monotonic() - self.last >= PLAIN_INTERVAL_SECONDS:
            self.last = time.monotonic()
            logger.info("%s", self.counts.line())


class TerminalBar:
    """rich's live bar on stderr: the phase, its bar, bytes or partitions done, resources and patients, rate, ETA."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[resources]:,} resources, {task.fields[patients]:,} patients, "
                       "{task.fields[rate]:,.0f} patients/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=False,
        )
        self.task: TaskID | None = None
        self.counts = _Counts()

    def __enter__(self) -> TerminalBar:
        self.bar.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.bar.__exit__(kind, exc, tb)

    def start(self, phase: str, total: int, unit: str) -> None:
        self.counts.reset(phase, total, unit)
        self.task = self.bar.add_task(phase, total=total or 1, resources=0, patients=0, rate=0.0)

    def advance(self, amount: int, resources: int = 0, patients: int = 0) -> None:
        if self.task is None:
            return
        self.counts.add(amount, resources, patients)
        rate = self.counts.patients / max(time.monotonic() - self.counts.started, 1e-9)
        self.bar.update(self.task, advance=amount, resources=self.counts.resources, patients=self.counts.patients,
                        rate=rate)
