"""Issue 5, item 7: an acknowledged feedback entry survives a SIGKILL of the whole server.

The real server (``python -m prevention_cds.app.cli serve``: gunicorn master + 2 gthread workers, ``--preload``) runs as a
subprocess in its own session, on a SQLite file in ``tmp_path``. Four client threads post a stream of feedback
batches (1–5 entries, every card uuid new, both patient-view services, accepted and overridden outcomes) and
record each entry whose POST was answered 200. After about 2 s the master and its workers are killed together
with ``SIGKILL`` on the process group, mid-stream. Then:

* the SQLite file, opened directly with ``sqlite3``, passes ``PRAGMA integrity_check`` and holds every
  acknowledged entry (and nothing that was never sent);
* the server restarts on the same database and ``/health/ready`` answers 200; the next kill cycle runs on it.

Three kill cycles, then a final restart. Every loop is bounded in count and in time; the whole test takes
about 15 s on 2 shared cores, and the ``timeout`` mark fails it at 30 s.

SIGKILL of a process leaves the kernel's page cache intact, so this proves that the 200 is sent only after the
commit and that a killed writer leaves a consistent database; it cannot tell ``synchronous=FULL`` from a
weaker setting, which matters only for a power loss or a kernel crash.
"""

from __future__ import annotations

import http.client
import json
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from prevention_cds.terminology.index import OVERRIDE_REASON_SYSTEM
from support.served import alive_process, get, kill_group, start_server, stop_gracefully

SERVICES = ("ror-vaccination", "iim-prophylaxis")
CLIENT_THREADS = 4
KILL_AFTER_SECONDS = (1.6, 2.0, 2.4)  # one kill cycle per value
MAX_ACKED_POSTS = 1500  # per cycle: kill earlier if the stream is faster than expected
MAX_POSTS_PER_THREAD = 2000  # per cycle, hard bound of each client loop
BUDGET_SECONDS = 28.0  # the whole test: no start waits beyond it (the timeout mark, 30 s, is the backstop)
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

Key = tuple[str, str, str]  # (service_id, card_uuid, outcome): one row of the feedback table


# --- the feedback stream ------------------------------------------------------------------------------------

def _entry(rng: random.Random) -> dict[str, Any]:
    card = str(uuid.uuid4())
    stamp = "2026-11-21T09:05:31Z"
    kind = rng.randrange(3)
    if kind == 0:
        return {"card": card, "outcome": "accepted", "outcomeTimestamp": stamp,
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}]}
    if kind == 1:
        return {"card": card, "outcome": "overridden", "outcomeTimestamp": stamp,
                "overrideReason": {"reason": {"system": OVERRIDE_REASON_SYSTEM, "code": "patient-refuses"},
                                   "userComment": "déjà vacciné"}}
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": stamp}


@dataclass
class Stream:
    """What the client threads saw during one cycle; lists are only appended to under ``lock``."""
    attempted: set[Key] = field(default_factory=set)
    acknowledged: set[Key] = field(default_factory=set)
    acked_posts: int = 0
    interrupted_posts: int = 0  # sent, then the connection broke: fate unknown, not acknowledged
    failures: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, what)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post_stream(port: int, seed: int, stream: Stream, stop: threading.Event, deadline: float) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(MAX_POSTS_PER_THREAD):
            if stop.is_set() or time.monotonic() >= deadline:
                return
            service_id = rng.choice(SERVICES)
            entries = [_entry(rng) for _ in range(rng.randint(1, 5))]
            keys = {(service_id, e["card"], e["outcome"]) for e in entries}
            with stream.lock:
                stream.attempted |= keys
            try:
                conn.request("POST", f"/cds-services/{service_id}/feedback",
                             json.dumps({"feedback": entries}).encode(), HEADERS)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with stream.lock:
                    stream.interrupted_posts += 1
                    stream.failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                return  # the server is gone (or broken): this thread's stream ends
            with stream.lock:
                if response.status == 200:
                    stream.acknowledged |= keys
                    stream.acked_posts += 1
                else:
                    stream.failures.append((time.monotonic(), f"HTTP {response.status}: {payload[:200]!r}"))
    finally:
        conn.close()


