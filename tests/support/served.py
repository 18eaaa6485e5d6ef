"""The real server as a deployment runs it: ``python -m prevention_cds.app.cli serve`` (gunicorn master and gthread
workers, the app preloaded) as a subprocess in its own session, on a database of the test, started and stopped
within a time budget."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.ports import children, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 20.0  # per start, at most; about 1–1.6 s on 2 shared cores, even with 3 CPU hogs beside it


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    startup_seconds: float = 0.0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_state(pid: int) -> str | None:
    """The /proc state letter of a process, None when it no longer exists."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive_process(pid: int) -> bool:
    return process_state(pid) not in (None, "Z", "X")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(db_path: Path, log_path: Path, budget_end: float, workers: int = 2) -> ServerProcess:
    """``python -m prevention_cds.app.cli serve`` in a new session (its own process group), ready with all its
    workers, waiting at most STARTUP_SECONDS and never beyond ``budget_end`` (monotonic)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENTION_CDS_")}
    env.update({
        "PREVENTION_CDS_AUTH_MODE": "off",
        "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{db_path}",
        "PREVENTION_CDS_WORKERS": str(workers),
    })
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prevention_cds.app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    server = ServerProcess(process, port, log_path)
    started = time.monotonic()
    last = "no answer yet"
    wait_until = min(started + STARTUP_SECONDS, budget_end)
    while time.monotonic() < wait_until:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log_tail()}")
        alive = len([p for p in children(process.pid) if alive_process(p)])
        try:
            status, body = get(port, "/health/ready")
            last = f"/health/ready {status} {body[:200]!r}, {alive} workers alive"
            if status == 200 and alive >= workers:
                assert json.loads(body) == {"status": "ok", "database": True}
                server.startup_seconds = time.monotonic() - started
                return server
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}, {alive} workers alive"
        time.sleep(0.1)
    kill_group(server)
    raise AssertionError(f"port {port}: not ready with {workers} workers after {time.monotonic() - started:.1f} s "
                         f"(last: {last}); "
                         f"server log:\n{server.log_tail()}")


def kill_group(server: ServerProcess) -> list[int]:
    """SIGKILL to the master and its workers at once (the whole process group); returns the pids killed."""
    pids = [server.process.pid, *children(server.process.pid)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)  # start_new_session: pgid == the master's pid
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(alive_process(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return pids


def stop_gracefully(server: ServerProcess) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            kill_group(server)
