"""One order-sign call through the test client: the cards the service answers for these draft orders."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from fhir_factory import hook_request, searchset


def order_sign_cards(
    client: FlaskClient, resources: list[dict[str, Any]], drafts: list[dict[str, Any]] | dict[str, Any]
) -> list[dict[str, Any]]:
    """``drafts``: the draft orders (sent as a searchset), or a whole ``draftOrders`` Bundle."""
    draft_orders = drafts if isinstance(drafts, dict) else searchset(drafts)
    body = hook_request("order-sign", resources,
                        context={"patientId": "p1", "userId": "Practitioner/dr1", "draftOrders": draft_orders})
    response = client.post("/cds-services/prevention-order-sign", json=body)
    assert response.status_code == 200, response.get_json()
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    return cards
