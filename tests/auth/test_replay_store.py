"""J10 across processes: the ``jti`` of an accepted token is kept in the service's database, so a token one
gunicorn worker accepted is refused by every other (and by another instance on the same database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

from prevention_cds.adapters.auth.replay import SqlReplayStore
from prevention_cds.adapters.database import StoreUnavailable
from prevention_cds.app.factory import create_app
from prevention_cds.settings import Settings
from support.ehr_tokens import ISS, issuers_file
from support.ehr_tokens import token as _token
from support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://cds.example.org"
DISCOVERY = f"{BASE}/cds-services"
NOW = 1_800_000_000.0


def _store(database_url: str, **kw: Any) -> SqlReplayStore:
    return SqlReplayStore(database_url, **kw)


def test_J10_sql_store_refuses_a_jti_seen_for_the_same_issuer(database_url: str) -> None:
    store = _store(database_url)
    assert store.add(ISS, "jti-1", NOW + 300, NOW)
    assert not store.add(ISS, "jti-1", NOW + 300, NOW + 1)
    assert store.add("https://other-ehr.example.org", "jti-1", NOW + 300, NOW + 1)  # per issuer
    assert len(store) == 2


def test_J10_sql_store_is_shared_by_every_process_on_the_database(database_url: str) -> None:
    worker_a, worker_b = _store(database_url), _store(database_url)  # two engines: what two gunicorn workers hold
    assert worker_a.add(ISS, "jti-1", NOW + 300, NOW)
    assert not worker_b.add(ISS, "jti-1", NOW + 300, NOW + 1)


def test_J10_sql_store_forgets_a_token_once_it_has_expired(database_url: str) -> None:
    store = _store(database_url, purge_interval_seconds=3600)
    assert store.add(ISS, "jti-1", NOW + 300, NOW)
    assert not store.add(ISS, "jti-1", NOW + 300, NOW + 299.9)
    # expired but not purged yet: recorded again for the new lifetime (the verifier refuses an expired token
    # before it gets here; a new token that reuses the jti is not a replay of a live one)
    assert store.add(ISS, "jti-1", NOW + 700, NOW + 300)
    assert not store.add(ISS, "jti-1", NOW + 700, NOW + 301)


def test_J10_sql_store_purges_expired_rows(database_url: str) -> None:
    store = _store(database_url, purge_interval_seconds=60)
    for n in range(5):
        assert store.add(ISS, f"old-{n}", NOW + 10, NOW)
    assert store.add(ISS, "live", NOW + 300, NOW + 30)  # within the interval: nothing purged yet
    assert len(store) == 6
    assert store.add(ISS, "new", NOW + 400, NOW + 61)
    assert len(store) == 2


def test_J10_sql_store_lets_one_of_many_concurrent_presentations_through(database_url: str) -> None:
    stores = [_store(database_url) for _ in range(4)]
    barrier = threading.Barrier(8)
    accepted: list[bool] = []

    def present(store: SqlReplayStore) -> None:
        barrier.wait()
        accepted.append(store.add(ISS, "raced", NOW + 300, NOW))

    threads = [threading.Thread(target=present, args=(stores[n % 4],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(accepted) == [False] * 7 + [True]


def test_sql_store_fails_closed_when_the_database_cannot_answer(database_url: str) -> None:
    store = _store(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE seen_jwt"))
    with pytest.raises(StoreUnavailable) as raised:
        store.add(ISS, "jti-1", NOW + 300, NOW)
    assert raised.value.store == "JWT replay store"


# --- through the application -------------------------------------------------------------------------------

def test_J10_a_token_accepted_by_one_app_is_refused_by_another_on_the_same_database(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(database_url=database_url, auth_mode="required",
                        trusted_issuers_file=str(issuers_file(tmp_path)), public_base_url=BASE)
    first, second = create_app(settings).test_client(), create_app(settings).test_client()
    headers = {"Authorization": f"Bearer {_token(DISCOVERY)}"}
    assert first.get("/cds-services", headers=headers).status_code == 200
    assert second.get("/cds-services", headers=headers).status_code == 401
    assert first.get("/cds-services", headers=headers).status_code == 401


def test_replay_store_outage_answers_503_and_accepts_nothing(tmp_path: Path, database_url: str) -> None:
    settings = Settings(database_url=database_url, auth_mode="required",
                        trusted_issuers_file=str(issuers_file(tmp_path)), public_base_url=BASE)
    app = create_app(settings)
    with SqlReplayStore(settings.database_url).engine.begin() as connection:
        connection.execute(text("DROP TABLE seen_jwt"))
    response = app.test_client().get("/cds-services", headers={"Authorization": f"Bearer {_token(DISCOVERY)}"})
    assert response.status_code == 503
    assert response.get_json()["issue"][0]["code"] == "transient"


def test_J10_gunicorn_workers_share_the_replay_store(tmp_path: Path, database_url: str) -> None:
    """The real server, 3 workers: the same token presented on 12 new connections is accepted once."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVENTION_CDS_")}
    env.update({"PREVENTION_CDS_DATABASE_URL": database_url,
                "PREVENTION_CDS_WORKERS": "3", "PREVENTION_CDS_AUTH_MODE": "required",
                "PREVENTION_CDS_TRUSTED_ISSUERS_FILE": str(issuers_file(tmp_path)),
                "PREVENTION_CDS_PUBLIC_BASE_URL": BASE, "HOME": str(tmp_path)})
    process = subprocess.Popen([sys.executable, "-m", "prevention_cds.app.cli", "serve", "--host", "127.0.0.1", "--port",
                                str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        time.sleep(1.0)  # every worker up
        headers = {"Authorization": f"Bearer {_token(DISCOVERY)}", "Connection": "close"}
        statuses = [requests.get(f"http://127.0.0.1:{port}/cds-services", headers=headers, timeout=5).status_code
                    for _ in range(12)]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert statuses == [200] + [401] * 11, output[-2000:]
    assert output.count("JWT rejected: jti replayed") == 11
