"""Local accounts: argon2 password hashes (argon2-cffi, the RFC 9106 parameters of its default profile), three
roles, a lockout after repeated failures, and one API token per account (only its SHA-256 is kept)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from prevention_cds.adapters.workspace_db import AuditEntry, User, WorkspaceDatabase
from prevention_cds.rules.advice import Message
from prevention_cds.workspace.errors import Conflict, Invalid
from prevention_cds.workspace.service import Actor, utc_now_text

logger = logging.getLogger(__name__)

ROLES = ("reader", "editor", "admin")
MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# verified against when the username does not exist, so that the answer takes as long either way
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, db: WorkspaceDatabase, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def count(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(User)) or 0)

    def users(self) -> list[User]:
        with self.db.session() as session:
            return list(session.scalars(select(User).order_by(User.username)))

    def create(self, username: str, password: str, role: str, by: str = "cli") -> User:
        username = username.strip()
        if not username or len(username) > 100 or not username.isprintable():
            raise Invalid(Message.of("ws.account.error.username"))
        if role not in ROLES:
            raise Invalid(Message.of("ws.account.error.role", roles=", ".join(ROLES)))
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid(Message.of("ws.account.error.password", length=MIN_PASSWORD_LENGTH))
        with self.db.session() as session:
            if session.scalars(select(User).where(User.username == username)).first() is not None:
                raise Conflict(Message.of("ws.account.error.exists"))
            user = User(username=username, password_hash=_hasher.hash(password), role=role, failed_logins=0,
                        created_at=utc_now_text(self.clock()))
            session.add(user)
            session.add(AuditEntry(at=utc_now_text(self.clock()), username=by, action="account.create",
                                   target=username, detail=role))
        return user

    def authenticate(self, username: str, password: str) -> Actor | None:
        """The account's actor, or None: unknown user, wrong password, or locked (the same answer for all)."""
        now = self.clock()
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username.strip())).first()
            if user is None:
                with contextlib.suppress(VerificationError):
                    _hasher.verify(_DUMMY_HASH, password)
                return None
            if user.locked_until and datetime.fromisoformat(user.locked_until) > now:
                session.add(AuditEntry(at=utc_now_text(now), username=user.username, action="login.locked"))
                return None
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                user.failed_logins += 1
                action = "login.failed"
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until = utc_now_text(now + LOCKOUT)
                    user.failed_logins = 0
                    action = "login.lockout"
                    logger.warning("an account is locked after %d failed logins", MAX_FAILURES)
                session.add(AuditEntry(at=utc_now_text(now), username=user.username, action=action))
                return None
            user.failed_logins, user.locked_until = 0, None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            session.add(AuditEntry(at=utc_now_text(now), username=user.username, action="login"))
            return Actor(user.username, user.role)

    def actor(self, username: str) -> Actor | None:
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            return Actor(user.username, user.role) if user is not None else None

    def by_token(self, token: str) -> Actor | None:
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.api_token_hash == token_digest(token))).first()
            return Actor(user.username, user.role) if user is not None else None

    def new_token(self, username: str, by: str = "cli") -> str:
        token = secrets.token_urlsafe(32)
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise Invalid(Message.of("ws.account.error.unknown"))
            user.api_token_hash = token_digest(token)
            session.add(AuditEntry(at=utc_now_text(self.clock()), username=by, action="account.token",
                                   target=username))
        return token

    def unlock(self, username: str, by: str) -> None:
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise Invalid(Message.of("ws.account.error.unknown"))
            user.locked_until, user.failed_logins = None, 0
            session.add(AuditEntry(at=utc_now_text(self.clock()), username=by, action="account.unlock",
                                   target=username))
