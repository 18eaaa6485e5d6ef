"""Issue 5, item 3: input limits. A body over the configured maximum → 413; non-UTF-8 or deeply nested JSON →
400; every one with a JSON OperationOutcome and no stack trace."""

from __future__ import annotations

import io
import json

import pytest
from flask.testing import FlaskClient

from fhir_factory import exposure, hook_request, medication_request, patient, searchset
from prevention_cds.app.factory import create_app
from prevention_cds.settings import Settings

URLS = ["/cds-services/ror-vaccination", "/cds-services/ror-vaccination/feedback"]


@pytest.fixture
def small_limit(settings: Settings) -> FlaskClient:
    return create_app(settings.with_changes(max_body_bytes=2048)).test_client()


def _assert_clean_error(response: object, status: int) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body["resourceType"] == "OperationOutcome"
    text = json.dumps(body)
    assert "Traceback" not in text and 'File "' not in text


@pytest.mark.parametrize("url", URLS)
def test_body_over_the_limit_is_413(small_limit: FlaskClient, url: str) -> None:
    body = hook_request("patient-view", [patient()])
    body["extension"] = {"org.example.padding": "x" * 4000}
    _assert_clean_error(small_limit.post(url, json=body), 413)
    # without Content-Length (chunked, as gunicorn passes it: wsgi.input_terminated): the cap holds on what is read
    raw = json.dumps(body).encode()
    response = small_limit.post(url, input_stream=io.BytesIO(raw), content_type="application/json",
                                headers={"Transfer-Encoding": "chunked"},
                                environ_overrides={"wsgi.input_terminated": True})
    _assert_clean_error(response, 413)


@pytest.mark.parametrize("url", URLS)
def test_non_utf8_body_is_400(client: FlaskClient, url: str) -> None:
    _assert_clean_error(client.post(url, data=b'{"hook": "\xff\xfe"}', content_type="application/json"), 400)


@pytest.mark.parametrize("depth", [5_000, 200_000])
@pytest.mark.parametrize("url", URLS)
def test_deeply_nested_json_is_400(client: FlaskClient, url: str, depth: int) -> None:
    _assert_clean_error(client.post(url, data=b"[" * depth + b"]" * depth, content_type="application/json"), 400)


def test_moderately_nested_extension_is_accepted(client: FlaskClient) -> None:
    body = hook_request("patient-view", [patient()])
    nested: object = "leaf"
    for _ in range(200):
        nested = {"n": nested}
    body["extension"] = {"org.example.deep": nested}
    assert client.post(URLS[0], json=body).status_code == 200


@pytest.mark.parametrize("rid", ["bad id!", "x" * 256, "draft_1"])
def test_a_draft_order_to_replace_whose_id_is_not_a_fhir_id_is_400(client: FlaskClient, rid: str) -> None:
    """The replacement would carry the client's id as its own: an id FHIR cannot hold is refused, never a 500
    or an invalid resource."""
    order = medication_request("p1", "J04AB02", "Rifampicine", dose_mg=300, rid=rid)  # adult dose is 600 mg
    body = hook_request("order-sign", [patient(), exposure("p1", "iim-contact", "2026-11-19", "household", "W")])
    body["context"]["draftOrders"] = searchset([order])
    response = client.post("/cds-services/prevention-order-sign", json=body)
    _assert_clean_error(response, 400)
    assert "not a FHIR id" in response.get_json()["issue"][0]["diagnostics"]
    assert rid not in response.get_data(as_text=True)
    # the same order with a FHIR id gets its replacement
    order["id"] = "draft-1"
    body["context"]["draftOrders"] = searchset([order])
    cards = client.post("/cds-services/prevention-order-sign", json=body).get_json()["cards"]
    actions = [a for c in cards for s in c.get("suggestions", []) for a in s["actions"]]
    assert any(a["type"] == "update" and a["resource"]["id"] == "draft-1" for a in actions)
