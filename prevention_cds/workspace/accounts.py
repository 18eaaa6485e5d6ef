"""Local accounts: argon2 password hashes (argon2-cffi, the RFC 9106 parameters of its default profile), three
roles, a lockout after repeated failures, and one API token per account (only its SHA-256 is kept). An account
can be disabled, its role changed, its password reset and its token revoked, each audited. Every login session
carries the account's session generation: a logout, a new password or a disabling raises it, and every session
opened before stops working at once."""

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
                        created_at=utc_now_text(self.clock()), disabled=False, session_generation=0)
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
            if user.disabled:
                session.add(AuditEntry(at=utc_now_text(now), username=user.username, action="login.disabled"))
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

    def session_generation(self, username: str) -> int:
        """What a new login session of ``username`` carries."""
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            return user.session_generation if user is not None else -1

    def actor(self, username: str, generation: int) -> Actor | None:
        """A login session's actor: None once the account is deleted or disabled, or the session revoked (a
        logout, a new password); a changed role counts at once."""
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None or user.disabled or user.session_generation != generation:
                return None
            return Actor(user.username, user.role)

    def by_token(self, token: str) -> Actor | None:
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.api_token_hash == token_digest(token))).first()
            return Actor(user.username, user.role) if user is not None and not user.disabled else None

    def _change(self, username: str, by: str, action: str, change: Callable[[User], None], detail: str = "") -> None:
        """One change of an account, audited."""
        with self.db.session() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise Invalid(Message.of("ws.account.error.unknown"))
            change(user)
            session.add(AuditEntry(at=utc_now_text(self.clock()), username=by, action=action, target=username,
                                   detail=detail))

    def new_token(self, username: str, by: str = "cli") -> str:
        token = secrets.token_urlsafe(32)

        def store(user: User) -> None:
            user.api_token_hash = token_digest(token)

        self._change(username, by, "account.token", store)
        return token

    def unlock(self, username: str, by: str) -> None:
        def unlock(user: User) -> None:
            user.locked_until, user.failed_logins = None, 0

        self._change(username, by, "account.unlock", unlock)

    def end_sessions(self, username: str, by: str, action: str = "logout") -> None:
        """Every login session of the account void (a logout ends them on every device)."""
        self._change(username, by, action, _revoke_sessions)

    def disable(self, username: str, by: str) -> None:
        """No more login; its sessions and its token stop working at once."""
        def disable(user: User) -> None:
            user.disabled, user.api_token_hash = True, None
            _revoke_sessions(user)

        self._change(username, by, "account.disable", disable)

    def enable(self, username: str, by: str) -> None:
        def enable(user: User) -> None:
            user.disabled, user.locked_until, user.failed_logins = False, None, 0

        self._change(username, by, "account.enable", enable)

    def set_role(self, username: str, role: str, by: str) -> None:
        if role not in ROLES:
            raise Invalid(Message.of("ws.account.error.role", roles=", ".join(ROLES)))

        def set_role(user: User) -> None:
            user.role = role

        self._change(username, by, "account.role", set_role, role)

    def set_password(self, username: str, password: str, by: str) -> None:
        """A new password: the sessions opened with the old one end."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid(Message.of("ws.account.error.password", length=MIN_PASSWORD_LENGTH))
        digest = _hasher.hash(password)

        def set_password(user: User) -> None:
            user.password_hash, user.locked_until, user.failed_logins = digest, None, 0
            _revoke_sessions(user)

        self._change(username, by, "account.password", set_password)

    def revoke_token(self, username: str, by: str) -> None:
        def revoke(user: User) -> None:
            user.api_token_hash = None

        self._change(username, by, "account.revoke-token", revoke)


def _revoke_sessions(user: User) -> None:
    user.session_generation += 1
