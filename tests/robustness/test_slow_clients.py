"""Issue 16, item 2: slow clients do not pin the workers.

A real server process (``prevention-cds serve``: gunicorn's master, 2 gevent workers, header timeout 3 s, body
timeout 5 s) gets 200 connections that each send their request one byte every 2 s, in the header block or in the
body (tests/support/slowloris.py). Meanwhile ``/health`` and a patient-view call (full prefetch, real rules) must
each answer within 1 s, every time; and the server must close the slow connections once their time is up
(headers: the header timeout; body: the body timeout, with a 408). Bounded: about 20 s per phase. And 200
connections that send calls back to back are served in turn (about 10 s).
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fhir_factory import hook_request, patient
from support.server_process import ServerProcess, probe, server_env, start_server, stop_gracefully
from support.slowloris import SlowClients

SLOW_CONNECTIONS = 200
HEADER_TIMEOUT = 3
BODY_TIMEOUT = 5.0
PROBE_LIMIT = 1.0  # seconds, for every probe
PROBES = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("slow-clients")
    env = server_env(folder / "db.sqlite3", HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
                     BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT))
    process = start_server(env, folder / "server.log")
    yield process
    stop_gracefully(process)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("phase", ["headers", "body"])
def test_200_slow_connections_leave_the_service_answering(server: ServerProcess, phase: str,
                                                          tmp_path: Path) -> None:
    probe(server)  # warm
    with SlowClients(server.port, count=SLOW_CONNECTIONS, interval=2.0, phase=phase, max_seconds=30) as slow:
        while slow.opened + slow.refused < SLOW_CONNECTIONS and slow.opened < SLOW_CONNECTIONS:
            time.sleep(0.1)
        probes = []
        for _ in range(PROBES):
            probes.append(probe(server))
            time.sleep(0.5)
        limit = (HEADER_TIMEOUT if phase == "headers" else BODY_TIMEOUT) + 2 * slow.interval + 2.0
        waited_until = time.monotonic() + limit
        while len(slow.closed_by_server) < slow.opened and time.monotonic() < waited_until:
            time.sleep(0.2)
    assert slow.opened == SLOW_CONNECTIONS and slow.refused == 0
    slowest = max(max(p) for p in probes)
    closed = sorted(slow.closed_by_server) or [float("nan")]
    print(f"{phase}: {slow.opened} slow connections, {len(slow.closed_by_server)} closed by the server "
          f"{closed[0]:.1f}–{closed[-1]:.1f} s after opening; probes (health, patient-view) s: "
          + ", ".join(f"({h:.3f}, {v:.3f})" for h, v in probes))
    assert slowest < PROBE_LIMIT, f"{phase}: a probe took {slowest:.2f} s"
    assert len(slow.closed_by_server) == slow.opened, \
        f"{phase}: {slow.opened - len(slow.closed_by_server)} slow connections still open after {limit:.0f} s"
    assert max(slow.closed_by_server) < limit


BUSY_CONNECTIONS = 200
BUSY_SECONDS = 10.0


@pytest.mark.timeout(90)
def test_200_busy_connections_take_turns(server: ServerProcess) -> None:
    """200 kept-alive connections each sending patient-view calls back to back: every connection is served
    about as often as the others (a greenlet whose client answers fast must not keep its worker)."""
    body = json.dumps(hook_request("patient-view", [patient(birth_date="1990-01-01")])).encode()
    counts = [0] * BUSY_CONNECTIONS
    worst = [0.0] * BUSY_CONNECTIONS
    failures: list[str] = []
    end = time.monotonic() + BUSY_SECONDS

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            while time.monotonic() < end:
                started = time.monotonic()
                connection.request("POST", "/cds-services/ror-vaccination", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(str(response.status))
                    return
                counts[index] += 1
                worst[index] = max(worst[index], time.monotonic() - started)
        except (OSError, http.client.HTTPException) as exc:
            failures.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(BUSY_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BUSY_SECONDS + 40)
    median = statistics.median(counts)
    print(f"{BUSY_CONNECTIONS} busy connections, {BUSY_SECONDS:g} s: {sum(counts)} calls, per connection "
          f"min {min(counts)} / median {median:g} / max {max(counts)}, slowest call {max(worst):.2f} s")
    assert not failures, failures[:5]
    assert max(counts) <= 8 * max(1, min(counts)), "some connections were left waiting while others were served"
    assert max(worst) < BUSY_SECONDS / 2, f"a call waited {max(worst):.1f} s"
