"""The service's database at start-up: one clear line (ConfigError, exit 2), never a traceback, never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevention_cds.adapters.database import create_tables, sql_engine
from prevention_cds.adapters.feedback_store import SqlFeedbackStore, metadata
from prevention_cds.app.cli import main
from prevention_cds.settings import ConfigError
from support.ports import free_port


def test_a_folder_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="DATABASE_URL: cannot create the folder"):
        sql_engine(f"sqlite:///{blocker / 'sub' / 'db.sqlite3'}")


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database, " * 100)
    with pytest.raises(ConfigError, match="file is not a database"):
        SqlFeedbackStore(f"sqlite:///{garbage}")


def test_an_unreachable_server_is_a_config_error_without_its_password() -> None:
    url = f"postgresql+psycopg://cds:s3cret-pw@127.0.0.1:{free_port()}/cds"
    with pytest.raises(ConfigError) as raised:
        create_tables(sql_engine(url), metadata)
    assert "cannot open the database postgresql+psycopg://cds:***@127.0.0.1" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_serve_stops_with_exit_2_and_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PREVENTION_CDS_DATABASE_URL", f"sqlite:///{blocker / 'db.sqlite3'}")
    monkeypatch.setenv("PREVENTION_CDS_AUTH_MODE", "off")
    assert main(["serve", "--dev"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("prevention-cds: PREVENTION_CDS_DATABASE_URL: cannot create the folder of ")
    assert "Traceback" not in "\n".join(error)
