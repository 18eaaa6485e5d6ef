"""A session ends on the server: a copy of the cookie taken before a logout, a password reset or a disabling no
longer opens anything; a disabled account's API token stops at once; an admin changes roles, disables, enables and
revokes tokens from the accounts page, each audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from conftest import FROZEN_NOW
from prevention_cds.app.services import services
from support.workspace import BASE_URL, PASSWORD, Browser, Clock, login, workspace_app

COOKIE = "prevention_cds_session"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", Clock(FROZEN_NOW))


def _copy(app: Flask, browser: Browser) -> Browser:
    """Another client with the same session cookie (a cookie saved by someone else)."""
    saved = browser.client.get_cookie(COOKIE)
    assert saved is not None
    copy = app.test_client()
    copy.environ_base["wsgi.url_scheme"] = "https"
    copy.set_cookie(COOKIE, saved.value, domain="localhost")
    return Browser(copy)


def _opens(browser: Browser) -> bool:
    return int(browser.client.get(f"{BASE_URL}/workspace/").status_code) == 200


def test_a_cookie_saved_before_logout_no_longer_opens_the_workspace(app: Flask) -> None:
    editor = login(app, "editor")
    saved = _copy(app, editor)
    assert _opens(saved)
    assert editor.post(f"{BASE_URL}/workspace/logout").status_code == 302
    assert not _opens(saved) and not _opens(editor)
    assert saved.client.get(f"{BASE_URL}/api/investigations").status_code == 401
    assert _opens(login(app, "editor"))  # a new login works


def test_disabling_an_account_ends_its_sessions_and_its_token_at_once(app: Flask) -> None:
    editor = login(app, "editor")
    token = services(app).accounts.new_token("editor", "admin")
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/investigations", headers=bearer).status_code == 200
    admin = login(app, "admin")
    assert admin.post(f"{BASE_URL}/workspace/admin/users/editor/disable").status_code == 302
    assert not _opens(editor)
    assert app.test_client().get("/api/investigations", headers=bearer).status_code == 401
    with pytest.raises(AssertionError):
        login(app, "editor")
    page = admin.client.get(f"{BASE_URL}/workspace/admin/users").get_data(as_text=True)
    assert "désactivé" in page and "Réactiver" in page
    assert admin.post(f"{BASE_URL}/workspace/admin/users/editor/enable").status_code == 302
    assert _opens(login(app, "editor"))
    assert app.test_client().get("/api/investigations", headers=bearer).status_code == 401  # the token stays void


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app: Flask) -> None:
    editor = login(app, "editor")
    services(app).accounts.set_password("editor", "un tout nouveau mot de passe", "admin")
    assert not _opens(editor)
    with pytest.raises(AssertionError):
        login(app, "editor", PASSWORD)
    assert _opens(login(app, "editor", "un tout nouveau mot de passe"))


def test_an_admin_changes_a_role_and_revokes_a_token_and_the_audit_says_so(app: Flask) -> None:
    editor = login(app, "editor")
    token = services(app).accounts.new_token("editor", "admin")
    admin = login(app, "admin")
    assert admin.post(f"{BASE_URL}/workspace/admin/users/editor/role", data={"role": "reader"}).status_code == 302
    assert editor.api("POST", f"{BASE_URL}/api/investigations",
                      json={"title": "t", "disease": "iim"}).status_code == 403  # the new role counts at once
    assert admin.post(f"{BASE_URL}/workspace/admin/users/editor/revoke").status_code == 302
    assert app.test_client().get("/api/investigations", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 401
    assert admin.post(f"{BASE_URL}/workspace/admin/users/editor/role", data={"role": "root"}).status_code == 400
    audit = admin.client.get(f"{BASE_URL}/workspace/admin/audit").get_data(as_text=True)
    assert "account.role" in audit and "account.revoke-token" in audit
    assert editor.post(f"{BASE_URL}/workspace/admin/users/admin/disable").status_code == 403  # readers cannot


def test_a_new_api_token_is_shown_once_and_never_put_in_the_cookie(app: Flask) -> None:
    admin = login(app, "admin")
    response = admin.post(f"{BASE_URL}/workspace/admin/users/editor/token")
    assert response.status_code == 200
    shown = re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True))
    assert shown and services(app).accounts.by_token(shown[1]) is not None
    assert shown[1] not in response.headers.get("Set-Cookie", "")
    assert shown[1] not in admin.client.get(f"{BASE_URL}/workspace/admin/users").get_data(as_text=True)
