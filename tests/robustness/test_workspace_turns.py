"""Long workspace actions on the real server (``prevention-cds serve``: gevent workers, one greenlet running at a
time) leave their worker answering its other connections: a spreadsheet import of 1,000 contacts, and the
re-evaluation of all of them when the case changes, give way every few contacts.

One worker, so that the probes (``/health`` and a patient-view call) share the worker that imports. Without the
turns a probe waited for the whole action (about 1-2 s on 2 shared cores); with them for a few ms of it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from support.server_process import ServerProcess, probe
from support.workspace_server import api, contacts_csv, one_worker_investigation

CONTACTS = 1000
PROBE_LIMIT_SECONDS = 0.3  # a turn every ~5 ms of the action; the bound leaves room for a loaded machine


def _probes_during(server: ServerProcess, action: threading.Thread) -> tuple[list[float], float]:
    """The probes' seconds (health, then patient-view, in turn) while ``action`` runs, and its own seconds."""
    started = time.monotonic()
    action.start()
    time.sleep(0.2)  # the upload is read before the import starts
    probes: list[float] = []
    while action.is_alive():
        probes.extend(probe(server))
    action.join()
    return probes, time.monotonic() - started


def _check(probes: list[float], seconds: float, what: str) -> None:
    print(f"{what} in {seconds:.2f} s; {len(probes)} calls meanwhile (ms): "
          + ", ".join(f"{p * 1000:.0f}" for p in probes))
    assert seconds > 2 * PROBE_LIMIT_SECONDS, f"{what} too quick ({seconds:.2f} s) to tell a stall from a turn"
    assert len(probes) >= 4, f"{what}: too few probes answered while it ran"
    assert max(probes) < PROBE_LIMIT_SECONDS, f"{what}: a probe waited {max(probes):.2f} s"


@pytest.mark.timeout(180)
def test_an_import_and_a_case_change_leave_the_worker_answering(tmp_path: Path) -> None:
    with one_worker_investigation(tmp_path) as (server, token, investigation_id):
        probe(server)  # warm
        answers: dict[str, Any] = {}

        def run(name: str, method: str, path: str, body: bytes, content_type: str) -> threading.Thread:
            def call() -> None:
                answers[name] = api(server, method, path, token, body, content_type)
            return threading.Thread(target=call)

        contacts = f"/api/investigations/{investigation_id}/contacts"
        probes, seconds = _probes_during(server, run("import", "POST", contacts, contacts_csv(CONTACTS), "text/csv"))
        status, imported = answers["import"]
        assert status == 200 and imported["counts"]["created"] == CONTACTS, (status, imported)
        _check(probes, seconds, f"import of {CONTACTS} contacts")

        case = json.dumps({"serogroup": "W"}).encode()
        probes, seconds = _probes_during(server, run("case", "PATCH", f"/api/investigations/{investigation_id}",
                                                     case, "application/json"))
        assert answers["case"][0] == 200, answers["case"]
        _check(probes, seconds, f"case change, {CONTACTS} contacts evaluated again")
