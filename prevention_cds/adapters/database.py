"""The service's SQL database (SQLite by default, any SQLAlchemy URL): one engine helper for every store in it,
and what tells whether a store can still write (:class:`DatabaseFile`, :func:`write_probe`)."""

from __future__ import annotations

import logging
import os
import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Table, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, SQLAlchemyError

from prevention_cds.settings import PREFIX, ConfigError

logger = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """A store in the database cannot answer: nothing was taken as done, and the caller may try again later.
    The message is meant for the client (what to do), never the database's own error."""

    def __init__(self, store: str, message: str) -> None:
        super().__init__(message)
        self.store = store
        self.message = message


class UnstorableData(Exception):
    """The database refused a value (too long for its column, malformed): the request can never succeed as it
    is, so it must not be answered "try again later". The message is for the client, never the database's own."""

    def __init__(self, store: str, message: str) -> None:
        super().__init__(message)
        self.store = store
        self.message = message


def _private_file(path: Path) -> None:
    """The SQLite file (patient data) readable by the service's account only: created 0600, its folder 0700 when
    this creates it (SQLite gives its -wal and -shm files the database file's permissions). An existing file or
    folder keeps the permissions its owner chose."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{PREFIX}DATABASE_URL: cannot create the folder of {path}: {exc.strerror}") from None
    try:
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # an empty file is an empty database
    except OSError as exc:
        raise ConfigError(f"{PREFIX}DATABASE_URL: cannot create {path}: {exc.strerror}") from None


def sql_engine(url: str, *, sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL") -> Engine:
    """An engine for ``url`` that is safe across gunicorn's fork.

    SQLite runs in WAL mode; ``sqlite_synchronous`` is FULL where an acknowledged write must survive a power
    loss, NORMAL where surviving a crash of the process is enough (WAL then syncs at checkpoints only).
    """
    parsed = make_url(url)
    # SQL parameters (a feedback's free-text comment, a token's jti) never reach an error message or a log
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    else:
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.close()

    _ENGINES.add(engine)
    return engine


# gunicorn forks workers after the app (and its pools) is built: a connection must not cross a fork (SQLite forbids
# it), so each child drops the inherited pools without closing the parent's connections. Held weakly: an engine
# (and its open connections) goes with the app that made it, rather than living as long as the process.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _drop_inherited_pools() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pools)


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create the tables of ``metadata`` that do not exist yet; the first connection, so a database that cannot
    be reached or written stops the start-up with one clear line (:class:`ConfigError`), never a traceback."""
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ConfigError(f"{PREFIX}DATABASE_URL: cannot open the database {where}: {reason}") from None


@contextmanager
def store_unavailable_on_failure(store: str, answer: str) -> Iterator[None]:
    """A database failure in the block is logged (without its SQL parameters, see :func:`sql_engine`) and raised
    as :class:`StoreUnavailable` with ``answer``; a value the database refuses (a data error) is raised as
    :class:`UnstorableData`: the same request would fail again."""
    try:
        yield
    except DataError:
        logger.warning("%s refused a value (data error)", store, exc_info=True)
        raise UnstorableData(store, "a value cannot be stored (too long or malformed for the store)") from None
    except SQLAlchemyError:
        logger.exception("%s unavailable", store)
        raise StoreUnavailable(store, answer) from None


# --- whether a store can still write ------------------------------------------------------------------------

MIN_FREE_BYTES = 1024 * 1024  # below this, a SQLite database's file system is taken as full: not ready


@dataclass(frozen=True)
class DatabaseFile:
    """The SQLite file an engine opened, by identity (device, inode): a file deleted or replaced under a running
    service keeps taking writes through the connections that have it open, and every one of them is lost. The
    stores check :meth:`problem` after each acknowledged write and for readiness."""

    path: Path
    device: int
    inode: int

    @classmethod
    def of(cls, engine: Engine) -> DatabaseFile | None:
        """The file of a SQLite engine, once it exists (after :func:`create_tables`); None for a server."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        path = Path(url.database)
        stat = path.stat()
        return cls(path, stat.st_dev, stat.st_ino)

    def problem(self, *, free_space: bool = True) -> str | None:
        """Why writes to this file are not safe now (it is gone, it was replaced, its file system is full when
        ``free_space``), or None. The text names no data, only the file's state."""
        try:
            stat = self.path.stat()
        except OSError:
            return "the database file was removed"
        if (stat.st_dev, stat.st_ino) != (self.device, self.inode):
            return "the database file was replaced by another one"
        if not free_space:
            return None
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            return "the database folder cannot be read"
        if free < MIN_FREE_BYTES:
            return f"the database file system is full ({free} bytes free)"
        return None


probe_metadata = MetaData()
store_probe = Table(  # one row, rewritten by each readiness check: a real write, committed
    "store_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)


def write_probe(engine: Engine, database_file: DatabaseFile | None, store: str) -> bool:
    """Whether ``engine``'s database takes a committed write now, in the file that was opened: readiness. A
    failure is logged (its cause, never data)."""
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            if not connection.execute(update(store_probe).where(store_probe.c.id == 1).values(checked_at=now)).rowcount:
                connection.execute(store_probe.insert().values(id=1, checked_at=now))
    except SQLAlchemyError:
        logger.exception("%s not ready: the database does not take a write", store)
        return False
    problem = database_file.problem() if database_file is not None else None
    if problem is not None:
        logger.error("%s not ready: %s", store, problem)
        return False
    return True
