"""cds-hooks.md §3.4 C items: CORS."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from conftest import EHR_ORIGIN

ENDPOINTS = ["/cds-services", "/cds-services/ror-vaccination", "/cds-services/ror-vaccination/feedback"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_C01_preflight_grants_allowed_origin(client: FlaskClient, path: str) -> None:
    response = client.options(path, headers={
        "Origin": EHR_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert 200 <= response.status_code < 300
    assert response.headers["Access-Control-Allow-Origin"] == EHR_ORIGIN
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"GET", "POST", "OPTIONS"} <= methods and {"authorization", "content-type"} <= headers


def test_C02_actual_responses_carry_the_grant(client: FlaskClient) -> None:
    assert client.get("/cds-services", headers={"Origin": EHR_ORIGIN}).headers["Access-Control-Allow-Origin"] == EHR_ORIGIN
    error = client.post("/cds-services/ror-vaccination", data=b"{", content_type="application/json",
                        headers={"Origin": EHR_ORIGIN})
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == EHR_ORIGIN


def test_C03_disallowed_origin_gets_no_grant(client: FlaskClient) -> None:
    for path in ENDPOINTS:
        response = client.options(path, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in response.headers
