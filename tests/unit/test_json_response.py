"""Responses written by pydantic-core say exactly what the standard library would have said."""

from __future__ import annotations

import json
from typing import Any, cast

from flask import Flask, Response
from flask.testing import FlaskClient

from conftest import FROZEN_NOW
from prevention_cds.app.warmup import PATIENT_ID, synthetic_record
from prevention_cds.hooks.bundles import request_body
from prevention_cds.hooks.catalog import SERVICES_BY_ID

DOCUMENT: dict[str, Any] = {
    "zeta": "rougeole — 2ᵉ dose à faire",
    "alpha": [1, 2.5, True, None, {"b": "x", "a": "y"}],
    "empty": {},
}


def test_body_is_the_same_json_in_insertion_order_utf8_unescaped(app: Flask) -> None:
    app.debug = False
    with app.test_request_context():
        response = cast(Response, app.json.response(DOCUMENT))
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert text == json.dumps(DOCUMENT, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_debug_mode_indents_as_flask_does(app: Flask) -> None:
    app.debug = True
    with app.test_request_context():
        text = cast(Response, app.json.response(DOCUMENT)).get_data(as_text=True)
    assert json.loads(text) == DOCUMENT
    assert text.startswith('{\n  "zeta"')


def test_a_patient_view_answer_reads_back_identical(client: FlaskClient) -> None:
    body = request_body(SERVICES_BY_ID["ror-vaccination"], PATIENT_ID, synthetic_record(FROZEN_NOW))
    response = client.post("/cds-services/ror-vaccination", json=body)
    assert response.status_code == 200
    cards = json.loads(response.get_data(as_text=True))["cards"]
    assert cards and list(cards[0])[:3] == ["uuid", "summary", "indicator"]
    assert "\\u00e0" not in response.get_data(as_text=True)
