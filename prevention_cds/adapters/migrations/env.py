"""Alembic environment: runs on the connection :meth:`WorkspaceDatabase.upgrade` hands over (or on the URL of the
configuration, for the ``alembic`` command). Only the workspace tables are Alembic's: the feedback and JWT replay
tables are created by their stores."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from prevention_cds.adapters.workspace_db import Base

config = context.config


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return type_ != "table" or bool(name and name.startswith("ws_"))


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, include_object=_include,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url") or "").connect() as own:
        _run(own)
        own.commit()
