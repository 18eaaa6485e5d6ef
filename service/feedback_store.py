"""Feedback outcomes, stored durably and idempotently (one row per card and outcome).

SQLite by default; any SQLAlchemy URL (PostgreSQL) works. A batch is committed in one transaction before
the HTTP 200 is sent, so an acknowledged entry survives a crash (SQLite: WAL with synchronous=FULL).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

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


class SqlFeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = self._engine(url)
        metadata.create_all(self.engine)
        # gunicorn forks workers after the app (and this pool) is built: a connection must not cross a fork
        # (SQLite forbids it), so each child drops the inherited pool without closing the parent's connections.
        os.register_at_fork(after_in_child=lambda: self.engine.dispose(close=False))

    @staticmethod
    def _engine(url: str) -> Engine:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _durable(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine

    def record(self, service_id: str, entries: list[FeedbackEntry]) -> int:
        """Store the entries; an entry already stored for that card and outcome is left as it is.
        Returns how many were new."""
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
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any database failure means "not ready"
            logger.exception("database not reachable")
            return False
