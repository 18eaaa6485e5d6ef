"""Production serving: gunicorn's master (graceful stop, reload and worker count by signals) over gevent workers
that balance new connections between them (``balanced_worker.py``).

Slow clients must not hold the service: a connection that sends its request a byte at a time costs a gevent
worker a greenlet, not one of a few threads, so the others are still answered (docs/testing.md, slowloris). Each
request's header block must arrive within ``PREVENTION_CDS_HEADER_TIMEOUT_SECONDS`` (gunicorn's gevent worker
bounds the header read of every request, the first of a connection included, by its keep-alive time) and its body
within ``PREVENTION_CDS_BODY_TIMEOUT_SECONDS`` (:func:`bounded_body`, which reads the whole body before the
application sees it); past either the connection is closed (408 for a body).

gevent's monkey patching must come before anything else is imported (``prevention_cds.app.cli`` patches first
thing when it serves): blocking calls then yield to the other requests of the worker (socket reads and writes,
the FHIR fetches, which run in parallel as greenlets).
"""

from __future__ import annotations

import gc
import io
import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from prevention_cds.app.errors import operation_outcome
from prevention_cds.cores import usable_cores
from prevention_cds.settings import Settings

WORKER_CONNECTIONS = 1000  # per worker: open connections (slow ones included) before it stops accepting

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
    from prevention_cds.app.balanced_worker import worker_exited

    worker_exited(worker.age)  # its connections no longer count in the balance
    # metrics of a worker that ended stay counted; its live gauges are dropped
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        # One per usable core: fewer process switches and warmer caches than 2 x cores + 1 (15-30 % less CPU per
        # CDS call); a gevent worker runs one request at a time, so long workspace actions give way (give_way).
        "workers": settings.workers or usable_cores(),
        # gunicorn's gevent worker, balancing new connections across the workers (app/balanced_worker.py)
        "worker_class": "prevention_cds.app.balanced_worker.BalancedGeventWorker",
        "worker_connections": WORKER_CONNECTIONS,
        "timeout": int(settings.fhir_deadline_seconds) + 20,
        "graceful_timeout": 20,
        # the gevent worker reads each request's header block within the keep-alive time
        "keepalive": settings.header_timeout_seconds,
        # X-Forwarded-Proto and the like are believed only from these peers (none unless configured)
        "forwarded_allow_ips": ",".join(settings.trusted_proxies),
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


def bounded_body(wsgi_app: WsgiApp, seconds: float, max_bytes: int) -> WsgiApp:
    """``wsgi_app`` behind a reader of the whole request body, which must arrive within ``seconds`` (else 408 and
    the connection closes). A body declared larger than ``max_bytes`` is left to the application (413, unread);
    one that turns out larger is read up to ``max_bytes + 1`` bytes, so the application sees it is too large."""
    import gevent

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and (not declared.isdigit() or int(declared) == 0 or int(declared) > max_bytes):
            return wsgi_app(environ, start_response)
        try:
            with gevent.Timeout(seconds):
                body = environ["wsgi.input"].read(max_bytes + 1)
        except gevent.Timeout:
            outcome = operation_outcome("timeout", f"the request body did not arrive within {seconds:g} s")
            payload = json.dumps(outcome).encode()
            start_response("408 Request Timeout", [("Content-Type", "application/fhir+json"),
                                                   ("Content-Length", str(len(payload))), ("Connection", "close")])
            return [payload]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return wsgi_app(environ, start_response)

    return app


# A greenlet yields only when it would block; a client quick to send its next request on a kept-alive connection
# would then be served again and again while the others wait (measured: some of 200 connections waited 15 s).
TURN_WAIT_SECONDS = 1.0


def take_turns(wsgi_app: WsgiApp) -> WsgiApp:
    """``wsgi_app`` answering each request once the worker's other ready requests had their turn: after the
    application ran, the greenlet waits for the event loop to be idle (at most TURN_WAIT_SECONDS) before its
    answer is sent and its connection read again."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return wsgi_app(environ, start_response)
        finally:
            _until_idle(TURN_WAIT_SECONDS)

    return app


# A long workspace action (an import, a re-evaluation, the ZIP, a list page) waits at each of its turns at most this
# long for the worker's other requests: under a flood of calls it still moves on.
GIVE_WAY_SECONDS = 0.02


def give_way() -> None:
    """The worker's other connections (EHR calls among them) run first: the action waits until the event loop is
    idle (every ready greenlet ran, the sockets polled), at most GIVE_WAY_SECONDS. Nothing lost when nobody waits
    (a 1 ms sleep at each turn made an import 60 % longer); ``sleep(0)`` would not poll the sockets."""
    _until_idle(GIVE_WAY_SECONDS)


def _until_idle(seconds: float) -> None:
    import gevent

    with gevent.Timeout(seconds, False):
        gevent.idle()


def run_gunicorn(app: Flask, settings: Settings) -> None:
    from prevention_cds.app.services import services
    from prevention_cds.app.warmup import warm_up

    services(app).workspace.give_way = give_way
    warm_up(services(app).evaluator)  # imports and caches filled once, shared by the workers
    from prevention_cds.workspace import documents

    documents.warm_up()
    bounded = bounded_body(app.wsgi_app, settings.body_timeout_seconds, settings.max_body_bytes)
    app.wsgi_app = take_turns(bounded)  # type: ignore[method-assign,assignment]
    settle_heap()
    _Gunicorn(app, gunicorn_options(settings)).run()
