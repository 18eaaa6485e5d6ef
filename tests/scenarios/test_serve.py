"""`prevention-cds serve` really serves: discovery lists the four services of contract §1, with Flask's server
(`--dev`, README command 1) and with gunicorn; SIGTERM stops it gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"ror-vaccination": "patient-view", "iim-prophylaxis": "patient-view",
            "prevention-order-sign": "order-sign", "prevention-order-select": "order-select"}


@pytest.mark.parametrize("dev", [True, False], ids=["dev", "gunicorn"])
def test_serve_lists_the_four_services(tmp_path: Path, dev: bool) -> None:
    port = free_port()
    env = {**os.environ, "PREVENTION_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'fb.sqlite3'}",
           "PREVENTION_CDS_WORKERS": "2", "PREVENTION_CDS_AUTH_MODE": "off", "HOME": str(tmp_path)}
    env.pop("XDG_RUNTIME_DIR", None)  # so gunicorn's default control socket would be under tmp_path/.gunicorn
    command = [sys.executable, "-m", "prevention_cds.app.cli", "serve", "--port", str(port), *(["--dev"] if dev else [])]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/cds-services", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert {s["id"]: s["hook"] for s in response.json()["services"]} == EXPECTED
        assert requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
        if not dev:
            metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            assert "prevention_cds_requests_total" in metrics
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output[-2000:]
    assert "AUTHENTICATION IS OFF" in output
    # no per-user control socket that a second instance would take over (prevention_cds/app/server.py)
    assert not (tmp_path / ".gunicorn").exists()
    assert "Control socket" not in output
