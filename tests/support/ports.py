"""Processes the tests start: a free TCP port to give a server, and the children of a process (gunicorn's workers);
the same helpers as the benchmarks'."""

from __future__ import annotations

from bench.harness.processes import children, free_port

__all__ = ["children", "free_port"]
