"""Issue 20: new connections are spread over the workers (prevention_cds/app/balanced_worker.py).

A real server (``prevention-cds serve``, 4 gevent workers) gets, 12 times, 4 keep-alive connections opened at
once, each sending one call; while all 4 are open, the workers holding them are read from the kernel (psutil).
Before the balance, the first worker awake could take them all (then one core served the whole load); now no
round may put all 4 on one worker, and most rounds put each on its own.
"""

from __future__ import annotations

import http.client
import statistics
import threading
from collections.abc import Iterator

import psutil
import pytest

from support.server_process import ServerProcess, server_env, start_server, stop_gracefully

WORKERS = 4
CONNECTIONS = 4
ROUNDS = 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("balance")
    process = start_server(server_env(folder / "db.sqlite3", WORKERS=str(WORKERS)), folder / "server.log",
                           workers=WORKERS)
    yield process
    stop_gracefully(process)


def _connections_per_worker(server: ServerProcess) -> list[int]:
    return sorted((sum(1 for c in psutil.Process(pid).net_connections("tcp")
                       if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == server.port)
                   for pid in server.workers()), reverse=True)


def _one_round(server: ServerProcess) -> list[int]:
    opened = threading.Barrier(CONNECTIONS + 1)
    measured = threading.Event()
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            opened.wait(timeout=10)  # all connect at once, as a client's pool does
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"/health answered {response.status}")
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            measured.wait(timeout=20)
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    opened.wait(timeout=10)
    try:
        for _ in range(100):  # until the kernel shows every connection accepted
            spread = _connections_per_worker(server)
            if sum(spread) >= CONNECTIONS:
                break
            threading.Event().wait(0.02)
    finally:
        measured.set()
        for t in threads:
            t.join(timeout=20)
    assert not failures, failures
    return spread


@pytest.mark.timeout(120)
def test_keep_alive_connections_opened_at_once_go_to_different_workers(server: ServerProcess) -> None:
    spreads = [_one_round(server) for _ in range(ROUNDS)]
    assert all(sum(s) == CONNECTIONS for s in spreads), spreads
    assert not [s for s in spreads if s[0] == CONNECTIONS], f"all on one worker: {spreads}"
    assert statistics.median(s[0] for s in spreads) == 1, f"most rounds one connection per worker: {spreads}"