def stored_rows(db_path: Path) -> tuple[str, set[Key], int]:
    """integrity_check result, the stored (service, card, outcome) keys and the row count, read with sqlite3."""
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        rows = connection.execute("SELECT service_id, card_uuid, outcome FROM feedback").fetchall()
    finally:
        connection.close()
    return str(integrity), {(str(s), str(c), str(o)) for s, c, o in rows}, len(rows)


# --- the test -----------------------------------------------------------------------------------------------

@pytest.mark.timeout(30)  # the budget of the whole test, three kill cycles included
def test_sigkill_during_feedback_stream_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    began = time.monotonic()
    db_path = tmp_path / "fb.sqlite3"
    log_path = tmp_path / "server.log"
    acknowledged: set[Key] = set()
    attempted: set[Key] = set()
    budget_end = began + BUDGET_SECONDS
    server = start_server(db_path, log_path, budget_end)
    try:
        for cycle, kill_after in enumerate(KILL_AFTER_SECONDS):
            stream, stop = Stream(), threading.Event()
            started = time.monotonic()
            threads = [threading.Thread(target=post_stream, args=(server.port, 1000 * cycle + n, stream, stop,
                                                                  started + kill_after + 10), daemon=True)
                       for n in range(CLIENT_THREADS)]
            for thread in threads:
                thread.start()
            while time.monotonic() - started < kill_after:  # bounded by time, and by MAX_ACKED_POSTS
                with stream.lock:
                    if stream.acked_posts >= MAX_ACKED_POSTS or stream.failures:
                        break
                time.sleep(0.02)

            killed_at = time.monotonic()
            pids = kill_group(server)
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
            assert not any(t.is_alive() for t in threads), "a client thread did not stop"
            assert len(pids) >= 3, f"cycle {cycle}: expected the master and 2 workers, killed {pids}"
            assert not any(alive_process(p) for p in pids), f"cycle {cycle}: a server process survived SIGKILL"
            early = [what for at, what in stream.failures if at < killed_at]
            assert not early, f"cycle {cycle}: feedback failed before the kill: {early[:3]}\n{server.log_tail()}"
            assert stream.acked_posts >= 20, f"cycle {cycle}: only {stream.acked_posts} posts acknowledged"

            acknowledged |= stream.acknowledged
            attempted |= stream.attempted
            integrity, stored, row_count = stored_rows(db_path)
            assert integrity == "ok", f"cycle {cycle}: integrity_check: {integrity}"
            missing = acknowledged - stored
            assert not missing, f"cycle {cycle}: {len(missing)} acknowledged entries lost, e.g. {sorted(missing)[:3]}"
            assert stored <= attempted, f"cycle {cycle}: rows that were never sent: {sorted(stored - attempted)[:3]}"
            assert row_count == len(stored), f"cycle {cycle}: duplicate rows for one card and outcome"
            print(f"cycle {cycle}: ready in {server.startup_seconds:.2f} s, killed after {killed_at - started:.2f} s; "
                  f"{stream.acked_posts} posts and {len(stream.acknowledged)} entries acknowledged, {stream.interrupted_posts} posts cut by the "
                  f"kill; {len(stored)} rows stored so far, {len(stored - acknowledged)} of them never acknowledged")

            # restart on the same database: /health/ready must answer 200 with both workers up
            server = start_server(db_path, log_path, budget_end)

        status, body = get(server.port, "/health/ready")
        assert status == 200 and json.loads(body)["database"] is True
        integrity, stored, _ = stored_rows(db_path)  # read beside the running server (WAL)
        assert integrity == "ok" and acknowledged <= stored
    finally:
        stop_gracefully(server)
        if server.process.poll() is None:
            kill_group(server)
    assert server.process.returncode == 0, f"graceful stop exited {server.process.returncode}\n{server.log_tail()}"
    print(f"{len(KILL_AFTER_SECONDS)} kill cycles, {len(acknowledged)} acknowledged entries, none lost; "
          f"{time.monotonic() - began:.1f} s")
