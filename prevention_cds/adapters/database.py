"""The service's SQL database (SQLite by default, any SQLAlchemy URL): one engine helper for every store in it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, MetaData, create_engine, event
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
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"{PREFIX}DATABASE_URL: cannot create the folder of {parsed.database}: "
                                  f"{exc.strerror}") from None
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.close()

    # gunicorn forks workers after the app (and this pool) is built: a connection must not cross a fork
    # (SQLite forbids it), so each child drops the inherited pool without closing the parent's connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


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
