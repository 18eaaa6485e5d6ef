"""Issue 16, item 3: the JWT audience does not follow what the caller says about the URL.

* ``required`` mode refuses to start without ``PREVENTION_CDS_PUBLIC_BASE_URL``: the audience is then always
  that URL, whatever ``Host`` a caller sends, and a token the trusted issuer signed for another service is refused;
* ``X-Forwarded-Proto`` (and the other forwarded headers) are believed only from the addresses of
  ``PREVENTION_CDS_TRUSTED_PROXIES``: by default, from nobody, loopback included.

The real server is used for what only the HTTP server decides (the scheme it reports from forwarded headers).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from prevention_cds.app.factory import create_app
from prevention_cds.settings import ConfigError, Settings
from support.ehr_tokens import issuers_file, token
from support.ports import free_port
from support.server_process import ROOT, ServerProcess, server_env, start_server, stop_gracefully

BASE = "https://cds.example.org"
OTHER = "https://other-cds.example.org"


def test_required_mode_needs_the_public_base_url(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", auth_mode="required",
                        trusted_issuers_file=str(issuers_file(tmp_path)))
    with pytest.raises(ConfigError, match="PREVENTION_CDS_PUBLIC_BASE_URL"):
        create_app(settings)


def test_serve_in_required_mode_without_it_exits_2_with_one_line(tmp_path: Path) -> None:
    env = server_env(tmp_path / "db.sqlite3", AUTH_MODE="required", TRUSTED_ISSUERS_FILE=str(issuers_file(tmp_path)))
    done = subprocess.run([sys.executable, "-m", "prevention_cds.app.cli", "serve", "--port", str(free_port())], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("prevention-cds: PREVENTION_CDS_AUTH_MODE=required needs "
                                                           "PREVENTION_CDS_PUBLIC_BASE_URL")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    """``required``: public base URL set, no trusted proxy. ``sandbox-direct``: audience from the request, no
    trusted proxy. ``sandbox-proxied``: the same, loopback trusted as a proxy."""
    folder = tmp_path_factory.mktemp("audience")
    issuers = str(issuers_file(folder))
    envs = {
        "required": server_env(folder / "r.sqlite3", AUTH_MODE="required", TRUSTED_ISSUERS_FILE=issuers,
                               PUBLIC_BASE_URL=BASE),
        "sandbox-direct": server_env(folder / "d.sqlite3", AUTH_MODE="sandbox", TRUSTED_ISSUERS_FILE=issuers),
        "sandbox-proxied": server_env(folder / "p.sqlite3", AUTH_MODE="sandbox", TRUSTED_ISSUERS_FILE=issuers,
                                      TRUSTED_PROXIES="127.0.0.1"),
    }
    started: dict[str, ServerProcess] = {}
    try:
        for name, env in envs.items():
            started[name] = start_server(env, folder / f"{name}.log", ready_path="/health")
        yield started
    finally:
        for server in started.values():
            stop_gracefully(server)


def _discovery(server: ServerProcess, aud: str, **headers: str) -> int:
    response = requests.get(f"{server.base_url}/cds-services", timeout=10,
                            headers={"Authorization": f"Bearer {token(aud)}", **headers})
    return response.status_code


def test_a_token_for_another_service_is_refused_whatever_the_host(servers: dict[str, ServerProcess]) -> None:
    server = servers["required"]
    forged = {"Host": "other-cds.example.org", "X-Forwarded-Proto": "https"}
    assert _discovery(server, f"{OTHER}/cds-services", **forged) == 401
    assert _discovery(server, f"{BASE}/cds-services", **forged) == 200
    assert _discovery(server, f"{BASE}/cds-services") == 200


def test_forwarded_headers_are_believed_only_from_trusted_proxies(servers: dict[str, ServerProcess]) -> None:
    for name, believed in (("sandbox-direct", False), ("sandbox-proxied", True)):
        server = servers[name]
        as_https = f"https://127.0.0.1:{server.port}/cds-services"
        status = _discovery(server, as_https, **{"X-Forwarded-Proto": "https"})
        assert status == (200 if believed else 401), name
        assert _discovery(server, f"http://127.0.0.1:{server.port}/cds-services") == 200, name
