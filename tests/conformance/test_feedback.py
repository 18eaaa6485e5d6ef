"""cds-hooks.md §3.4 F items: feedback, stored in a real database: each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from prevention_cds.app.services import services
from prevention_cds.settings import Settings

URL = "/cds-services/ror-vaccination/feedback"


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    return settings.with_changes(database_url=database_url)


def _store(app: Flask) -> Any:
    return services(app).feedback_store


def _accepted(card: str = "card-1") -> dict[str, Any]:
    return {"card": card, "outcome": "accepted", "acceptedSuggestions": [{"id": "sugg-1"}],
            "outcomeTimestamp": "2026-11-21T09:05:31Z"}


def test_F01_valid_feedback_is_200_and_stored(client: FlaskClient, app: Flask) -> None:
    response = client.post(URL, json={"feedback": [_accepted()]})
    assert response.status_code == 200 and response.get_json() == {}
    rows = _store(app).rows()
    assert len(rows) == 1 and rows[0]["card_uuid"] == "card-1" and rows[0]["service_id"] == "ror-vaccination"
    assert rows[0]["accepted_suggestions"] == '["sugg-1"]'


@pytest.mark.parametrize("entry", [
    {"card": "c", "outcome": "maybe", "outcomeTimestamp": "2026-11-21T09:05:31Z"},
    {"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-21T09:05:31Z"},  # no acceptedSuggestions
    {"outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z"},
    {"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"},
])
def test_F02_invalid_entries_are_400(client: FlaskClient, app: Flask, entry: dict[str, Any]) -> None:
    assert client.post(URL, json={"feedback": [entry]}).status_code == 400
    assert _store(app).rows() == []


@pytest.mark.parametrize(("timestamp", "why"), [
    ("2026-13-45T99:00:00Z", "month must be in 1..12"),
    ("2026-02-29T10:00:00Z", "day is out of range for month"),
    ("2026-11-21T24:00:00+01:00", "hour must be in 0..23"),
    ("2026-11-21T10:61:00Z", "minute must be in 0..59"),
    ("2026-11-21T10:00:00+25:00", "the offset must be within ±23:59"),
    ("0000-01-01T00:00:00Z", "year 0 is out of range"),
])
def test_F02_an_impossible_timestamp_is_400_with_the_reason(
    client: FlaskClient, app: Flask, timestamp: str, why: str
) -> None:
    """2026-13-45T99:00:00Z is no instant and is never stored; the reason is said, never the value."""
    entries = [_accepted(), {**_accepted("card-2"), "outcomeTimestamp": timestamp}]
    response = client.post(URL, json={"feedback": entries})
    assert response.status_code == 400
    diagnostics = response.get_json()["issue"][0]["diagnostics"]
    assert diagnostics == f"feedback.feedback.1.outcomeTimestamp: not an RFC 3339 instant ({why})"
    assert _store(app).rows() == []


def test_F02_instants_of_every_rfc3339_form_are_stored(client: FlaskClient, app: Flask) -> None:
    stamps = ["2028-02-29T23:59:59Z", "2026-11-21T09:05Z", "2026-11-21T09:05:31.123456789-05:30"]
    entries = [{**_accepted(f"c{i}"), "outcomeTimestamp": t} for i, t in enumerate(stamps)]
    assert client.post(URL, json={"feedback": entries}).status_code == 200
    assert len(_store(app).rows()) == 3


def test_F02_unknown_service_feedback_is_404(client: FlaskClient) -> None:
    assert client.post("/cds-services/nope/feedback", json={"feedback": [_accepted()]}).status_code == 404


def test_F03_override_without_display_or_only_comment(client: FlaskClient, app: Flask) -> None:
    entries = [
        {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
         "overrideReason": {"reason": {"code": "patient-refuses",
                                       "system": "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"}}},
        {"card": "c2", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
         "overrideReason": {"userComment": "déjà vacciné en PMI"}},
    ]
    assert client.post(URL, json={"feedback": entries}).status_code == 200
    rows = {r["card_uuid"]: r for r in _store(app).rows()}
    assert rows["c1"]["override_code"] == "patient-refuses" and rows["c2"]["override_comment"] == "déjà vacciné en PMI"


def test_F04_legacy_flat_override_reason(client: FlaskClient, app: Flask) -> None:
    entry = {"card": "c3", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31.123+01:00",
             "overrideReason": {"code": "need-more-info", "system": "http://example.org/reasons"}}
    assert client.post(URL, json={"feedback": [entry]}).status_code == 200
    assert _store(app).rows()[0]["override_code"] == "need-more-info"


def test_F05_duplicates_are_idempotent_and_unknown_cards_accepted(client: FlaskClient, app: Flask) -> None:
    for _ in range(3):
        assert client.post(URL, json={"feedback": [_accepted("never-issued-card")]}).status_code == 200
    assert _store(app).count() == 1


def test_F06_batch_of_entries(client: FlaskClient, app: Flask) -> None:
    batch = [_accepted(f"card-{i}") for i in range(5)] + [
        {"card": "card-0", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:06:00Z"}]
    assert client.post(URL, json={"feedback": batch}).status_code == 200
    assert _store(app).count() == 6


def test_F_acknowledged_entries_survive_a_new_store_on_the_same_database(client: FlaskClient, app: Flask) -> None:
    from prevention_cds.adapters.feedback_store import SqlFeedbackStore

    client.post(URL, json={"feedback": [_accepted("durable")]})
    url = str(_store(app).engine.url)
    assert SqlFeedbackStore(url).count() == 1


def test_feedback_store_outage_is_503_and_logs_no_parameter(client: FlaskClient, app: Flask,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    """The database cannot answer: 503 (the client may resend; entries are idempotent), and the logged error
    names no SQL parameter, so a clinician's free-text comment never reaches the logs."""
    with _store(app).engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))
    comment = "patient Jeanne Martin refuses"
    entry = {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31Z",
             "overrideReason": {"reason": {"system": "http://example.org", "code": "x"}, "userComment": comment}}
    response = client.post(URL, json={"feedback": [entry]})
    assert response.status_code == 503
    assert response.get_json()["issue"][0]["code"] == "transient"
    logged = "\n".join(caplog.text.splitlines())
    assert "feedback store unavailable" in logged
    assert comment not in logged and "Jeanne" not in logged
