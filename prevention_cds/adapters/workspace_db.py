"""The infection-control workspace's tables (SQLAlchemy ORM) in the service's database, and their migrations.

The schema is owned by Alembic (``adapters/migrations``): :meth:`WorkspaceDatabase.upgrade` brings any database
to the latest revision at start-up. Moments are ISO 8601 text (UTC for the book-keeping times, the local offset
for a contact's last exposure) so that SQLite and PostgreSQL read back exactly what was written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, MetaData, String, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from prevention_cds.adapters.database import sql_engine
from prevention_cds.settings import PREFIX, ConfigError

logger = logging.getLogger(__name__)

PHONE_LENGTH = 200  # several numbers with who answers them ("06 … (mère) / 06 … (père)")
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "ws_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))  # reader | editor | admin
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[str | None] = mapped_column(String(32))
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(default=False)  # no login, no token, no session: at once
    # in every login session; raised by a logout, a new password, a disabling: the sessions before are void
    session_generation: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Who saw or changed what: ids and counts only, never a name or a clinical value."""

    __tablename__ = "ws_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")


class Investigation(Base):
    __tablename__ = "ws_investigation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    disease: Mapped[str] = mapped_column(String(10))  # iim | measles
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    serogroup: Mapped[str | None] = mapped_column(String(10))  # IIM; None: not known yet
    confirmed: Mapped[bool] = mapped_column(default=False)
    diagnosis_date: Mapped[str | None] = mapped_column(String(10))  # IIM
    first_antibiotic_at: Mapped[str | None] = mapped_column(String(32))  # IIM: the case's first effective dose
    rash_onset: Mapped[str | None] = mapped_column(String(10))  # measles
    case_initials: Mapped[str] = mapped_column(String(10), default="")
    case_sex: Mapped[str] = mapped_column(String(10), default="")
    case_birth_date: Mapped[str] = mapped_column(String(10), default="")
    case_postcode: Mapped[str] = mapped_column(String(10), default="")
    case_hospitalised: Mapped[bool | None] = mapped_column()
    case_condition_ref: Mapped[str] = mapped_column(String(200), default="")  # the EHR's Condition, if opened from it
    team_name: Mapped[str] = mapped_column(String(200), default="")
    team_phone: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[str | None] = mapped_column(String(32))
    closed_by: Mapped[str | None] = mapped_column(String(100))
    last_changes: Mapped[str] = mapped_column(Text, default="[]")  # JSON: what the last case change changed


class ContactGroup(Base):
    """Contacts sharing a setting and a last contact (a class, a crèche section, a dormitory)."""

    __tablename__ = "ws_group"
    __table_args__ = (UniqueConstraint("investigation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("ws_investigation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    setting: Mapped[str] = mapped_column(String(60))
    last_contact: Mapped[str] = mapped_column(String(32))
    has_time: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[str | None] = mapped_column(String(32))  # entered by mistake: hidden, kept for the audit
    deleted_by: Mapped[str | None] = mapped_column(String(100))


class Contact(Base):
    __tablename__ = "ws_contact"
    __table_args__ = (UniqueConstraint("investigation_id", "identity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("ws_investigation.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("ws_group.id"))
    identity_key: Mapped[str] = mapped_column(String(300))  # folded names and birth date: a re-import matches it
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    weight_kg: Mapped[str | None] = mapped_column(String(12))
    weighed_on: Mapped[str | None] = mapped_column(String(10))
    setting: Mapped[str | None] = mapped_column(String(60))  # None: the group's
    last_contact: Mapped[str | None] = mapped_column(String(32))  # None: the group's
    has_time: Mapped[bool] = mapped_column(default=False)
    pregnancy: Mapped[str] = mapped_column(String(10), default="unknown")  # yes | no | unknown
    allergies: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the terms written
    treatments: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names or ATC codes
    mmr_doses: Mapped[str] = mapped_column(Text, default="{}")  # JSON {"count": n} or {"dates": [...]}
    conditions: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")  # JSON: what the team knows
    occupation: Mapped[str] = mapped_column(String(20), default="other")  # healthcare | early-childhood | other
    phone: Mapped[str] = mapped_column(String(PHONE_LENGTH), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(15), default="to-reach")
    state_by: Mapped[str] = mapped_column(String(100), default="")
    state_at: Mapped[str] = mapped_column(String(32), default="")
    # JSON list of the measures the last "taken"/"declined" closed (a measure owed since is still to do)
    closed_measures: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    decision: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the last evaluation
    evaluated_at: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    # JSON list of the columns corrected by hand: a re-import never overwrites them silently
    edited_fields: Mapped[str] = mapped_column(Text, default="[]")
    deleted_at: Mapped[str | None] = mapped_column(String(32))  # entered by mistake: hidden, kept for the audit
    deleted_by: Mapped[str | None] = mapped_column(String(100))


class ContactEvent(Base):
    """One change of a contact's follow-up state."""

    __tablename__ = "ws_contact_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("ws_contact.id"), index=True)
    state: Mapped[str] = mapped_column(String(15))
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(32))


class ImportRecord(Base):
    __tablename__ = "ws_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("ws_investigation.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(32))
    created: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    report: Mapped[str | None] = mapped_column(Text)  # JSON: the report shown once to who imported (server-side)


class ExportJob(Base):
    """A ZIP of prescriptions built in the background; any worker reads its progress and its file."""

    __tablename__ = "ws_export"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("ws_investigation.id"), index=True)
    by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10))  # running | done | failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)


class AppSecret(Base):
    """A key of the service (the session-signing key, the explanation links' key), generated once and shared by
    every worker, instance and restart on this database."""

    __tablename__ = "ws_secret"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


def alembic_config(url: str) -> Any:
    """Alembic's configuration for ``url`` (imported here: Alembic logs its plugins when first imported)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("prevention_cds.adapters").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class WorkspaceDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sql_engine(url, sqlite_synchronous="FULL")  # an acknowledged import survives a power loss
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Migrate the schema to the latest revision; a database that cannot be opened stops the start-up."""
        alembic_logger = logging.getLogger("alembic")
        level = alembic_logger.level
        alembic_logger.setLevel(logging.WARNING)  # its plugin and context lines at every start-up are noise
        try:
            from alembic import command
            from alembic.migration import MigrationContext

            with self.engine.begin() as connection:
                config = alembic_config(self.url)
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                command.upgrade(config, "head")
                after = MigrationContext.configure(connection).get_current_revision()
            if before != after:
                logger.info("workspace schema migrated from %s to %s", before or "nothing", after)
        except SQLAlchemyError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConfigError(f"{PREFIX}DATABASE_URL: cannot migrate the database {where}: {reason}") from None
        finally:
            alembic_logger.setLevel(level)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back (nothing half-written) if it raises."""
        with self.sessions.begin() as session:
            yield session

    def secret(self, name: str, generate: Callable[[], str]) -> str:
        """The secret ``name`` kept in this database, made by ``generate`` the first time. Two processes starting
        together both read the one that was stored first."""
        with self.session() as db_session:
            stored = db_session.get(AppSecret, name)
            if stored is not None:
                return stored.value
        try:
            with self.session() as db_session:
                db_session.add(AppSecret(name=name, value=generate()))
        except IntegrityError:
            pass  # another process stored it between the read and the write
        with self.session() as db_session:
            found = db_session.get(AppSecret, name)
            assert found is not None  # stored above or by the other process
            return found.value
