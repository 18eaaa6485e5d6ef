"""A running server does not read its package files again (issue 15): `pip install` into the same environment
while `prevention-cds serve` runs (README command 2 once did, and the feedback schema vanished) removes the
installed copy; the server must keep answering every endpoint.

The server runs from a copy of the package (what a non-editable install leaves in site-packages); the copy is
deleted once the server answers, as pip deletes the old files on reinstall, then each kind of call is made."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import SYNTHEA_BUNDLES
from fhir_factory import exposure, hook_request, medication_request, patient, searchset, weight
from prevention_cds.fhir_in.bundle_entries import resources_of
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import SERVICES_BY_ID
from prevention_cds.terminology import ProjectCode
from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ALDA = SYNTHEA_BUNDLES / "Alda_Carter_ee1034c9-cb75-413c-8f36-da7e4268d2b5.json"


def _wait_until_up(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/health", timeout=2)
            return
        except requests.ConnectionError:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


@pytest.fixture(params=[True, False], ids=["dev", "gunicorn"])
def server_without_its_files(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "prevention_cds", site / "prevention_cds", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path),
           "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'service.sqlite3'}",
           "PREVENTION_CDS_AUTH_MODE": "off", "PREVENTION_CDS_WORKERS": "1"}
    where = subprocess.run([sys.executable, "-c", "import prevention_cds; print(prevention_cds.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site)), where  # the copy, not the checkout
    port = free_port()
    dev = ["--dev"] if request.param else []
    process = subprocess.Popen([sys.executable, "-m", "prevention_cds.app.cli", "serve", "--port", str(port), *dev],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base)
        shutil.rmtree(site / "prevention_cds")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output, output[-3000:]


def _post(url: str, body: dict[str, Any], language: str = "fr") -> dict[str, Any]:
    response = requests.post(url, json=body, headers={"Accept-Language": language}, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:1000])
    answer: dict[str, Any] = response.json()
    return answer


def test_every_endpoint_answers_after_the_package_files_are_gone(server_without_its_files: str) -> None:
    base = server_without_its_files
    services = requests.get(f"{base}/cds-services", timeout=10)
    assert services.status_code == 200 and len(services.json()["services"]) == 4

    alda = resources_of(json.loads(ALDA.read_text(encoding="utf-8")))
    alda_id = next(r["id"] for r in alda if r["resourceType"] == "Patient")
    ror = SERVICES_BY_ID["ror-vaccination"]
    for language in ("fr", "en"):
        _post(f"{base}/cds-services/ror-vaccination", request_body(ror, alda_id, alda), language)

    contact = [patient("p1", "2016-05-04"), weight("p1", 30, "2026-11-01"),
               exposure("p1", ProjectCode.IIM_CONTACT, "2026-11-20T10:00:00+01:00", "household", "C")]
    iim = _post(f"{base}/cds-services/iim-prophylaxis", hook_request("patient-view", contact), "en")
    assert iim["cards"], "a household contact gets a card"

    order = medication_request("p1", "J04AB02", "rifampicine", dose_mg=900, rid="o1")
    for hook in ("order-sign", "order-select"):
        body = hook_request(hook, contact)
        body["context"]["draftOrders"] = searchset([order])
        body["context"]["selections"] = ["MedicationRequest/o1"]
        _post(f"{base}/cds-services/prevention-{hook}", body)

    card = iim["cards"][0]["uuid"]
    feedback = {"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
                              "overrideReason": {"userComment": "déjà fait"}}]}
    assert _post(f"{base}/cds-services/iim-prophylaxis/feedback", feedback) == {}
    assert requests.get(f"{base}/health/ready", timeout=10).status_code == 200
