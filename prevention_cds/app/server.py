"""Production serving with gunicorn: worker count, timeouts and graceful shutdown."""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from prevention_cds.settings import Settings


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
        # gunicorn >= 25.1 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl): a second
        # instance takes it over and the first to stop deletes it, so `gunicornc` would steer the wrong server.
        # The service is managed by signals (TERM, HUP, TTIN/TTOU) instead.
        "control_socket_disable": True,
    }


# A call allocates a few thousand short-lived objects (parsed JSON, pydantic models); with the default gen-0
# threshold of 700 that is several collections a call, and the older generations then hold the whole app
# (ValueSets, pydantic schemas), which every full collection walks again. See docs/performance.md.
GEN0_THRESHOLD = 5000


def settle_heap() -> None:
    """Before forking: move what the app built at start-up out of the collector's reach (``gc.freeze``), so
    collections in the workers walk only what a call allocates, and copy-on-write pages stay shared."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


def run_gunicorn(app: Flask, settings: Settings) -> None:
    from prevention_cds.app.services import services
    from prevention_cds.app.warmup import warm_up

    warm_up(services(app).evaluator)  # imports and caches filled once, shared by the workers
    from prevention_cds.workspace import documents

    documents.warm_up()
    settle_heap()
    _Gunicorn(app, gunicorn_options(settings)).run()
