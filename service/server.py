"""Production serving with gunicorn: worker count, timeouts and graceful shutdown."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from service.config import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _child_exit(_server: Any, worker: Any) -> None:
    # metrics of a worker that ended stay counted; its live gauges are dropped
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers or 2 * multiprocessing.cpu_count() + 1,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": int(settings.fhir_deadline_seconds) + 20,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "limit_request_line": 8190,
        "child_exit": _child_exit,
    }


def run_gunicorn(app: Flask, settings: Settings) -> None:
    _Gunicorn(app, gunicorn_options(settings)).run()
