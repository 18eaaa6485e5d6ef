"""The workspace under test: the app on a fresh database (SQLite or PostgreSQL), accounts of each role, a logged-in
test client with its CSRF token, and the committed contact files."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from prevention_cds.app.factory import create_app
from prevention_cds.app.services import services
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
IIM_FILE = DATA / "iim-school-class-25.csv"
MEASLES_FILE = DATA / "measles-creche-section.csv"
PASSWORD = "un mot de passe assez long"
BASE_URL = "https://localhost"  # the session cookie is Secure: the test client speaks HTTPS
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the test moves (the lockout lasts a while)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def workspace_settings(database_url: str, **changes: Any) -> Settings:
    return Settings(database_url=database_url, auth_mode="off", dev=False, **changes)


def workspace_app(database_url: str, clock: Callable[[], datetime]) -> Flask:
    settings = workspace_settings(database_url)
    app = create_app(settings, evaluator=CdsEvaluator(settings, clock=clock))
    accounts = services(app).accounts
    for role in ("reader", "editor", "admin"):
        accounts.create(role, PASSWORD, role)
    return app


@dataclass
class Browser:
    """A test client logged in as one account, which sends its CSRF token with every change."""

    client: FlaskClient
    token: str = ""

    def csrf(self) -> str:
        if not self.token:
            match = CSRF.search(self.client.get("/workspace/").get_data(as_text=True))
            assert match, "no CSRF token on the page"
            self.token = match[1] or match[2]
        return self.token

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-CSRFToken": self.csrf(), **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)


def login(app: Flask, username: str, password: str = PASSWORD) -> Browser:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get(f"{BASE_URL}/workspace/login").get_data(as_text=True)
    match = CSRF.search(page)
    assert match
    response = client.post(f"{BASE_URL}/workspace/login",
                           data={"username": username, "password": password, "csrf_token": match[1] or match[2]})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return Browser(client)
