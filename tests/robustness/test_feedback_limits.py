"""Issue 16, item 4: a feedback value too long for the store is the client's error, said once, never "retry later".

The feedback schema (``prevention_cds/hooks/schemas/feedback.schema.json``) bounds every stored string by the
length of its column, so an over-long value is a 400 naming the member; a value that still reaches the database
and is refused there (a data error) is a 400 too, never the 503 that tells the client to resend a request that
can never succeed. Each test runs on SQLite and on PostgreSQL (which enforces column lengths).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import String

from prevention_cds.adapters.database import UnstorableData
from prevention_cds.adapters.feedback_store import FeedbackEntry, SqlFeedbackStore, feedback_table
from prevention_cds.app.services import services
from prevention_cds.settings import Settings

URL = "/cds-services/ror-vaccination/feedback"
STAMP = "2026-11-21T09:05:31Z"


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    return settings.with_changes(database_url=database_url)


def _store(app: Flask) -> SqlFeedbackStore:
    store = services(app).feedback_store
    assert isinstance(store, SqlFeedbackStore)
    return store


def _schema_item() -> dict[str, Any]:
    schema = json.loads(resources.files("prevention_cds.hooks").joinpath("schemas", "feedback.schema.json")
                        .read_text(encoding="utf-8"))
    item: dict[str, Any] = schema["properties"]["feedback"]["items"]
    return item


def _override(code: str = "x", system: str = "http://example.org", flat: bool = False) -> dict[str, Any]:
    reason = {"system": system, "code": code}
    return {"card": "c1", "outcome": "overridden", "outcomeTimestamp": STAMP,
            "overrideReason": reason if flat else {"reason": reason}}


# (what is too long, the entry, the member the answer must name)
OVER_LONG = [
    ("card", {"card": "c" * 201, "outcome": "overridden", "outcomeTimestamp": STAMP}, "feedback.0.card"),
    ("reason code", _override(code="x" * 201), "overrideReason.reason.code"),
    ("reason system", _override(system="http://" + "s" * 294), "overrideReason.reason.system"),
    ("flat code", _override(code="x" * 201, flat=True), "overrideReason.code"),
    ("flat system", _override(system="http://" + "s" * 294, flat=True), "overrideReason.system"),
    ("timestamp", {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-21T09:05:31." + "1" * 30 + "Z"},
     "feedback.0.outcomeTimestamp"),
    ("suggestion id", {"card": "c1", "outcome": "accepted", "outcomeTimestamp": STAMP,
                       "acceptedSuggestions": [{"id": "s" * 201}]}, "acceptedSuggestions.0.id"),
]


@pytest.mark.parametrize(("what", "entry", "member"), OVER_LONG, ids=[o[0] for o in OVER_LONG])
def test_an_over_long_value_is_400_naming_it_and_nothing_is_stored(client: FlaskClient, app: Flask, what: str,
                                                                  entry: dict[str, Any], member: str) -> None:
    good = {"card": "good", "outcome": "overridden", "outcomeTimestamp": STAMP}
    response = client.post(URL, json={"feedback": [good, entry]})
    assert response.status_code == 400, response.get_json()
    diagnostics = response.get_json()["issue"][0]["diagnostics"]
    assert member.replace("feedback.0", "feedback.1") in diagnostics, diagnostics
    assert _store(app).rows() == []


def test_values_at_their_limits_are_stored(client: FlaskClient, app: Flask) -> None:
    entries = [_override(code="x" * 200, system="http://" + "s" * 293) | {"card": "c" * 200},
               {"card": "c2", "outcome": "accepted", "outcomeTimestamp": "2026-11-21T09:05:31." + "1" * 19 + "Z",
                "acceptedSuggestions": [{"id": "s" * 200}]}]
    assert client.post(URL, json={"feedback": entries}).status_code == 200
    assert len(_store(app).rows()) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite does not enforce lengths
def test_a_data_error_of_the_database_is_unstorable_data_not_unavailable(database_url: str) -> None:
    """Past the schema (another caller of the store): the database's refusal is the data's fault."""
    store = SqlFeedbackStore(database_url)
    entry = FeedbackEntry(card_uuid="c1", outcome="overridden", outcome_timestamp=STAMP, override_code="x" * 201)
    with pytest.raises(UnstorableData):
        store.record("ror-vaccination", [entry])
    assert store.rows() == []


def test_an_unstorable_value_is_answered_400(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service_id: str, entries: list[FeedbackEntry]) -> int:
        raise UnstorableData("feedback store", "a feedback value cannot be stored (too long or malformed)")

    monkeypatch.setattr(services(app).feedback_store, "record", refuse)
    response = client.post(URL, json={"feedback": [_override()]})
    assert response.status_code == 400
    assert "cannot be stored" in response.get_json()["issue"][0]["diagnostics"]


def test_the_schema_bounds_every_stored_string_by_its_column() -> None:
    item = _schema_item()
    reason = item["properties"]["overrideReason"]["properties"]
    schema_limits = {
        "card_uuid": [item["properties"]["card"]["maxLength"]],
        "outcome_timestamp": [item["properties"]["outcomeTimestamp"]["maxLength"]],
        "override_code": [reason["code"]["maxLength"], reason["reason"]["properties"]["code"]["maxLength"]],
        "override_system": [reason["system"]["maxLength"], reason["reason"]["properties"]["system"]["maxLength"]],
    }
    for name, limits in schema_limits.items():
        column_type = feedback_table.c[name].type
        assert isinstance(column_type, String) and all(limit == column_type.length for limit in limits), name
