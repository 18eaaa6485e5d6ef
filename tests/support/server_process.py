"""The real server (``python -m prevention_cds.app.cli serve``: gunicorn's master and its workers) as a subprocess
in its own session, for the tests that must go through real sockets: faults of the FHIR server, slow clients,
kills. Every wait is bounded in time."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhir_factory import hook_request, patient
from support.ports import children, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30.0  # about 1–2 s on 2 shared cores; the bound is for a heavily loaded machine


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    startup_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def workers(self) -> list[int]:
        return [p for p in children(self.process.pid) if alive(p)]


def state(pid: int) -> str | None:
    """The /proc state letter of a process, None when it no longer exists."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    return state(pid) not in (None, "Z", "X")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post_json(port: int, path: str, body: Any, timeout: float = 30.0,
              headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, json.dumps(body).encode(),
                     {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def probe(server: ServerProcess) -> tuple[float, float]:
    """Seconds for GET /health and for a patient-view call; both must answer 200."""
    started = time.monotonic()
    status, _ = get(server.port, "/health", timeout=10)
    health = time.monotonic() - started
    assert status == 200
    started = time.monotonic()
    status, body = post_json(server.port, "/cds-services/ror-vaccination",
                             hook_request("patient-view", [patient(birth_date="1990-01-01")]), timeout=10)
    view = time.monotonic() - started
    assert status == 200, body
    return health, view


def server_env(database_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a test server: none of the caller's PREVENTION_CDS_* settings, authentication off,
    2 workers, its own SQLite file; ``settings`` (without the prefix, e.g. ``FHIR_DEADLINE_SECONDS="3"``) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENTION_CDS_")}
    env.update({
        "PREVENTION_CDS_AUTH_MODE": "off",
        "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{database_path}",
        "PREVENTION_CDS_WORKERS": "2",
    })
    env.update({f"PREVENTION_CDS_{name}": value for name, value in settings.items()})
    return env


def start_server(env: Mapping[str, str], log_path: Path, *, budget_end: float | None = None,
                 workers: int = 2, ready_path: str = "/health/ready") -> ServerProcess:
    """``serve`` on a free port in a new session (its own process group), ready with ``workers`` workers, waiting
    at most STARTUP_SECONDS and never beyond ``budget_end`` (monotonic)."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prevention_cds.app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    server = ServerProcess(process, port, log_path)
    started = time.monotonic()
    last = "no answer yet"
    wait_until = started + STARTUP_SECONDS if budget_end is None else min(started + STARTUP_SECONDS, budget_end)
    while time.monotonic() < wait_until:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log_tail()}")
        ready_workers = len(server.workers())
        try:
            status, body = get(port, ready_path)
            last = f"{ready_path} {status} {body[:200]!r}, {ready_workers} workers alive"
            if status == 200 and ready_workers >= workers:
                server.startup_seconds = time.monotonic() - started
                return server
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}, {ready_workers} workers alive"
        time.sleep(0.1)
    kill_group(server)
    raise AssertionError(f"port {port}: not ready with {workers} workers after {time.monotonic() - started:.1f} s "
                         f"(last: {last}); server log:\n{server.log_tail()}")


def kill_group(server: ServerProcess) -> list[int]:
    """SIGKILL to the master and its workers at once (the whole process group); returns the pids killed."""
    pids = [server.process.pid, *children(server.process.pid)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)  # start_new_session: pgid == the master's pid
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return pids


def stop_gracefully(server: ServerProcess, timeout: float = 25.0) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(server)
