"""The server under test: started as a subprocess on 127.0.0.1, in its own session, waited for, measured, stopped."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.processes import children, free_port, terminate
from prevention_cds.app.server import gunicorn_options
from prevention_cds.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATABASE_NAME = "bench.sqlite3"  # in the server's work folder

Command = Callable[[Settings], list[str]]


def bench_app_command(settings: Settings) -> list[str]:
    """``python -m bench.static_app``: ``prevention-cds serve``'s own start-up (``run_gunicorn`` with
    ``gunicorn_options(settings)``, server hooks and heap settling included) serving the benchmark app."""
    del settings  # the server reads the same PREVENTION_CDS_* environment
    return [sys.executable, "-m", "bench.static_app"]


def serve_command(settings: Settings) -> list[str]:
    """``python -m prevention_cds.app.cli serve`` (= ``prevention-cds serve``): the real service, not the bench app."""
    return [sys.executable, "-m", "prevention_cds.app.cli", "serve",
            "--host", settings.host, "--port", str(settings.port)]


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of one process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connections_per_process(pids: list[int], port: int) -> list[int]:
    """For each of ``pids``, its established TCP connections whose local port is ``port`` (psutil)."""
    import psutil

    def count(pid: int) -> int:
        try:
            return sum(1 for c in psutil.Process(pid).net_connections("tcp")
                       if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)
        except psutil.Error:
            return 0

    return [count(pid) for pid in pids]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    options: dict[str, Any]

    @property
    def workers(self) -> int:
        return int(self.options["workers"])

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid) + sum(cpu_seconds(p) for p in self.worker_pids())

    def connections_per_worker(self) -> list[int]:
        """Established client connections each worker holds now (Linux /proc): who serves the load."""
        return connections_per_process(self.worker_pids(), self.port)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def running_server(workers: int, workdir: Path, startup_seconds: float = 60.0,
                   command_for: Command = bench_app_command) -> Iterator[Server]:
    """The server ``command_for`` starts (default: the benchmark app under gunicorn), with authentication off and
    a throw-away SQLite database in ``workdir``; ``workers`` 0 is the service's default. Stopped on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENTION_CDS_")}
    env.update({
        "PREVENTION_CDS_HOST": "127.0.0.1",
        "PREVENTION_CDS_PORT": str(port),
        "PREVENTION_CDS_AUTH_MODE": "off",
        "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{workdir / DATABASE_NAME}",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    })
    if workers:
        env["PREVENTION_CDS_WORKERS"] = str(workers)
    settings = Settings.from_env(env)
    command = command_for(settings)
    log_path = workdir / "server.log"
    print("server: " + " ".join(command[1:]), flush=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)  # Ctrl-C reaches only us; we stop it ourselves
    server = Server(process, port, log_path, gunicorn_options(settings))
    try:
        _wait_healthy(server, startup_seconds)
        yield server
    finally:
        _stop(server)


def _wait_healthy(server: Server, seconds: float) -> None:
    wait_until_answering(server.process, server.port, "/health", seconds, server.log_tail,
                         ready=lambda: len(server.worker_pids()) >= server.workers, what="server")


def wait_until_answering(process: subprocess.Popen[bytes], port: int, path: str, seconds: float,
                         log_tail: Callable[[], str], ready: Callable[[], bool] = lambda: True,
                         what: str = "server") -> None:
    """Until ``GET path`` answers 200 and ``ready()`` holds; RuntimeError with the log's tail when the process
    exits or ``seconds`` pass. Shared by our server and the reference service."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            if ok and ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not answering {path} after {seconds:.0f} s:\n{log_tail()}")


def _stop(server: Server) -> None:
    process = server.process
    terminate(process, timeout=30)
    print(f"server stopped (exit code {process.returncode})", flush=True)
