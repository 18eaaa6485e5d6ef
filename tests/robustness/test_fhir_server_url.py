"""Issue 16, item 5: the fhirServer that was checked is the one connected to.

URL parsers disagree on ``http://127.0.0.2:P\\@127.0.0.1:Q``: Python's ``urlsplit`` reads the host 127.0.0.1 (what
the old check read), urllib3 (what requests connect with) reads 127.0.0.2. The service now parses the URL once,
with urllib3, and refuses a backslash or user information outright: in development (loopback allowed) the
request is refused and the other server never sees a request, nor the ``fhirAuthorization`` token. The same holds
for paging links on an allow-listed origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from fault_server import FaultServer
from fhir_factory import hook_request, patient
from prevention_cds.adapters.fhir_client import HttpFhirReader, UnusableFhirUrl, fhir_server_refusal, parse_fhir_url

TOKEN = "secret-bearer-of-the-ehr"


@pytest.fixture
def checked() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def other() -> Iterator[FaultServer]:
    with FaultServer(host="127.0.0.2") as server:
        yield server


def _body(fhir_server: str) -> dict[str, Any]:
    return hook_request("patient-view", [patient()], prefetch=False, fhirServer=fhir_server,
                        fhirAuthorization={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                           "scope": "patient/*.read", "subject": "cds"})


@pytest.mark.parametrize("template", [
    "http://127.0.0.2:{other}\\@127.0.0.1:{checked}",
    "http://127.0.0.2:{other}\\@127.0.0.1:{checked}/ok",
    "http://127.0.0.2:{other}/ok\\@127.0.0.1:{checked}",
    "http://x@127.0.0.2:{other}/ok",
    "http://127.0.0.1:{checked}@127.0.0.2:{other}/ok",
])
def test_a_url_parsers_disagree_on_is_refused_and_nothing_reaches_either_server(
        client: FlaskClient, checked: FaultServer, other: FaultServer, template: str) -> None:
    url = template.format(other=other.port, checked=checked.port)
    response = client.post("/cds-services/ror-vaccination", json=_body(url))
    assert response.status_code == 400, response.get_json()
    assert "fhirServer" in response.get_json()["issue"][0]["diagnostics"]
    assert other.requests == [] and checked.requests == []


def test_a_plain_loopback_fhir_server_is_still_read_in_development(client: FlaskClient, checked: FaultServer) -> None:
    response = client.post("/cds-services/ror-vaccination", json=_body(checked.base("ok")))
    assert response.status_code == 200, response.get_json()
    assert checked.requests and all(auth == f"Bearer {TOKEN}" for _, auth in checked.requests)


@pytest.mark.parametrize("url", ["http://a\\@b/", "http://u:p@h/", "ftp://h/", "http:///x", "http://h /x", "//h/x"])
def test_the_parse_refuses_what_parsers_read_differently(url: str) -> None:
    with pytest.raises(UnusableFhirUrl):
        parse_fhir_url(url)
    refusal = fhir_server_refusal(url, ("http://h",), dev=True)
    assert refusal is not None and refusal.startswith("fhirServer: ")


def test_allow_listed_origins_compare_parsed_origins() -> None:
    assert fhir_server_refusal("https://FHIR.example.org:443/R4", ("https://fhir.example.org",), dev=False) is None
    assert fhir_server_refusal("https://fhir.example.org.evil.test/R4", ("https://fhir.example.org",), dev=False)
    assert fhir_server_refusal("http://127.0.0.1:1/x", (), dev=False)  # loopback only in development


def test_a_paging_link_parsers_disagree_on_is_refused(checked: FaultServer, other: FaultServer) -> None:
    reader = HttpFhirReader(checked.base("ok"), TOKEN, timeout_seconds=2, deadline_seconds=5,
                            max_response_bytes=1_000_000)
    try:
        for link in (f"http://127.0.0.2:{other.port}\\@127.0.0.1:{checked.port}/ok/Observation",
                     f"http://127.0.0.1:{checked.port}@127.0.0.2:{other.port}/ok/Observation",
                     f"http://127.0.0.2:{other.port}/ok/Observation"):
            with pytest.raises(Exception, match="link"):
                reader.fetch(link)
        assert reader.fetch(f"http://127.0.0.1:{checked.port}/ok/Observation?code=http://loinc.org|1") is not None
    finally:
        reader.close()
    assert other.requests == []
