"""Every request example of ``docs/openapi.yaml`` is answered 200 by the operation it illustrates.

The fuzzing of the description (tests/robustness/test_schemathesis.py) counts a 412 as an acceptance, since
whether missing prefetch data can be fetched depends on the deployment: an example that lacks a prefetch key of
discovery would pass there and be refused here. The workspace's ``/api`` examples need a login session and are
tested with the workspace (tests/workspace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from prevention_cds.hooks.catalog import SERVICES, discovery_document, prefetch_keys

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
TESTED_PREFIXES = ("/cds-services/", "/fhir/")
SAMPLE_IDS = {"serviceId": "ror-vaccination"}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _examples() -> list[Any]:
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    found = []
    for path, operations in document["paths"].items():
        if not path.startswith(TESTED_PREFIXES):
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body is None:
                continue
            for media_type, content in _resolve(document, body)["content"].items():
                named = {name: _resolve(document, e)["value"] for name, e in (content.get("examples") or {}).items()}
                if "example" in content:
                    named["example"] = content["example"]
                url = path.format(**SAMPLE_IDS)
                found += [pytest.param(method, url, media_type, value, id=f"{method} {url} {name}")
                          for name, value in named.items()]
    return found


EXAMPLES = _examples()


def test_every_cds_service_has_an_example() -> None:
    assert {f"/cds-services/{s.id}" for s in SERVICES} <= {p.values[1] for p in EXAMPLES}


@pytest.mark.parametrize(("method", "url", "media_type", "body"), EXAMPLES)
def test_example_is_answered_200(client: FlaskClient, method: str, url: str, media_type: str, body: Any) -> None:
    response = client.open(url, method=method.upper(), json=body, content_type=media_type)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_usage_requirements_name_every_resource_type_prefetched(language: str) -> None:
    types = {kind for key in prefetch_keys().values() for kind in key.resource_types}
    for service in discovery_document(language)["services"]:
        assert all(kind in service["usageRequirements"] for kind in types), service["usageRequirements"]
