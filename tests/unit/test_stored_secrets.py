"""A secret the service generates once and keeps in its database (the session key, the explanation links' key):
the same for every process on that database, whoever stores it first."""

from __future__ import annotations

from pathlib import Path

from prevention_cds.adapters.workspace_db import WorkspaceDatabase


def _database(path: Path) -> WorkspaceDatabase:
    database = WorkspaceDatabase(f"sqlite:///{path}")
    database.upgrade()
    return database


def test_a_secret_is_made_once_and_read_after(tmp_path: Path) -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key

    database = _database(tmp_path / "s.sqlite3")
    first = database.secret("explanation-links", lambda: make("k1"))
    again = _database(tmp_path / "s.sqlite3").secret("explanation-links", lambda: make("k2"))
    assert first == again == "k1" and made == ["k1"]
    assert database.secret("session", lambda: "s1") == "s1"  # each secret by its name


def test_two_processes_starting_together_read_the_one_stored_first(tmp_path: Path) -> None:
    mine, other = _database(tmp_path / "s.sqlite3"), _database(tmp_path / "s.sqlite3")

    def generate_while_the_other_stores_its_own() -> str:
        other.secret("explanation-links", lambda: "theirs")  # it wins the race
        return "mine"

    assert mine.secret("explanation-links", generate_while_the_other_stores_its_own) == "theirs"
    assert other.secret("explanation-links", lambda: "never") == "theirs"
