"""Issue 16, item 8: readiness says whether the feedback store can write, and an acknowledged write is on disk.

Against the real server (``prevention-cds serve``, 2 gevent workers, a SQLite file):

* the database file is deleted while the server runs: no feedback is acknowledged any more (the connections
  still open would write to the deleted file, and every entry would be lost), and ``/health/ready`` answers
  503 on every worker;
* the file system of the database fills up (a 16 MiB tmpfs, filled with a filler file; the test is skipped
  where tmpfs cannot be mounted, as a non-root developer): ``/health/ready`` answers 503 until room is made, and
  every entry acknowledged meanwhile is in the database after a restart.

Every loop is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server_process import get, post_json, server_env, start_server, stop_gracefully

URL = "/cds-services/ror-vaccination/feedback"
READY_PROBES = 8  # spread over both workers (each probe a new connection)


def _entry() -> dict[str, Any]:
    return {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z"}


def _post(port: int) -> tuple[int, str]:
    entry = _entry()
    status, _ = post_json(port, URL, {"feedback": [entry]}, timeout=30)
    return status, entry["card"]


def _ready_statuses(port: int) -> list[int]:
    return [get(port, "/health/ready", timeout=10)[0] for _ in range(READY_PROBES)]


def _stored_cards(db_path: Path) -> set[str]:
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        return {row[0] for row in connection.execute("SELECT card_uuid FROM feedback")}
    finally:
        connection.close()


@pytest.mark.timeout(90)
def test_a_deleted_database_file_is_not_ready_and_acknowledges_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "db.sqlite3"
    server = start_server(server_env(db_path), tmp_path / "server.log")
    try:
        assert all(_post(server.port)[0] == 200 for _ in range(5))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        after = [_post(server.port)[0] for _ in range(20)]
        ready = _ready_statuses(server.port)
        log = server.log_text()
    finally:
        stop_gracefully(server)
    assert 200 not in after, f"acknowledged after the file was deleted: {after}"
    assert set(after) == {503}
    assert set(ready) == {503}, ready
    assert "the database file was removed" in log


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as out, contextlib.suppress(OSError):
        for _ in range(64):  # 16 MiB at most
            out.write(b"\0" * 256 * 1024)
            out.flush()
    return filler


@pytest.mark.timeout(120)
def test_a_full_disk_is_not_ready_and_loses_no_acknowledged_entry(tmp_path: Path, small_disk: Path) -> None:
    db_path = small_disk / "db.sqlite3"
    server = start_server(server_env(db_path), tmp_path / "server.log")
    acknowledged: set[str] = set()
    statuses: list[int] = []
    try:
        for _ in range(10):
            status, card = _post(server.port)
            assert status == 200
            acknowledged.add(card)
        filler = _fill(small_disk)
        ready_full = _ready_statuses(server.port)
        for _ in range(20):
            status, card = _post(server.port)
            statuses.append(status)
            if status == 200:
                acknowledged.add(card)
        filler.unlink()
        deadline = time.monotonic() + 10
        while set(_ready_statuses(server.port)) != {200} and time.monotonic() < deadline:
            time.sleep(0.2)
        ready_again = _ready_statuses(server.port)
        status, card = _post(server.port)
        assert status == 200
        acknowledged.add(card)
    finally:
        stop_gracefully(server)
    print(f"disk full: readiness {ready_full}, feedback answers {json.dumps(statuses)}")
    assert set(ready_full) == {503}, ready_full
    assert set(statuses) <= {200, 503}, statuses
    assert set(ready_again) == {200}, ready_again
    server = start_server(server_env(db_path), tmp_path / "server.log")
    stop_gracefully(server)
    assert acknowledged <= _stored_cards(db_path)
