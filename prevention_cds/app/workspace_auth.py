"""Who is calling the workspace: a login session (signed, Secure and HttpOnly cookie) or, for the API, an
account's bearer token. Roles gate every route; CSRF (Flask-WTF) guards every change made with a session."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import URLSafeTimedSerializer

from prevention_cds.adapters.workspace_db import WorkspaceDatabase
from prevention_cds.app.services import services
from prevention_cds.fhir_out.i18n import negotiate_language
from prevention_cds.settings import PRACTICE_TIMEZONE, Settings
from prevention_cds.workspace import vocabulary
from prevention_cds.workspace.accounts import Accounts
from prevention_cds.workspace.evaluation import STATES
from prevention_cds.workspace.i18n import moment, number, say, t
from prevention_cds.workspace.outputs import dispense_text
from prevention_cds.workspace.service import Actor, Workspace

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
csrf = CSRFProtect()
blueprint = Blueprint("accounts", __name__, template_folder="templates")
SESSION_LIFETIME = timedelta(hours=8)
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def workspace() -> Workspace:
    return services(current_app).workspace


def accounts() -> Accounts:
    return services(current_app).accounts


def language() -> str:
    """?lang= first; then, for the API, Accept-Language; then the session's choice; then Accept-Language."""
    default = services(current_app).settings.default_language
    header = request.headers.get("Accept-Language")
    chosen = request.args.get("lang")
    if chosen not in ("fr", "en") and request.path.startswith("/api/") and header:
        chosen = negotiate_language(header, default)
    chosen = chosen if chosen in ("fr", "en") else session.get("lang")
    if chosen in ("fr", "en"):
        return str(chosen)
    return negotiate_language(request.headers.get("Accept-Language"), services(current_app).settings.default_language)


def _secret_key(db: WorkspaceDatabase, settings: Settings) -> str:
    return settings.secret_key or db.secret("session", lambda: secrets.token_urlsafe(48))


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signing serializer made once per set of keys instead of on every request
    (every request opens the session, CDS Hooks calls included: about 2 % of one, docs/performance.md)."""

    def __init__(self) -> None:
        self._made: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def init_sessions(app: Flask, db: WorkspaceDatabase, settings: Settings) -> None:
    app.secret_key = _secret_key(db, settings)
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_NAME="prevention_cds_session",
        SESSION_COOKIE_SECURE=not settings.dev,  # HTTPS (or the loopback address) only, outside development
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by the workspace's blueprints only: the CDS Hooks API has JWTs
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # the Referer check breaks behind proxies that strip it; SameSite covers it
    )
    csrf.init_app(app)
    app.after_request(not_stored)
    app.jinja_env.globals.update(t=t, say=say, states=STATES, setting_label=vocabulary.setting_label,
                                 dispense=dispense_text, moment=moment)
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["local"] = local_time


WORKSPACE_BLUEPRINTS = frozenset({"accounts", "workspace_pages", "workspace_api"})


def not_stored(response: Response) -> Response:
    """Every workspace page, API answer and file holds patient data or an account's: no browser or proxy keeps a
    copy (the stylesheet and the script excepted)."""
    if request.blueprint in WORKSPACE_BLUEPRINTS and request.endpoint != "workspace_pages.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def local_time(moment: str | None) -> str:
    """A stored UTC moment as the practice's local time, to the minute."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(PRACTICE_TIMEZONE).strftime("%Y-%m-%d %H:%M")


def current_actor() -> Actor | None:
    if "actor" in g:
        return cast(Actor | None, g.actor)
    actor: Actor | None = None
    header = request.headers.get("Authorization", "")
    g.bearer = header.lower().startswith("bearer ")
    if g.bearer:
        actor = accounts().by_token(header[7:].strip())
    elif isinstance(session.get("user"), str) and isinstance(session.get("generation"), int):
        # checked on every request: a deleted or disabled account, a revoked session, a changed role count at once
        actor = accounts().actor(session["user"], session["generation"])
    g.actor = actor
    return actor


def guard(api: bool) -> Callable[[], ResponseReturnValue | None]:
    """A before_request for a blueprint: anonymous callers refused, CSRF checked on session changes."""

    def check() -> ResponseReturnValue | None:
        if request.endpoint == "workspace_pages.static":
            return None  # the stylesheet and the script hold no data: the login page needs them
        actor = current_actor()
        if actor is None:
            if api:
                return {"error": t("ws.error.login-required", language())}, 401
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if request.method in CHANGING_METHODS and not g.get("bearer"):
            csrf.protect()
        return None

    return check


def require(role: str) -> Callable[[F], F]:
    """Editors and admins change things; admins manage accounts; readers read."""
    allowed = {"reader": ("reader", "editor", "admin"), "editor": ("editor", "admin"), "admin": ("admin",)}[role]

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            actor = current_actor()
            if actor is None or actor.role not in allowed:
                if request.path.startswith("/api/"):
                    return {"error": t("ws.error.forbidden", language())}, 403
                return render_template("error.html", message=t("ws.error.forbidden", language()),
                                       lang=language(), actor=actor), 403
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def _safe_next(target: str | None) -> str:
    # only a path of this site: never an open redirect
    if target and target.startswith("/workspace") and not target.startswith("//"):
        return target
    return url_for("workspace_pages.investigations")


@blueprint.route("/workspace/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    lang = language()
    error = None
    if request.method == "POST":
        csrf.protect()
        actor = accounts().authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if actor is not None:
            session.clear()  # no session fixation: a new session at login
            session.permanent = True
            session["user"] = actor.username
            session["generation"] = accounts().session_generation(actor.username)
            session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
        error = t("ws.login.failed", lang)
    status = 401 if error else 200
    return render_template("login.html", lang=lang, error=error, actor=None), status


@blueprint.post("/workspace/logout")
def logout() -> ResponseReturnValue:
    csrf.protect()
    actor = current_actor()
    if actor is not None and not g.get("bearer"):
        accounts().end_sessions(actor.username, actor.username)  # a copy of the cookie is void too (audited)
    session.clear()
    return redirect(url_for("accounts.login"))


@blueprint.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> ResponseReturnValue:
    lang = language()
    if request.path.startswith("/api/"):
        return {"error": t("ws.error.csrf", lang)}, 400
    return render_template("error.html", message=t("ws.error.csrf", lang), lang=lang, actor=None), 400
