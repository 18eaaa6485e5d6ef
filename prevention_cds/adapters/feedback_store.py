"""Feedback outcomes, stored durably and idempotently (one row per card and outcome).

SQLite by default; any SQLAlchemy URL (PostgreSQL) works. A batch is committed in one transaction before
the HTTP 200 is sent, so an acknowledged entry survives a crash (SQLite: WAL with synchronous=FULL); and it is
acknowledged only if the SQLite file written to is still the database's file (not deleted or replaced meanwhile:
``DatabaseFile``). Readiness (:meth:`SqlFeedbackStore.ping`) is a committed write, in that file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError

from prevention_cds.adapters.database import (
    DatabaseFile,
    StoreUnavailable,
    create_tables,
    probe_metadata,
    sql_engine,
    store_unavailable_on_failure,
    write_probe,
)

logger = logging.getLogger(__name__)

metadata = MetaData()
feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(100), nullable=False),
    Column("card_uuid", String(200), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("outcome_timestamp", String(40), nullable=False),
    Column("accepted_suggestions", Text, nullable=False, default="[]"),
    Column("override_system", String(300)),
    Column("override_code", String(200)),
    Column("override_comment", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("service_id", "card_uuid", "outcome", name="uq_feedback_card_outcome"),
)


@dataclass(frozen=True)
class FeedbackEntry:
    card_uuid: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_system: str | None = None
    override_code: str | None = None
    override_comment: str | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> FeedbackEntry:
        override: dict[str, Any] = item.get("overrideReason") or {}
        # nested {reason: {system, code}} (CDS Hooks 2.0) or flat {system, code} (older Sandbox builds)
        nested = override.get("reason")
        reason: dict[str, Any] = nested if isinstance(nested, dict) else override
        return cls(
            card_uuid=item["card"],
            outcome=item["outcome"],
            outcome_timestamp=item["outcomeTimestamp"],
            accepted_suggestions=tuple(s["id"] for s in item.get("acceptedSuggestions") or ()),
            override_system=reason.get("system"),
            override_code=reason.get("code"),
            override_comment=override.get("userComment"),
        )


class FeedbackStore(Protocol):
    def record(self, service_id: str, entries: list[FeedbackEntry]) -> int: ...

    def ping(self) -> bool: ...


STORE = "feedback store"
RETRY = "feedback store temporarily unavailable: send the feedback again"


class SqlFeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = sql_engine(url, sqlite_synchronous="FULL")  # an acknowledged entry survives a power loss
        create_tables(self.engine, metadata)
        create_tables(self.engine, probe_metadata)
        self.database_file = DatabaseFile.of(self.engine)

    def record(self, service_id: str, entries: list[FeedbackEntry]) -> int:
        """Store the entries in one transaction; an entry already stored for that card and outcome is left as it
        is. Returns how many were new. Raises :class:`StoreUnavailable` when the database cannot answer: the
        client sends the batch again, which stores each entry once whatever the first attempt did."""
        with store_unavailable_on_failure(STORE, RETRY):
            new = self._insert(service_id, entries)
        problem = self.database_file.problem(free_space=False) if self.database_file is not None else None
        if problem is not None:  # committed, but maybe to a file that is gone: not acknowledged
            logger.error("%s: %s; the batch is not acknowledged", STORE, problem)
            raise StoreUnavailable(STORE, RETRY)
        return new

    def _insert(self, service_id: str, entries: list[FeedbackEntry]) -> int:
        new = 0
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            for entry in entries:
                row = {
                    "service_id": service_id,
                    "card_uuid": entry.card_uuid,
                    "outcome": entry.outcome,
                    "outcome_timestamp": entry.outcome_timestamp,
                    "accepted_suggestions": json.dumps(list(entry.accepted_suggestions)),
                    "override_system": entry.override_system,
                    "override_code": entry.override_code,
                    "override_comment": entry.override_comment,
                    "received_at": now,
                }
                savepoint = connection.begin_nested()
                try:
                    connection.execute(feedback_table.insert().values(**row))
                    savepoint.commit()
                    new += 1
                except IntegrityError:
                    savepoint.rollback()
        return new

    def count(self, service_id: str | None = None) -> int:
        query = select(feedback_table.c.id)
        if service_id is not None:
            query = query.where(feedback_table.c.service_id == service_id)
        with self.engine.connect() as connection:
            return len(connection.execute(query).all())

    def rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(select(feedback_table))]

    def ping(self) -> bool:
        """Ready: the database takes a committed write, in the file that was opened, with room left."""
        return write_probe(self.engine, self.database_file, STORE)
