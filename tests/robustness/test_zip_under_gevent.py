"""A workspace ZIP of prescriptions built on the real server (``prevention-cds serve``: gevent workers) leaves the
worker that builds it serving its other connections: the build gives them their turn after each document.

One worker, so that the probes share the worker that builds the ZIP. Before the build yielded, a probe waited for
the whole ZIP (about 6 s for 200 prescriptions on 2 shared cores); now for one document at most."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.server_process import get
from support.workspace_server import api, import_contacts, one_worker_investigation

CONTACTS = 120
PROBE_LIMIT_SECONDS = 1.0  # one PDF is about 30 ms; the whole ZIP several seconds


@pytest.mark.timeout(120)
def test_a_zip_being_built_leaves_the_worker_answering(tmp_path: Path) -> None:
    with one_worker_investigation(tmp_path) as (server, token, investigation_id):
        import_contacts(server, token, investigation_id, CONTACTS)
        status, job = api(server, "POST", f"/api/investigations/{investigation_id}/prescriptions-zip", token)
        assert status == 202, job
        probes: list[float] = []  # a /health probe, then the job's status, in turn
        while True:
            started = time.monotonic()
            assert get(server.port, "/health", timeout=30)[0] == 200
            probes.append(time.monotonic() - started)
            status, job = api(server, "GET", f"/api/exports/{job['id']}", token)
            probes.append(time.monotonic() - started - probes[-1])
            if job["status"] != "running":
                break
        assert job["status"] == "done" and job["done"] == CONTACTS, job
        print(f"{len(probes)} calls during the ZIP (ms): " + ", ".join(f"{p * 1000:.0f}" for p in probes))
        assert len(probes) >= 3, "the ZIP was done before the probes could see it being built"
        assert max(probes) < PROBE_LIMIT_SECONDS, f"a probe waited {max(probes):.1f} s for the ZIP"
