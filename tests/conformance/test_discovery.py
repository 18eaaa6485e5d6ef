"""cds-hooks.md §3.4 D items: discovery."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from cds_checks import no_null_or_empty
from prevention_cds.hooks.request import schema_validator

CONTRACT_SERVICES = {
    "ror-vaccination": "patient-view",
    "iim-prophylaxis": "patient-view",
    "prevention-order-sign": "order-sign",
    "prevention-order-select": "order-select",
}
TOKEN = re.compile(r"\{\{([^}]*)\}\}")
ALLOWED_TOKENS = {"context.patientId", "context.encounterId", "context.userId", "userPractitionerId",
                  "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"}


def test_D01_discovery_is_200_json(client: FlaskClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    assert response.mimetype == "application/json"


def test_D02_body_has_services_array(client: FlaskClient) -> None:
    body = client.get("/cds-services").get_json()
    assert isinstance(body, dict) and isinstance(body["services"], list)
    assert not list(schema_validator("discovery").iter_errors(body))


def test_D03_every_service_has_hook_description_id_title(client: FlaskClient) -> None:
    services = client.get("/cds-services").get_json()["services"]
    assert {s["id"]: s["hook"] for s in services} == CONTRACT_SERVICES
    for service in services:
        for member in ("hook", "description", "id", "title"):
            assert isinstance(service[member], str) and service[member]


def test_D03_titles_follow_accept_language(client: FlaskClient) -> None:
    french = client.get("/cds-services").get_json()["services"][0]["title"]
    english = client.get("/cds-services", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_json()["services"][0]
    assert french != english["title"] and "MMR" in english["title"]


def test_D04_prefetch_templates_use_allowed_tokens_and_query_subset(client: FlaskClient) -> None:
    for service in client.get("/cds-services").get_json()["services"]:
        assert service["prefetch"]
        for template in service["prefetch"].values():
            assert isinstance(template, str) and template
            assert set(TOKEN.findall(template)) <= ALLOWED_TOKENS
            path, _, query = template.partition("?")
            assert re.fullmatch(r"[A-Z][A-Za-z]+(/\{\{context\.patientId\}\})?", path), template
            for parameter in filter(None, query.split("&")):
                name = parameter.split("=")[0]
                assert name in {"patient", "code", "status", "_count", "_sort", "date"}, template


def test_D05_no_null_or_empty_members_and_types(client: FlaskClient) -> None:
    body = client.get("/cds-services").get_json()
    assert no_null_or_empty(body) == []
    for service in body["services"]:
        assert isinstance(service.get("usageRequirements", ""), str)
        assert "extension" not in service or isinstance(service["extension"], dict)


def test_D06_ids_are_path_safe_and_id_hook_pairs_unique(client: FlaskClient) -> None:
    services = client.get("/cds-services").get_json()["services"]
    pairs = [(s["id"], s["hook"]) for s in services]
    assert len(pairs) == len(set(pairs)) and len({s["id"] for s in services}) == len(services)
    for service_id, _ in pairs:
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", service_id)


# D07 (discovery accepts a JWT whose aud is the discovery URL, refuses one for a service): tests/auth/test_http_auth.py


def test_D08_empty_catalogue_shape() -> None:
    # The catalogue is static (contract §1); an empty one would still be a valid document.
    assert not list(schema_validator("discovery").iter_errors({"services": []}))
