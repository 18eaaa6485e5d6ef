"""Replay protection: the ``jti`` of every accepted JWT, kept per issuer until that token expires.

Two stores behind one interface: :class:`SqlReplayStore`, in the service's database, shared by every gunicorn
worker (and by every instance that uses the same PostgreSQL database), which the application uses; and
:class:`ReplayCache`, in the memory of one process, for a verifier used on its own.
"""

from __future__ import annotations

import heapq
import logging
import threading
from typing import Protocol

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from prevention_cds.adapters.database import create_tables, sql_engine, store_unavailable_on_failure

logger = logging.getLogger(__name__)

MAX_ID_CHARS = 256  # the longest kid, jti or tenant a token may carry


class ReplayStore(Protocol):
    def add(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record ``jti`` for ``iss`` until ``expires_at`` (epoch seconds); False if it is recorded and
        has not expired (a replay)."""
        ...


class ReplayCache:
    """A :class:`ReplayStore` in the memory of one process. Bounded: when full of live entries, the one closest
    to expiry is dropped (and a warning logged). With several processes, a token could be replayed once per
    process: the application uses :class:`SqlReplayStore`."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("replay cache size must be positive")
        self.max_entries = max_entries
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def add(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        key = (iss, jti)
        with self._lock:
            self._purge(now)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self.max_entries:
                logger.warning("JWT replay cache full (%d entries): forgetting the jti closest to expiry",
                               self.max_entries)
                self._drop_first()
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))
            return True

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            self._drop_first()

    def _drop_first(self) -> None:
        expires_at, key = heapq.heappop(self._heap)
        if self._expiry.get(key) == expires_at:
            del self._expiry[key]


replay_metadata = MetaData()
seen_jwt_table = Table(
    "seen_jwt",
    replay_metadata,
    Column("iss", Text, nullable=False),  # one of the trusted issuers
    Column("jti", String(MAX_ID_CHARS), nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    PrimaryKeyConstraint("iss", "jti", name="pk_seen_jwt"),
)


class SqlReplayStore:
    """A :class:`ReplayStore` in the service's database, so that a token accepted by one worker is refused by
    all. The primary key decides between two workers that see the same token at once. Expired rows are
    deleted at most once per ``purge_interval_seconds``.

    SQLite runs with synchronous=NORMAL here: an entry survives a crash of the service, not necessarily a power
    loss, after which a token still live could be replayed once; an fsync on every authenticated call would cost
    more than that risk. Raises :class:`~prevention_cds.adapters.database.StoreUnavailable` when the database
    cannot answer: a token is never accepted unrecorded.
    """

    def __init__(self, url: str, *, purge_interval_seconds: float = 60.0) -> None:
        self.engine = sql_engine(url, sqlite_synchronous="NORMAL")
        create_tables(self.engine, replay_metadata)
        self.purge_interval_seconds = purge_interval_seconds
        self._next_purge = 0.0

    def add(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        table = seen_jwt_table
        with (
            store_unavailable_on_failure("JWT replay store", "authentication temporarily unavailable"),
            self.engine.begin() as connection,
        ):
            if now >= self._next_purge:
                self._next_purge = now + self.purge_interval_seconds
                connection.execute(delete(table).where(table.c.expires_at <= now))
            try:
                with connection.begin_nested():
                    connection.execute(insert(table).values(iss=iss, jti=jti, expires_at=expires_at))
                return True
            except IntegrityError:
                pass
            # recorded already: a replay, unless that token has expired since (its row not yet purged)
            renewed = connection.execute(
                update(table)
                .where(table.c.iss == iss, table.c.jti == jti, table.c.expires_at <= now)
                .values(expires_at=expires_at)
            )
            return renewed.rowcount == 1

    def __len__(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(seen_jwt_table)).scalar_one())
