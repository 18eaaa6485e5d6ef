"""Logs and metrics.

Logs: one JSON object a line, with the request id and the hookInstance of the call; they never hold patient
data or tokens (callers log types, counts and reasons only). Metrics: Prometheus, aggregated over gunicorn
workers through prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime

from flask import g, has_request_context
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("prevention_cds_requests_total", "HTTP requests answered", ["endpoint", "service", "status"])
LATENCY = Histogram(
    "prevention_cds_request_seconds", "Time to answer an HTTP request", ["endpoint", "service"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FHIR_FETCH_FAILURES = Counter("prevention_cds_fhir_fetch_failures_total", "FHIR fetches that gave no usable data")
AUTH_REJECTIONS = Counter("prevention_cds_auth_rejections_total", "Calls refused with 401")
CARDS = Counter("prevention_cds_cards_total", "Cards returned", ["service", "indicator"])


def metrics_payload() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(DEFAULT_REGISTRY)


def trace_without_values(error: BaseException) -> str:
    """Where ``error`` (and the exceptions it came from) were raised: types and code lines, never their
    messages, which may hold a patient reference or any other value of the request."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__} (message withheld)\n{frames}")
        current = current.__cause__ or current.__context__
    return "\nwhich came from ".join(parts)


class RequestContextFilter(logging.Filter):
    """Adds the request id and the hookInstance of the current call to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.hook_instance = g.get("hook_instance")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "hook_instance"):
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
