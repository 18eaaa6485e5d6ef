"""The default SQLite file names the instance (issue 15): two services started on one machine with their
embedded defaults, on two ports, never share a feedback and replay database."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevention_cds.settings import Settings


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    return tmp_path


def test_the_default_database_file_is_named_by_the_port(data_home: Path) -> None:
    assert Settings().database_url == f"sqlite:///{data_home / 'prevention-cds' / 'prevention-cds-8080.sqlite3'}"
    assert Settings.from_env({"PREVENTION_CDS_PORT": "8081"}).database_url.endswith("/prevention-cds-8081.sqlite3")
    assert Settings.from_env({}, port=9000).database_url.endswith("/prevention-cds-9000.sqlite3")  # serve --port


def test_an_explicit_database_is_kept(data_home: Path) -> None:
    url = "postgresql+psycopg://cds@db/prevention"
    assert Settings.from_env({"PREVENTION_CDS_DATABASE_URL": url, "PREVENTION_CDS_PORT": "8081"}).database_url == url
    assert Settings(database_url=url).with_changes(port=8082).database_url == url


def test_changing_the_port_moves_the_default_database_along() -> None:
    assert Settings().with_changes(port=8082).database_url.endswith("/prevention-cds-8082.sqlite3")
    assert Settings().with_changes(auth_mode="off").database_url.endswith("/prevention-cds-8080.sqlite3")
