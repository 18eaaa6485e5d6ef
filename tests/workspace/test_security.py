"""The workspace holds patient data: every page and API route refuses an anonymous request, a reader cannot
change anything, CSRF is enforced on every change made with a session, five wrong passwords lock the account for
a while, the audit log says who saw and changed what, and no patient datum reaches the logs."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from conftest import FROZEN_NOW
from prevention_cds.app.services import services
from support.workspace import BASE_URL, IIM_FILE, PASSWORD, Browser, Clock, login, workspace_app

PUBLIC = {"accounts.login", "workspace_pages.static", "static"}
CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def clock() -> Clock:
    return Clock(FROZEN_NOW)


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Flask:
    return workspace_app(f"sqlite:///{tmp_path / 'ws.sqlite3'}", clock)


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL with made-up arguments) of every workspace page and API route."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/workspace", "/api")) or rule.endpoint in PUBLIC:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            items = getattr(converter, "items", None)
            values[name] = (items and sorted(items)[0]) or (
                1 if "Integer" in type(converter).__name__ else "x")
        url = rule.build(values)[1]  # type: ignore[index]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_every_page_and_api_route_refuses_an_anonymous_request(app: Flask) -> None:
    client = app.test_client()
    routes = _routes(app)
    assert len(routes) > 35
    for endpoint, method, url in routes:
        response = client.open(f"{BASE_URL}{url}", method=method)
        if url.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, url, response.status_code)
        elif method == "GET":
            assert response.status_code == 302 and "/workspace/login" in response.headers["Location"], (endpoint, url)
        elif endpoint == "accounts.logout":  # no session, no CSRF token: refused
            assert response.status_code == 400
        else:  # a change without a session: sent to the login page before anything is read
            assert response.status_code == 302, (endpoint, method, url, response.status_code)


def test_the_login_page_and_its_style_are_public(app: Flask) -> None:
    client = app.test_client()
    assert client.get(f"{BASE_URL}/workspace/login").status_code == 200
    assert client.get(f"{BASE_URL}/workspace/static/workspace.css").status_code == 200


def test_an_unknown_api_token_is_anonymous(app: Flask) -> None:
    response = app.test_client().get(f"{BASE_URL}/api/investigations", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_a_reader_can_read_but_change_nothing(app: Flask) -> None:
    editor = login(app, "editor")
    created = editor.api("POST", "/api/investigations", json={"title": "École", "disease": "iim"})
    assert created.status_code == 201
    investigation_id = created.json["id"]
    reader = login(app, "reader")
    assert reader.client.get(f"/workspace/investigations/{investigation_id}").status_code == 200
    assert reader.api("GET", f"/api/investigations/{investigation_id}").status_code == 200
    for endpoint, method, url in _routes(app):
        if method not in CHANGING or endpoint in ("accounts.logout", "workspace_api.start_zip"):
            continue
        url = url.replace("/x/", f"/{investigation_id}/").replace("/x", f"/{investigation_id}")
        response = reader.api(method, url, json={}) if url.startswith("/api/") else reader.post(url)
        assert response.status_code == 403, (endpoint, method, url, response.status_code)


def test_csrf_is_enforced_on_changes_made_with_a_session(app: Flask) -> None:
    editor = login(app, "editor")
    no_token = editor.client.post("/workspace/investigations", data={"title": "t", "disease": "iim"})
    assert no_token.status_code == 400
    wrong = editor.client.post("/workspace/investigations", data={"title": "t", "disease": "iim",
                                                                  "csrf_token": "forged"})
    assert wrong.status_code == 400
    api = editor.client.post("/api/investigations", json={"title": "t", "disease": "iim"})
    assert api.status_code == 400
    assert editor.post("/workspace/investigations", {"title": "t", "disease": "iim"}).status_code == 302
    login_page = app.test_client().post(f"{BASE_URL}/workspace/login", data={"username": "editor",
                                                                             "password": PASSWORD})
    assert login_page.status_code == 400  # the login form too


def test_an_api_token_needs_no_csrf_and_carries_the_accounts_role(app: Flask) -> None:
    accounts = services(app).accounts
    token = accounts.new_token("editor")
    client = app.test_client()
    created = client.post(f"{BASE_URL}/api/investigations", json={"title": "t", "disease": "measles"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    reader_token = accounts.new_token("reader")
    refused = client.post(f"{BASE_URL}/api/investigations", json={"title": "t", "disease": "measles"},
                          headers={"Authorization": f"Bearer {reader_token}"})
    assert refused.status_code == 403


def test_five_wrong_passwords_lock_the_account_for_a_while(app: Flask, clock: Clock) -> None:
    for _ in range(5):
        with pytest.raises(AssertionError):
            login(app, "editor", "wrong password!")
    with pytest.raises(AssertionError):
        login(app, "editor")  # the right password, but locked
    clock.now = FROZEN_NOW + timedelta(minutes=16)
    login(app, "editor")
    actions = [e.action for e in services(app).workspace.audit_log()]
    assert actions.count("login.failed") == 4 and "login.lockout" in actions and "login.locked" in actions


def test_the_audit_log_says_who_saw_and_changed_what(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim"}).json["id"]
    imported = editor.api("POST", f"/api/investigations/{investigation_id}/contacts", data=IIM_FILE.read_bytes(),
                          content_type="text/csv")
    contact_id = imported.json["rows"][0]["contact_id"]
    reader = login(app, "reader")
    reader.client.get(f"/workspace/investigations/{investigation_id}/contacts/{contact_id}")
    reader.client.get(f"/workspace/investigations/{investigation_id}/line-list.csv")
    entries = [(e.username, e.action, e.target) for e in services(app).workspace.audit_log()]
    assert ("editor", "investigation.create", investigation_id) in entries
    assert ("editor", "contacts.import", investigation_id) in entries
    assert ("reader", "contact.view", f"{investigation_id}/contact/{contact_id}") in entries
    assert ("reader", "export", investigation_id) in entries
    admin = login(app, "admin")
    assert b"contacts.import" in admin.client.get("/workspace/admin/audit").data
    assert login(app, "editor").client.get("/workspace/admin/audit").status_code == 403


def test_no_patient_datum_reaches_the_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    editor = login(app, "editor")
    investigation_id = editor.api("POST", "/api/investigations", json={"title": "École", "disease": "iim"}).json["id"]
    editor.api("POST", f"/api/investigations/{investigation_id}/contacts", data=IIM_FILE.read_bytes(),
               content_type="text/csv")
    editor.api("PATCH", f"/api/investigations/{investigation_id}", json={"serogroup": "W"})
    for name in ("line-list.csv", "bundle.json", "notification.html"):
        assert editor.client.get(f"/workspace/investigations/{investigation_id}/{name}").status_code == 200
    text = "\n".join(r.getMessage() for r in caplog.records)
    for datum in ("Abadie", "Tessier", "Lina", "2016-02-10", "06 00 00", "rifampicine", "levothyrox"):
        assert datum not in text


def test_session_cookie_is_secure_and_http_only(app: Flask) -> None:
    browser: Browser = login(app, "reader")
    cookie = browser.client.get_cookie("prevention_cds_session")
    assert cookie is not None and cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_a_spreadsheet_larger_than_the_body_limit_is_refused_before_it_is_read(app: Flask) -> None:
    editor = login(app, "editor")
    investigation_id = editor.api("POST", "/api/investigations", json={"title": "t", "disease": "iim"}).json["id"]
    limit = services(app).settings.max_body_bytes
    api = editor.api("POST", f"/api/investigations/{investigation_id}/contacts", data=b"x" * (limit + 1),
                     content_type="text/csv")
    assert api.status_code == 413
    page = editor.post(f"/workspace/investigations/{investigation_id}/import",
                       {"file": (io.BytesIO(b"x" * (limit + 1)), "big.csv")}, content_type="multipart/form-data")
    assert page.status_code == 413


def test_a_database_that_does_not_answer_is_a_503_never_a_500(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    editor = login(app, "editor")
    database = services(app).workspace.db

    def gone() -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(database, "session", gone)
    assert editor.client.get("/workspace/").status_code == 503
    response = editor.api("GET", "/api/investigations")
    assert response.status_code == 503 and "indisponible" in response.json["error"]
